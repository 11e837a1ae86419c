// Package web is yiwang's HTTP face: HTML pages for people and /api/v1 JSON
// for programs, over one router and one set of middleware. It never writes
// SQL; it calls the contexts' use cases.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/files"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/notify"
	"yiwang/internal/secret"
	"yiwang/internal/web/view"
)

// Config is what the server needs from the outside.
type Config struct {
	DB       *db.DB
	Identity *identity.Service
	Catalog  *catalog.Service
	Calendar *calendar.Service
	Files    *files.Service
	Cases    *casework.Service
	Licences *licence.Service
	Notices  *notify.Service
	Box      *secret.Box
	Clock    clock.Clock
	// ClockControl, when set, lets administrators move the platform's
	// clock (the demo, to watch deadlines pass). Never in production.
	ClockControl *clock.Adjustable
	Log          *slog.Logger
	Version      string
	// SecureCookies forces the Secure flag on cookies (behind a TLS proxy).
	// Cookies are also Secure whenever the request itself came over TLS.
	SecureCookies bool
	// Registry receives the HTTP metrics; nil makes a private one.
	Registry *prometheus.Registry
}

// Server routes requests. Build it with New.
type Server struct {
	Config
	mux     *http.ServeMux
	views   *view.Set
	metrics *httpMetrics
	routes  []apiRoute
	pages   pageCache
	// origin refuses cross-origin state-changing browser requests
	// (Sec-Fetch-Site / Origin), the first line of CSRF defence.
	origin *http.CrossOriginProtection
	// verifyLimit bounds licence verifications per client address.
	verifyLimit *rateLimit
}

// New wires every route.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	views, err := view.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{Config: cfg, mux: http.NewServeMux(), views: views, metrics: newHTTPMetrics(cfg.Registry),
		// A person checks a few licences at a time; a scanner at a counter a
		// few hundred an hour. More than that from one address is a script.
		verifyLimit: newRateLimit(60, 120)}
	s.routesOps()
	s.routesAPI()
	s.routesPages()
	s.routesCatalogAPI()
	s.routesCatalogPages()
	s.routesCatalogEditor()
	s.routesFormEditor()
	s.routesCalendar()
	s.routesFiles()
	s.routesCasesAPI()
	s.routesCasePages()
	s.routesAdminWorkflows()
	s.routesNotices()
	s.routesLicences()
	s.origin = http.NewCrossOriginProtection()
	return s, nil
}

// ServeHTTP runs the middleware chain: request id, recovery, access log and
// metrics, security headers, routing (with JSON or HTML 404/405), session,
// CSRF, and finally the handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newRequestID(r.Header.Get("X-Request-Id"))
	rec := &statusRecorder{ResponseWriter: w}
	ctx := context.WithValue(r.Context(), ctxRequestID{}, rid)
	r = r.WithContext(ctx)
	w.Header().Set("X-Request-Id", rid)
	setSecurityHeaders(w.Header())
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.Log.ErrorContext(ctx, "panic", slog.String("request_id", rid), slog.Any("panic", p), slog.String("stack", stack()))
			if !rec.wrote {
				s.fail(rec, r, errPanic)
			}
		}
		route := rec.route
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.observe(r.Method, route, rec.status(), d)
		// Only the path is logged: query strings may carry personal data.
		s.Log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("request_id", rid), slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("route", route), slog.Int("status", rec.status()), slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", d))
	}()
	s.dispatch(rec, r)
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	rec := w.(*statusRecorder)
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.unrouted(w, r)
		return
	}
	rec.route = pattern
	r, err := s.authenticate(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.origin.Check(r); err != nil {
		s.fail(w, r, errCSRF)
		return
	}
	if err := s.checkCSRF(r); err != nil {
		s.fail(w, r, err)
		return
	}
	s.mux.ServeHTTP(w, r)
	// A change may have written outbox events: the notices worker looks
	// now instead of at its next poll.
	if r.Method != http.MethodGet && r.Method != http.MethodHead && s.Notices != nil {
		s.Notices.Nudge()
	}
}

// unrouted answers a request no pattern matched (404) or matched only for
// other methods (405), in the shape the caller expects.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	h, _ := s.mux.Handler(r)
	probe := &headerProbe{h: http.Header{}}
	h.ServeHTTP(probe, r)
	if probe.code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.h.Get("Allow"))
		s.fail(w, r, errMethodNotAllowed)
		return
	}
	if loc := probe.h.Get("Location"); probe.code >= 300 && probe.code < 400 && loc != "" {
		http.Redirect(w, r, loc, probe.code)
		return
	}
	s.fail(w, r, errNotFound)
}

// fail answers err as JSON on /api/ and as a page elsewhere.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if isAPI(r) {
		s.apiFail(w, r, err)
		return
	}
	s.pageFail(w, r, err)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}
