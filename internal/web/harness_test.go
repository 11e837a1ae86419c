package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"yiwang/internal/app"
	"yiwang/internal/db/dbtest"
)

// testApp is the real application with demo data behind an httptest server.
type testApp struct {
	*app.App
	URL string
	Log *bytes.Buffer
}

// newApp is the application with the demo organisation and accounts but
// an empty catalogue (tests import what they need); newDemoApp has the
// whole demo catalogue too.
func newApp(t testing.TB, dsn string) *testApp { t.Helper(); return buildApp(t, dsn, false) }

func newDemoApp(t testing.TB, dsn string) *testApp { t.Helper(); return buildApp(t, dsn, true) }

func buildApp(t testing.TB, dsn string, withCatalogue bool) *testApp {
	t.Helper()
	ctx := context.Background()
	logs := &bytes.Buffer{}
	a, err := app.New(ctx, app.Config{DSN: dsn, DataDir: t.TempDir(), DataKey: bytes.Repeat([]byte{7}, 32),
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	load := a.LoadDemoAccounts
	if withCatalogue {
		load = a.LoadDemo
	}
	if _, loaded, err := load(ctx); err != nil || !loaded {
		t.Fatalf("demo: loaded=%v err=%v", loaded, err)
	}
	srv := httptest.NewServer(a.Server)
	t.Cleanup(srv.Close)
	return &testApp{App: a, URL: srv.URL, Log: logs}
}

// eachDB runs fn against SQLite and, when configured, PostgreSQL.
func eachDB(t *testing.T, fn func(t *testing.T, a *testApp)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newApp(t, "")) })
	t.Run("postgres", func(t *testing.T) { fn(t, newApp(t, dbtest.PostgresSchemaDSN(t))) })
}

// eachDemoDB is eachDB with the whole demo catalogue loaded.
func eachDemoDB(t *testing.T, fn func(t *testing.T, a *testApp)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newDemoApp(t, "")) })
	t.Run("postgres", func(t *testing.T) { fn(t, newDemoApp(t, dbtest.PostgresSchemaDSN(t))) })
}

// browser is a cookie-keeping client that behaves like a form-posting
// browser without JavaScript: it remembers the CSRF token of the last page.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func (a *testApp) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: a.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type page struct {
	Status int
	Body   string
	Header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return page{Status: resp.StatusCode, Body: string(body), Header: resp.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post submits a form with the page's CSRF token (unless the form sets one).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow GETs the Location of a redirect.
func (b *browser) follow(p page) page {
	b.t.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		b.t.Fatalf("want a redirect, got %d: %s", p.Status, snippet(p.Body))
	}
	return b.get(p.Header.Get("Location"))
}

func (b *browser) login(user string) page {
	b.t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"username": {user}, "password": {"yiwang-demo"}})
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d %s", user, p.Status, snippet(p.Body))
	}
	return b.follow(p)
}

func snippet(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// apiClient calls the JSON API with an optional bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (a *testApp) api(t *testing.T) *apiClient { return &apiClient{t: t, base: a.URL} }

type apiResp struct {
	Status int
	Raw    string
	Header http.Header
	JSON   map[string]any
}

func (c *apiClient) call(method, path string, body any, hdr ...string) apiResp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResp{Status: resp.StatusCode, Raw: string(raw), Header: resp.Header}
	_ = json.Unmarshal(raw, &r.JSON)
	return r
}

func (c *apiClient) login(user string) *apiClient {
	c.t.Helper()
	r := c.call("POST", "/api/v1/login", map[string]string{"username": user, "password": "yiwang-demo"})
	if r.Status != 200 {
		c.t.Fatalf("api login %s: %d %s", user, r.Status, r.Raw)
	}
	return &apiClient{t: c.t, base: c.base, token: r.JSON["token"].(string)}
}

// errCode returns the error code of an API error response, failing the
// test when the body is not in the one error shape.
func (r apiResp) errCode(t *testing.T) string {
	t.Helper()
	e, ok := r.JSON["error"].(map[string]any)
	if !ok {
		t.Fatalf("status %d without the error shape: %s", r.Status, r.Raw)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Fatalf("error without code or message: %s", r.Raw)
	}
	if strings.Contains(r.Raw, "goroutine") || strings.Contains(r.Raw, "panic") {
		t.Fatalf("error leaks internals: %s", r.Raw)
	}
	return code
}

func (r apiResp) str(key string) string {
	v, _ := r.JSON[key].(string)
	return v
}
