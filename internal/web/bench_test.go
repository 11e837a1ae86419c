package web_test

import (
	"net/http/httptest"
	"testing"
)

// In-process costs of a request through the whole middleware chain (no
// network); the load figures are in bench/README.md.
func benchRoute(b *testing.B, path string) {
	a := newDemoApp(b, "")
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = "127.0.0.1:1234"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		a.Server.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkSearchAPI(b *testing.B)   { benchRoute(b, "/api/v1/items?q=%E5%BC%80%E9%A5%AD%E5%BA%97") }
func BenchmarkCentresPage(b *testing.B) { benchRoute(b, "/centres") }
