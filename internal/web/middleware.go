package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/identity"
)

var (
	errNotFound         = apperr.New(apperr.NotFound, "您访问的页面或接口不存在")
	errMethodNotAllowed = apperr.New(apperr.MethodNotAllowed, "该地址不支持此请求方法")
	errPanic            = errors.New("handler panicked")
	errCSRF             = apperr.New(apperr.Forbidden, "页面已过期或请求来源不明，请刷新页面后重试")
	errLoginRequired    = apperr.New(apperr.Unauthenticated, "请先登录")
)

type ctxRequestID struct{}
type ctxAuth struct{}

// auth is what authenticate learned about the caller.
type auth struct {
	P      *identity.Principal
	Token  string // session or API token ("" when anonymous)
	Bearer bool   // authenticated by Authorization header, not cookie
}

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxRequestID{}).(string)
	return id
}

func newRequestID(incoming string) string {
	if n := len(incoming); n > 0 && n <= 64 && strings.Trim(incoming, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == "" {
		return incoming
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func authOf(r *http.Request) auth {
	a, _ := r.Context().Value(ctxAuth{}).(auth)
	return a
}

// principal returns the caller, or nil when anonymous.
func principal(r *http.Request) *identity.Principal { return authOf(r).P }

// mustLogin returns the caller or an Unauthenticated error.
func mustLogin(r *http.Request) (*identity.Principal, error) {
	if p := principal(r); p != nil {
		return p, nil
	}
	return nil, errLoginRequired
}

const (
	sessionCookie = "yiwang_session"
	csrfCookie    = "yiwang_csrf"
	elderCookie   = "yiwang_elder"
)

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authenticate resolves the caller from a bearer token or the session
// cookie and records who acts in the audit metadata of the context. A bad
// bearer token is an error (a program should know); a stale cookie is
// cleared and the request continues anonymously.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	meta := audit.Meta{IP: clientIP(r), RequestID: requestID(r)}
	var a auth
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return r, apperr.New(apperr.Unauthenticated, "Authorization 头应为 Bearer 令牌")
		}
		p, err := s.Identity.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			return r, err
		}
		a = auth{P: p, Token: strings.TrimSpace(token), Bearer: true}
	} else if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		p, err := s.Identity.Authenticate(r.Context(), c.Value)
		switch {
		case err == nil:
			a = auth{P: p, Token: c.Value}
		case apperr.Is(err, apperr.Unauthenticated):
			s.clearCookie(w, r, sessionCookie)
		default:
			return r, err
		}
	}
	if a.P != nil {
		meta.ActorID, meta.ActorName = a.P.AccountID, a.P.DisplayName
	}
	ctx := context.WithValue(r.Context(), ctxAuth{}, a)
	ctx = audit.WithMeta(ctx, meta)
	return r.WithContext(ctx), nil
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// csrfBinding is what a browser's CSRF token is bound to: its session, or
// before login its anonymous CSRF cookie.
func csrfBinding(r *http.Request) string {
	if a := authOf(r); a.Token != "" && !a.Bearer {
		return "s:" + a.Token
	}
	if c, err := r.Cookie(csrfCookie); err == nil && c.Value != "" {
		return "a:" + c.Value
	}
	return ""
}

// checkCSRF guards every state-changing request that carries ambient
// browser credentials. Bearer-token API calls carry none; anonymous API
// calls carry none either. Browser forms and cookie-authenticated API calls
// must present the token bound to their session (form field "csrf" or the
// X-CSRF-Token header). Cross-origin requests were already refused by
// http.CrossOriginProtection.
func (s *Server) checkCSRF(r *http.Request) error {
	if !unsafeMethod(r.Method) {
		return nil
	}
	a := authOf(r)
	if a.Bearer || (isAPI(r) && a.Token == "") {
		return nil
	}
	token := r.Header.Get("X-CSRF-Token")
	if token == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// Uploads carry the token in the action URL, so a large body need
		// not be parsed before the request is known to be genuine.
		token = r.URL.Query().Get("csrf")
	}
	if token == "" && !isAPI(r) {
		r.Body = http.MaxBytesReader(nil, r.Body, maxFormBody)
		token = r.PostFormValue("csrf")
	}
	if !s.Box.CheckCSRF(csrfBinding(r), token) {
		return errCSRF
	}
	return nil
}

const maxFormBody = 1 << 20

func (s *Server) secure(r *http.Request) bool {
	return s.SecureCookies || r.TLS != nil
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// statusRecorder remembers the status and size of a response, and which
// route pattern served it, for the access log and metrics.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	bytes int64
	wrote bool
	route string
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.code, s.wrote = http.StatusOK, true
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// headerProbe captures what the mux's own 404/405/redirect handler would
// answer, so we can answer it in our shape instead.
type headerProbe struct {
	h    http.Header
	code int
}

func (p *headerProbe) Header() http.Header         { return p.h }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.code = code }

func stack() string { return string(debug.Stack()) }

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yiwang_http_requests_total", Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "yiwang_http_request_duration_seconds", Help: "HTTP request latency by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *httpMetrics) observe(method, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(method, route, itoa(code)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

func itoa(n int) string {
	if n >= 100 && n < 600 {
		return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
	}
	return "000"
}
