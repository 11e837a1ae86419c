package web_test

import (
	"strings"
	"testing"
)

// FuzzAPIBodies sends arbitrary bodies to every JSON-taking route through
// the real router and database: the answer is always a 2xx or a 4xx in the
// error shape, never a 500 or a Go error text.
func FuzzAPIBodies(f *testing.F) {
	for _, s := range []string{`{"username":"citizen1","password":"yiwang-demo"}`, `{}`, `{"elderMode":true}`, `{"reason":"核验"}`,
		`{"code":"lyj","name":"林业局","creditCode":"113301220024932911","regionCode":"330122000000"}`, `{"username":"x","password":"abc12345!","name":"徐","idNumber":"1","phone":"2"}`, `nul`, "\x00"} {
		f.Add(s)
	}
	a := newApp(f, "")
	f.Fuzz(func(t *testing.T, body string) {
		c := a.api(t)
		admin := c.login("admin")
		routes := []struct {
			client       *apiClient
			method, path string
		}{
			{c, "POST", "/api/v1/login"}, {c, "POST", "/api/v1/register"},
			{admin, "POST", "/api/v1/departments"}, {admin, "PUT", "/api/v1/me/preferences"},
			{admin, "POST", "/api/v1/people/00000000-0000-0000-0000-000000000000/reveal"},
		}
		for _, rt := range routes {
			r := rt.client.call(rt.method, rt.path, body)
			if r.Status >= 500 {
				t.Fatalf("%s %s with %q: %d %s", rt.method, rt.path, body, r.Status, r.Raw)
			}
			if r.Status >= 400 {
				r.errCode(t)
			}
			if strings.Contains(r.Raw, "runtime error") {
				t.Fatalf("Go error text leaked: %s", r.Raw)
			}
		}
	})
}
