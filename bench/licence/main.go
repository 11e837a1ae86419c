// Command licence measures the electronic-licence speed budget of issue 6
// in process, starting nothing external: it opens a fresh SQLite database
// in a temporary directory (and a PostgreSQL one with -pg) through
// internal/app, loads the demo data (accounts, catalogue, licence types,
// department seals, the nine held licences; no sample cases), and then
// runs, each for -d with -c goroutines after -warmup:
//
//	qr-offline   licence.NewOfflineVerifier(trust).Verify(QR payload)
//	pdf-offline  the same for the licence PDF
//	qr-online    Service.Verify(verification link): keys and register
//	issue        Service.IssueDirect: sign, PDF, store, audit, one transaction
//
// It prints ops/s, ops/s per core (GOMAXPROCS), the CPU time of the
// process per op and p50/p99/max latency; -json prints one JSON object.
//
//	go run ./bench/licence
//	go run ./bench/licence -pg 'postgres://postgres@127.0.0.1:5432/yiwang_bench_licence?sslmode=disable'
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"yiwang/bench/internal/latency"
	"yiwang/internal/app"
	"yiwang/internal/demo"
	"yiwang/internal/licence"
)

type config struct {
	duration time.Duration
	warmup   time.Duration
	workers  int
	pg       string
	only     map[string]bool
	jsonOut  bool
}

func main() {
	cfg, err := parse(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "licence:", err)
		os.Exit(1)
	}
}

var scenarios = []string{"qr-offline", "pdf-offline", "qr-online", "issue"}

func parse(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var only string
	fs := flag.NewFlagSet("licence", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.duration, "d", 5*time.Second, "measured duration of each scenario (at most 10m)")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured warm-up of each scenario")
	fs.IntVar(&cfg.workers, "c", runtime.GOMAXPROCS(0), "concurrent goroutines, 1..256 (default GOMAXPROCS)")
	fs.StringVar(&cfg.pg, "pg", "", "also measure on this PostgreSQL database (postgres://…; its name must start with yiwang_bench; it must be empty)")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run ("+strings.Join(scenarios, ",")+"); default all")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the results as one JSON object")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	bad := func(f string, a ...any) (config, error) {
		fmt.Fprintf(stderr, f+"\n", a...)
		return cfg, errors.New("usage")
	}
	if cfg.duration <= 0 || cfg.duration > 10*time.Minute {
		return bad("-d must be in (0, 10m]")
	}
	if cfg.warmup < 0 || cfg.warmup > time.Minute {
		return bad("-warmup must be in [0, 1m]")
	}
	if cfg.workers < 1 || cfg.workers > 256 {
		return bad("-c must be 1..256")
	}
	if cfg.pg != "" && !strings.Contains(cfg.pg, "/yiwang_bench") {
		return bad("-pg: the database name must start with yiwang_bench")
	}
	if only != "" {
		cfg.only = map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			s = strings.TrimSpace(s)
			known := false
			for _, k := range scenarios {
				known = known || k == s
			}
			if !known {
				return bad("-only: unknown scenario %q", s)
			}
			cfg.only[s] = true
		}
	}
	return cfg, nil
}

// result is one scenario on one database.
type result struct {
	Database   string  `json:"database"`
	Scenario   string  `json:"scenario"`
	Workers    int     `json:"workers"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	Ops        uint64  `json:"ops"`
	Errors     uint64  `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"perSecond"`
	PerCore    float64 `json:"perSecondPerCore"`
	CPUPerOpUS float64 `json:"cpuPerOpUs"` // user+system CPU of the process per op
	P50MS      float64 `json:"p50Ms"`
	P99MS      float64 `json:"p99Ms"`
	MaxMS      float64 `json:"maxMs"`
	FirstError string  `json:"firstError,omitempty"`
}

type report struct {
	Date       string   `json:"date"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	NumCPU     int      `json:"numCPU"`
	LoadAvg    string   `json:"loadavg"`
	Results    []result `json:"results"`
}

func run(cfg config, out io.Writer) error {
	ctx := context.Background()
	rep := report{Date: time.Now().UTC().Format(time.RFC3339), GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), LoadAvg: loadavg()}
	dbs := []struct{ name, dsn string }{{"SQLite", ""}}
	if cfg.pg != "" {
		dbs = append(dbs, struct{ name, dsn string }{"PostgreSQL", cfg.pg})
	}
	for i, d := range dbs {
		rs, err := measureOn(ctx, cfg, d.name, d.dsn, i == 0)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		rep.Results = append(rep.Results, rs...)
	}
	rep.LoadAvg += " → " + loadavg()
	if cfg.jsonOut {
		return json.NewEncoder(out).Encode(rep)
	}
	printReport(out, rep)
	for _, r := range rep.Results {
		if r.Errors > 0 {
			return fmt.Errorf("%s on %s: %d errors, first: %s", r.Scenario, r.Database, r.Errors, r.FirstError)
		}
	}
	return nil
}

