package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// These tests check the tool's arithmetic and parsing, never how fast
// anything is.

const pgbenchOutput = `pgbench (15.20 (Debian 15.20-0+deb12u1))
starting vacuum...end.
transaction type: <builtin: simple update>
scaling factor: 10
query mode: simple
number of clients: 32
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 46600
number of failed transactions: 0 (0.000%)
latency average = 6.856 ms
initial connection time = 89.945 ms
tps = 4667.202894 (without initial connection time)
`

func TestParsePgbench(t *testing.T) {
	r, err := parsePgbench(pgbenchOutput)
	if err != nil {
		t.Fatal(err)
	}
	if r.TPS != 4667.202894 || r.LatencyAvgMS != 6.856 || r.Transactions != 46600 || r.Failed != 0 {
		t.Fatalf("parsed %+v", r)
	}
	if _, err := parsePgbench("pgbench: error: connection to server failed\n"); err == nil {
		t.Fatal("no tps line must be an error")
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		steps, tps float64
		want       float64
		pass       bool
	}{
		{2400, 4800, 0.5, true},
		{2399, 4800, 0.5, false}, // 0.49979 shows as 0.500 but misses
		{2390, 4800, 0.498, false},
		{1000, 4667.2, 0.214, false},
		{100, 0, 0, false},
	}
	for _, tt := range tests {
		got, pass := ratio(tt.steps, tt.tps)
		if got != tt.want || *pass != tt.pass {
			t.Errorf("ratio(%v, %v) = %v %v, want %v %v", tt.steps, tt.tps, got, *pass, tt.want, tt.pass)
		}
	}
}

func TestPgbenchSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{20 * time.Second: 20, 1500 * time.Millisecond: 2, time.Millisecond: 1} {
		if got := pgbenchSeconds(d); got != want {
			t.Errorf("pgbenchSeconds(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestSummarizeCountsSteps(t *testing.T) {
	steps := lifecycleSteps(false)
	ps := phaseStats{kinds: map[string]*kindStats{}, lifecycles: 9, elapsed: 2 * time.Second}
	for i, st := range steps {
		ks := newKindStats()
		for range 10 {
			ks.hist.Record(time.Duration(i+1) * time.Millisecond)
		}
		ks.codes[200] = 10
		ps.kinds[st.kind] = ks
	}
	ps.kinds["accept"].codes[409] = 1
	ps.kinds["accept"].hist.Record(60 * time.Millisecond)
	ps.kinds["pass"].wrong = 1
	cfg := config{workers: 4, duration: 2 * time.Second, applicants: []string{"citizen1"}}
	res := summarize(cfg, steps, []string{"x"}, ps, &pgbenchResult{TPS: 40}, time.Unix(0, 0))
	// 40 2xx answers, one of them with the wrong status: 39 steps in 2 s.
	if res.Steps != 39 || res.StepsPerS != 19.5 || res.Errors != 2 || res.Lifecycles != 9 || res.LifecyclesS != 4.5 {
		t.Fatalf("steps %d (%v/s), errors %d, lifecycles %d (%v/s)", res.Steps, res.StepsPerS, res.Errors, res.Lifecycles, res.LifecyclesS)
	}
	if res.Ratio != 0.488 || *res.RatioPass {
		t.Fatalf("ratio %v %v", res.Ratio, *res.RatioPass)
	}
	// accept: 10 × 2 ms and one 60 ms answer: p99 of 11 is the largest.
	if k := res.Kinds[1]; k.Step != "accept" || k.Requests != 11 || k.Non2xx != 1 || k.Latency.P99 != 60 || res.P99Pass {
		t.Fatalf("accept %+v, p99 pass %v", k, res.P99Pass)
	}
	if res.All.P50 != 3 || res.All.Max != 60 { // 41 answers: rank 21 is the first 3 ms one
		t.Fatalf("all steps %+v", res.All)
	}
	if out := formatText(res); !strings.Contains(out, "ratio       19.50 steps/s / 40.00 tps = 0.488  (budget ≥ 0.5: FAIL)") {
		t.Fatalf("report:\n%s", out)
	}
}

func TestInterleave(t *testing.T) {
	in := [][]byte{[]byte("a0"), []byte("a1"), []byte("b0"), []byte("b1"), []byte("c0"), []byte("c1")}
	var got []string
	for _, b := range interleave(in, 3) {
		got = append(got, string(b))
	}
	if strings.Join(got, " ") != "a0 b0 c0 a1 b1 c1" {
		t.Fatalf("interleave = %v", got)
	}
}

func TestParseConfig(t *testing.T) {
	noEnv := func(string) string { return "" }
	cfg, err := parseConfig(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.workers != 32 || cfg.password != defaultPassword || strings.Join(cfg.applicants, ",") != "citizen1,citizen2,company1" || !cfg.idem {
		t.Fatalf("defaults %+v", cfg)
	}
	for _, bad := range [][]string{
		{"-base", "http://10.0.0.1:8080"},
		{"-c", "0"},
		{"-d", "11m"},
		{"-pgbench-db", "postgres://postgres@127.0.0.1:5432/production"},
		{"-pgbench-db", "postgres://postgres@db.example.com:5432/yiwang_bench_x"},
		{"-pgbench-when", "during"},
	} {
		_, err := parseConfig(bad, noEnv, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", bad, err)
		}
	}
	cfg, err = parseConfig([]string{"-applicants", "citizen2", "-applicants", "company1", "-pgbench-db", "postgres://postgres@127.0.0.1:5432/yiwang_bench_pgbench?sslmode=disable"}, noEnv, io.Discard)
	if err != nil || strings.Join(cfg.applicants, ",") != "citizen2,company1" {
		t.Fatalf("%v %v", cfg.applicants, err)
	}
}

func TestRedactDSN(t *testing.T) {
	if got := redactDSN("postgres://u:secret@127.0.0.1/yiwang_bench"); got != "postgres://u:***@127.0.0.1/yiwang_bench" {
		t.Fatal(got)
	}
	if got := redactDSN("postgres://u@127.0.0.1/yiwang_bench"); got != "postgres://u@127.0.0.1/yiwang_bench" {
		t.Fatal(got)
	}
}

func TestPDFIsWellFormed(t *testing.T) {
	b := string(pdf(3))
	if !strings.HasPrefix(b, "%PDF-1.4") || !strings.HasSuffix(b, "%%EOF\n") || pdf(3)[0] != '%' || string(pdf(4)) == b {
		t.Fatal("pdf")
	}
}
