package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

const (
	fakePassword = "correct-horse"
	fakeToken    = "tok-7f3a9c"
	fakeSession  = "sess-51d0e2"
)

// fakeServer stands in for yiwang: /api/v1/login, an authenticated read
// route, a public one, one that fails and one that redirects.
type fakeServer struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	logins atomic.Int64
	bearer atomic.Int64 // requests authenticated by token
	cookie atomic.Int64 // requests authenticated by cookie
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{hits: map[string]int{}}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	unauthenticated := map[string]any{"error": map[string]string{"code": "unauthenticated", "message": "用户名或密码错误"}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/login", func(w http.ResponseWriter, r *http.Request) {
		f.logins.Add(1)
		var in struct{ Username, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Username != "citizen1" || in.Password != fakePassword {
			writeJSON(w, http.StatusUnauthorized, unauthenticated)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "yiwang_session", Value: fakeSession, Path: "/", HttpOnly: true})
		writeJSON(w, http.StatusOK, map[string]any{"token": fakeToken, "user": map[string]string{"username": in.Username}})
	})
	authed := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			switch c, err := r.Cookie("yiwang_session"); {
			case r.Header.Get("Authorization") == "Bearer "+fakeToken:
				f.bearer.Add(1)
			case err == nil && c.Value == fakeSession:
				f.cookie.Add(1)
			default:
				writeJSON(w, http.StatusUnauthorized, unauthenticated)
				return
			}
			next(w, r)
		}
	}
	count := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.hits[r.URL.Path]++
			f.mu.Unlock()
			next(w, r)
		}
	}
	body := strings.Repeat("办事指南 ", 2000) // a body large enough to need reading
	mux.HandleFunc("GET /api/v1/me", count(authed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"username": "citizen1", "bio": body})
	})))
	mux.HandleFunc("GET /api/v1/services", count(authed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []string{"营业执照", "低保"})
	})))
	mux.HandleFunc("GET /public", count(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, body)
	}))
	mux.HandleFunc("GET /api/v1/broken", count(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": map[string]string{"code": "internal", "message": "boom"}})
	}))
	mux.HandleFunc("GET /account", count(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) hitsOn(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func fakeEnv(k string) string {
	if k == passwordEnv {
		return fakePassword
	}
	return ""
}

// runLoad runs the generator in JSON mode and decodes its report.
func runLoad(t *testing.T, args ...string) (result, string, error) {
	t.Helper()
	var stdout, stderr strings.Builder
	err := run(context.Background(), append([]string{"-json"}, args...), fakeEnv, &stdout, &stderr)
	var res result
	if stdout.Len() > 0 {
		if jerr := json.Unmarshal([]byte(stdout.String()), &res); jerr != nil {
			t.Fatalf("stdout is not the JSON report: %v\n%s", jerr, stdout.String())
		}
	}
	all := stdout.String() + stderr.String()
	for _, secret := range []string{fakePassword, fakeToken, fakeSession} {
		if strings.Contains(all, secret) {
			t.Fatalf("output shows a secret %q:\n%s", secret, all)
		}
	}
	return res, all, err
}

func TestRunExactCount(t *testing.T) {
	f := newFakeServer(t)
	res, out, err := runLoad(t, "-base", f.URL, "-n", "200", "-c", "8", "-warmup", "0")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if res.Requests != 200 || res.Statuses["200"] != 200 || res.Classes["2xx"] != 200 || !res.OK {
		t.Fatalf("report: %+v", res)
	}
	if got := f.hitsOn("/api/v1/me"); got != 200 {
		t.Fatalf("server saw %d requests, want 200", got)
	}
	if f.logins.Load() != 1 || f.bearer.Load() != 200 || f.cookie.Load() != 0 {
		t.Fatalf("logins %d, bearer %d, cookie %d", f.logins.Load(), f.bearer.Load(), f.cookie.Load())
	}
	if res.Latency.P50 <= 0 || res.Latency.P50 > res.Latency.P99 || res.Latency.P99 > res.Latency.Max {
		t.Fatalf("latencies out of order: %+v", res.Latency)
	}
}

func TestRunRoundRobin(t *testing.T) {
	f := newFakeServer(t)
	res, out, err := runLoad(t, "-base", f.URL, "-n", "201", "-c", "5", "-warmup", "0",
		"-path", "/api/v1/me", "-path", "/api/v1/services", "-path", "/public")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	for i, p := range []string{"/api/v1/me", "/api/v1/services", "/public"} {
		if f.hitsOn(p) != 67 || res.Routes[i].Path != p || res.Routes[i].Requests != 67 {
			t.Errorf("%s: server %d, report %+v", p, f.hitsOn(p), res.Routes[i])
		}
	}
}

func TestRunWarmupIsNotCounted(t *testing.T) {
	f := newFakeServer(t)
	res, out, err := runLoad(t, "-base", f.URL, "-n", "100", "-c", "4", "-warmup", "50ms")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if res.Requests != 100 || f.hitsOn("/api/v1/me") < 100 {
		t.Fatalf("report %d requests, server saw %d", res.Requests, f.hitsOn("/api/v1/me"))
	}
}

func TestRunDuration(t *testing.T) {
	f := newFakeServer(t)
	res, out, err := runLoad(t, "-base", f.URL, "-d", "100ms", "-c", "4", "-warmup", "0", "-path", "/public")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if res.Requests == 0 || int(res.Requests) != f.hitsOn("/public") || res.Limit != "-d 100ms" {
		t.Fatalf("report %d requests (%s), server saw %d", res.Requests, res.Limit, f.hitsOn("/public"))
	}
}

func TestRunCookieMode(t *testing.T) {
	f := newFakeServer(t)
	res, out, err := runLoad(t, "-base", f.URL, "-n", "30", "-c", "3", "-warmup", "0", "-cookie")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if res.Requests != 30 || f.cookie.Load() != 30 || f.bearer.Load() != 0 || res.Auth != "session cookie" {
		t.Fatalf("report %+v; cookie %d bearer %d", res, f.cookie.Load(), f.bearer.Load())
	}
}

func TestRunFailures(t *testing.T) {
	f := newFakeServer(t)
	tests := []struct {
		name    string
		args    []string
		class   string
		code    string
		wantReq int64
	}{
		{"5xx route", []string{"-path", "/api/v1/broken"}, "5xx", "500", 40},
		{"anonymous on a private route", []string{"-login=false"}, "4xx", "401", 40},
		{"redirects are reported, not followed", []string{"-path", "/account"}, "3xx", "303", 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-base", f.URL, "-n", "40", "-c", "4", "-warmup", "0"}, tt.args...)
			res, out, err := runLoad(t, args...)
			var fe *failedError
			if !errors.As(err, &fe) || exitCode(err, io.Discard) != 1 {
				t.Fatalf("err = %v, want a failed run with exit status 1\n%s", err, out)
			}
			if res.Requests != tt.wantReq || res.Classes[tt.class] != tt.wantReq || res.Statuses[tt.code] != tt.wantReq ||
				res.Non2xx != tt.wantReq || res.OK {
				t.Fatalf("report: %+v", res)
			}
		})
	}
	if f.hitsOn("/login") != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestRunTransportErrors(t *testing.T) {
	f := newFakeServer(t)
	url := f.URL
	f.Close() // nothing listens any more: every request is a transport error
	res, out, err := runLoad(t, "-base", url, "-login=false", "-n", "20", "-c", "2", "-warmup", "0")
	var fe *failedError
	if !errors.As(err, &fe) || exitCode(err, io.Discard) != 1 {
		t.Fatalf("err = %v\n%s", err, out)
	}
	if res.Requests != 20 || res.TransportErrors != 20 || res.FirstError == "" || res.OK {
		t.Fatalf("report: %+v", res)
	}
}

func TestRunBadLogin(t *testing.T) {
	f := newFakeServer(t)
	res, out, err := runLoad(t, "-base", f.URL, "-n", "10", "-warmup", "0", "-password", "wrong-pass")
	var le *loginError
	if !errors.As(err, &le) || exitCode(err, io.Discard) != 1 {
		t.Fatalf("err = %v, want a login error", err)
	}
	if !strings.Contains(err.Error(), "用户名或密码错误") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("message %q lacks the server's message", err)
	}
	if strings.Contains(err.Error()+out, "wrong-pass") || res.Requests != 0 || f.hitsOn("/api/v1/me") != 0 {
		t.Fatalf("ran anyway or showed the password: %v %+v", err, res)
	}
}

func TestRunRefusesRemoteTarget(t *testing.T) {
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"-base", "http://192.0.2.10:8080", "-n", "1"}, fakeEnv, &stdout, &stderr)
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "-allow-remote") {
		t.Fatalf("err = %v", err)
	}
	if exitCode(err, &stderr) != 2 || !strings.Contains(stderr.String(), "not loopback") {
		t.Fatalf("stderr: %s", stderr.String())
	}
}

// TestRunTextReport prints the human report; see it with -v.
func TestRunTextReport(t *testing.T) {
	f := newFakeServer(t)
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"-base", f.URL, "-n", "200", "-c", "8", "-warmup", "0",
		"-path", "/api/v1/me", "-path", "/api/v1/broken"}, fakeEnv, &stdout, &stderr)
	if exitCode(err, &stderr) != 1 {
		t.Fatalf("err = %v", err)
	}
	out := stdout.String()
	for _, want := range []string{"requests    200\n", "5xx 100", "codes       200=100 500=100\n",
		"errors      non-2xx 100  transport 0\n", "result      FAIL: 100 non-2xx responses\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out+stderr.String(), fakeToken) {
		t.Fatal("token printed")
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", out, stderr.String())
}
