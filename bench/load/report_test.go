package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func statsOf(codes map[int]int64, transport int64, firstErr string, latUS ...uint64) routeStats {
	return routeStats{hist: histOf(latUS...), codes: codes, transport: transport, firstErr: firstErr}
}

var sampleStart = time.Date(2025, 11, 22, 2, 30, 0, 0, time.UTC)

func sampleConfig() config {
	return config{base: "http://127.0.0.1:8080", user: "citizen1", paths: []string{"/api/v1/me"},
		clients: 32, requests: 100, duration: 10 * time.Second, warmup: time.Second, login: true}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name       string
		cfg        func(*config)
		routes     []routeStats
		elapsed    time.Duration
		interrupt  bool
		wantReq    int64
		wantRPS    float64
		wantNon2xx int64
		wantTrans  int64
		wantOK     bool
		wantVerd   string
	}{
		{
			name:    "all 2xx",
			routes:  []routeStats{statsOf(map[int]int64{200: 100}, 0, "", seq(1000, 1099)...)},
			elapsed: 500 * time.Millisecond, wantReq: 100, wantRPS: 200, wantOK: true, wantVerd: "OK",
		},
		{
			name:    "4xx, 5xx and transport errors fail",
			routes:  []routeStats{statsOf(map[int]int64{200: 90, 404: 3, 500: 2}, 5, "connection reset", seq(1, 95)...)},
			elapsed: time.Second, wantReq: 100, wantRPS: 100, wantNon2xx: 5, wantTrans: 5,
			wantVerd: "FAIL: 5 non-2xx responses, 5 transport errors",
		},
		{
			name:    "3xx is not success",
			routes:  []routeStats{statsOf(map[int]int64{302: 100}, 0, "", seq(1, 100)...)},
			elapsed: time.Second, wantReq: 100, wantRPS: 100, wantNon2xx: 100, wantVerd: "FAIL: 100 non-2xx responses",
		},
		{
			name:    "nothing completed",
			cfg:     func(c *config) { c.requests = 0 },
			routes:  []routeStats{statsOf(map[int]int64{}, 0, "")},
			elapsed: time.Second, wantVerd: "FAIL: no request completed",
		},
		{
			name:    "stopped at cap before -n",
			routes:  []routeStats{statsOf(map[int]int64{200: 40}, 0, "", seq(1, 40)...)},
			elapsed: maxDuration, wantReq: 40, wantRPS: 0.07,
			wantVerd: "FAIL: stopped at the 10m0s cap after 40 of 100 requests",
		},
		{
			name:    "interrupted",
			routes:  []routeStats{statsOf(map[int]int64{200: 40}, 0, "", seq(1, 40)...)},
			elapsed: time.Second, interrupt: true, wantReq: 40, wantRPS: 40, wantVerd: "FAIL: interrupted",
		},
		{
			name: "two routes add up",
			cfg:  func(c *config) { c.paths = []string{"/a", "/b"} },
			routes: []routeStats{
				statsOf(map[int]int64{200: 50}, 0, "", seq(1, 50)...),
				statsOf(map[int]int64{200: 49, 503: 1}, 0, "", seq(1, 50)...),
			},
			elapsed: time.Second, wantReq: 100, wantRPS: 100, wantNon2xx: 1, wantVerd: "FAIL: 1 non-2xx responses",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sampleConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			r := summarize(cfg, phaseStats{routes: tt.routes, elapsed: tt.elapsed, interrupted: tt.interrupt}, sampleStart)
			if r.Requests != tt.wantReq || r.RPS != tt.wantRPS || r.Non2xx != tt.wantNon2xx ||
				r.TransportErrors != tt.wantTrans || r.OK != tt.wantOK || r.verdict() != tt.wantVerd {
				t.Fatalf("got requests %d rps %v non2xx %d transport %d ok %v verdict %q",
					r.Requests, r.RPS, r.Non2xx, r.TransportErrors, r.OK, r.verdict())
			}
			var sum int64
			for _, rr := range r.Routes {
				sum += rr.Requests
			}
			if sum != r.Requests {
				t.Fatalf("routes add up to %d, total %d", sum, r.Requests)
			}
		})
	}
}

func TestFormatText(t *testing.T) {
	cfg := sampleConfig()
	ps := phaseStats{
		routes:  []routeStats{statsOf(map[int]int64{200: 97, 404: 2, 500: 1}, 0, "", append(seq(1000, 1098), 25_000)...)},
		elapsed: 250 * time.Millisecond,
	}
	got := formatText(summarize(cfg, ps, sampleStart))
	want := `date        2025-11-22T02:30:00Z
target      http://127.0.0.1:8080 as citizen1 (bearer token)
paths       /api/v1/me
clients     32 (-n 100, warmup 1s)
requests    100
duration    0.250s
req/s       400.00
latency ms  p50 1.05  p90 1.09  p95 1.09  p99 1.10  max 25.00  (mean 1.29)
statuses    2xx 97  3xx 0  4xx 2  5xx 1
codes       200=97 404=2 500=1
errors      non-2xx 3  transport 0
result      FAIL: 3 non-2xx responses
`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestFormatTextRoutesTableAndFirstError(t *testing.T) {
	cfg := sampleConfig()
	cfg.paths = []string{"/api/v1/me", "/services"}
	cfg.login = false
	ps := phaseStats{
		routes: []routeStats{
			statsOf(map[int]int64{401: 50}, 0, "", seq(100, 149)...),
			statsOf(map[int]int64{200: 48}, 2, `Get "http://127.0.0.1:8080/services": EOF`, seq(2000, 2047)...),
		},
		elapsed: time.Second,
	}
	got := formatText(summarize(cfg, ps, sampleStart))
	for _, want := range []string{
		"target      http://127.0.0.1:8080 as anonymous\n",
		"first error Get \"http://127.0.0.1:8080/services\": EOF\n",
		"route       requests  non-2xx  transport  p50   p95   p99   max   codes\n",
		"/api/v1/me  50        50       0          0.12  0.15  0.15  0.15  401=50\n",
		"/services   50        0        2          2.02  2.05  2.05  2.05  200=48\n",
		"result      FAIL: 50 non-2xx responses, 2 transport errors\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestFormatJSON(t *testing.T) {
	cfg := sampleConfig()
	cfg.requests = 3
	ps := phaseStats{routes: []routeStats{statsOf(map[int]int64{200: 3}, 0, "", 1234, 5678, 9999)}, elapsed: time.Second}
	out, err := formatJSON(summarize(cfg, ps, sampleStart))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "}\n") {
		t.Fatalf("not one JSON line: %q", out)
	}
	var back result
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatal(err)
	}
	if back.Requests != 3 || back.Latency.P50 != 5.68 || back.Latency.Max != 10 || back.Classes["2xx"] != 3 ||
		back.Classes["5xx"] != 0 || back.Statuses["200"] != 3 || !back.OK || back.Limit != "-n 3" {
		t.Fatalf("round trip: %+v", back)
	}
}

// histOf is a histogram of the given latencies in microseconds.
func histOf(us ...uint64) *histogram {
	h := newHistogram()
	for _, v := range us {
		h.Record(time.Duration(v) * time.Microsecond)
	}
	return h
}

func seq(from, to uint64) []uint64 {
	var s []uint64
	for v := from; v <= to; v++ {
		s = append(s, v)
	}
	return s
}