// measureOn builds a fresh installation and runs the scenarios on it; the
// offline ones (which need no database) only on the first.
func measureOn(ctx context.Context, cfg config, name, dsn string, offline bool) ([]result, error) {
	dir, err := os.MkdirTemp("", "yiwang-bench-licence-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	a, err := app.New(ctx, app.Config{DSN: dsn, DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "bench",
		DemoCases: app.NoDemoCases, PublicURL: "https://zwfw.example.gov.cn"})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if _, loaded, err := a.LoadDemo(ctx); err != nil {
		return nil, err
	} else if !loaded {
		return nil, errors.New("the database is not empty: give a fresh one")
	}
	lic := a.Licences
	company, err := a.Identity.Login(ctx, "company1", demo.Password, "127.0.0.1")
	if err != nil {
		return nil, err
	}
	held, err := lic.Mine(ctx, company)
	if err != nil {
		return nil, err
	}
	var food *licence.Licence
	for i := range held {
		if held[i].TypeName == "食品经营许可证" {
			food = &held[i]
		}
	}
	if food == nil {
		return nil, errors.New("company1 holds no 食品经营许可证")
	}
	_, file, err := lic.PDF(ctx, company, food.ID)
	if err != nil {
		return nil, err
	}
	trust, err := lic.TrustPEM(ctx)
	if err != nil {
		return nil, err
	}
	ov, err := licence.NewOfflineVerifier(trust)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	valid := func(r *licence.Result, err error) error {
		if err != nil {
			return err
		}
		if !r.Valid {
			return errors.New(r.Reason)
		}
		return nil
	}
	// Another 食品经营许可证 for company1, from the form demo.LoadLicences
	// fills.
	in := licence.IssueInput{TypeName: food.TypeName, DepartmentID: food.IssuerID, CompanyID: company.CompanyID, ItemCode: "bench",
		Form: map[string][]string{}}
	for k, v := range map[string]string{"companyName": "桐庐春江餐饮管理有限公司", "legalRep": "陈晓峰", "companyAddress": "浙江省杭州市桐庐县桐君街道迎春南路188号",
		"businessPlace": "浙江省杭州市桐庐县桐君街道迎春南路188号1楼", "mainBusiness": "餐饮服务经营者（中型餐馆）",
		"businessItems": "热食类食品制售；冷食类食品制售（不含烧卤熟肉）；预包装食品销售（含冷藏冷冻食品）", "safetyManager": "周建平"} {
		in.Form[k] = []string{v}
	}
	type scenario struct {
		name string
		op   func() error
	}
	all := []scenario{
		{"qr-offline", func() error { return valid(ov.Verify([]byte(food.QR), now), nil) }},
		{"pdf-offline", func() error { return valid(ov.Verify(file, now), nil) }},
		{"qr-online", func() error { return valid(lic.Verify(ctx, food.VerifyURL, nil)) }},
		{"issue", func() error {
			_, err := lic.IssueDirect(ctx, in, time.Now())
			return err
		}},
	}
	var out []result
	for _, s := range all {
		if cfg.only != nil && !cfg.only[s.name] || !offline && strings.HasSuffix(s.name, "-offline") {
			continue
		}
		if err := s.op(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		r := measure(cfg, s.op)
		r.Database, r.Scenario = name, s.name
		if strings.HasSuffix(s.name, "-offline") {
			r.Database = "none"
		}
		out = append(out, r)
	}
	return out, nil
}

// measure runs op on cfg.workers goroutines: warm-up, then cfg.duration.
func measure(cfg config, op func() error) result {
	var (
		mu       sync.Mutex
		hist     = latency.New()
		ops      uint64
		errs     uint64
		firstErr string
	)
	runFor := func(d time.Duration, record bool) time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		deadline := start.Add(d)
		for range cfg.workers {
			wg.Go(func() {
				h := latency.New()
				var n, e uint64
				var fe string
				for time.Now().Before(deadline) {
					t := time.Now()
					err := op()
					h.Record(time.Since(t))
					n++
					if err != nil {
						e++
						if fe == "" {
							fe = err.Error()
						}
					}
				}
				if record {
					mu.Lock()
					hist.Merge(h)
					ops += n
					errs += e
					if firstErr == "" {
						firstErr = fe
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	if cfg.warmup > 0 {
		runFor(cfg.warmup, false)
	}
	runtime.GC()
	cpu0 := cpuTime()
	elapsed := runFor(cfg.duration, true)
	cpu := cpuTime() - cpu0
	procs := runtime.GOMAXPROCS(0)
	r := result{Workers: cfg.workers, GOMAXPROCS: procs, Ops: ops, Errors: errs, FirstError: firstErr, Seconds: elapsed.Seconds(),
		P50MS: float64(hist.PercentileUS(50)) / 1000, P99MS: float64(hist.PercentileUS(99)) / 1000, MaxMS: float64(hist.MaxUS) / 1000}
	r.PerSecond = float64(ops) / elapsed.Seconds()
	r.PerCore = r.PerSecond / float64(procs)
	if ops > 0 {
		r.CPUPerOpUS = float64(cpu.Microseconds()) / float64(ops)
	}
	return r
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func printReport(out io.Writer, rep report) {
	fmt.Fprintf(out, "date        %s\n", rep.Date)
	fmt.Fprintf(out, "GOMAXPROCS  %d (NumCPU %d)\n", rep.GOMAXPROCS, rep.NumCPU)
	fmt.Fprintf(out, "load avg    %s (1/5/15 min, before → after)\n\n", rep.LoadAvg)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscenario\tgoroutines\tops\tops/s\tops/s/core\tCPU µs/op\tcore-rate/s\tp50 ms\tp99 ms\tmax ms\terrors\t")
	for _, r := range rep.Results {
		rate := 0.0
		if r.CPUPerOpUS > 0 {
			rate = 1e6 / r.CPUPerOpUS
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t\n", r.Database, r.Scenario, r.Workers, r.Ops,
			r.PerSecond, r.PerCore, r.CPUPerOpUS, rate, r.P50MS, r.P99MS, r.MaxMS, r.Errors)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nops/s/core = ops/s ÷ GOMAXPROCS; core-rate/s = 1e6 ÷ CPU µs/op (the process's CPU, GC included: what one")
	fmt.Fprintln(out, "core sustains however busy the machine's other processes keep it). Budget: verification ≥ 2 000/s per core,")
	fmt.Fprintln(out, "issue ≥ 200/s on the 2-core machine.")
}
