package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Caps keep every run finite, like bench/load's.
const (
	maxDuration = 10 * time.Minute
	maxWorkers  = 512
	maxWarmup   = time.Minute
	maxTimeout  = time.Minute

	defaultBase     = "http://127.0.0.1:18090"
	defaultPassword = "yiwang-demo"
	passwordEnv     = "YIWANG_BENCH_PASSWORD"
)

type config struct {
	base       string
	password   string
	applicants []string
	clerk      string // accept
	reviewer   string // pass
	decider    string // approve
	items      []string
	query      string // catalogue search used when no -item is given
	dept       string
	workers    int
	duration   time.Duration
	warmup     time.Duration
	timeout    time.Duration
	files      int // uploads per applicant
	idem       bool
	handover   bool
	prime      bool
	timeline   bool
	jsonOut    bool

	pgbenchDB    string
	pgbenchWhen  string // before | after
	pgbenchScale int
	pgbenchBin   string
	pgbenchCPUs  string // taskset -c list for pgbench; "" runs it unpinned
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	var applicants, items listFlag
	fs := flag.NewFlagSet("lifecycle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/lifecycle [flags]   (submit → accept → pass → approve through the HTTP API of a local yiwang; see bench/README.md)")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.base, "base", defaultBase, "server base URL (loopback only)")
	fs.StringVar(&cfg.password, "password", "", "password of every account (default: $"+passwordEnv+", else the demo password)")
	fs.Var(&applicants, "applicants", "applicant accounts, comma-separated or repeated; workers take them round-robin (default citizen1,citizen2,company1)")
	fs.StringVar(&cfg.clerk, "clerk", "window1", "window clerk who accepts")
	fs.StringVar(&cfg.reviewer, "reviewer", "scjg1", "approver who passes the review step")
	fs.StringVar(&cfg.decider, "decider", "scjgfz", "approver or department head who approves in the decide step")
	fs.Var(&items, "item", "item code to apply for, repeatable (default: every item that -q and -dept find and that runs the standard workflow)")
	fs.StringVar(&cfg.query, "q", "食品经营许可", "catalogue search for items when no -item is given")
	fs.StringVar(&cfg.dept, "dept", "scjg", "department code the items must belong to (the staff accounts' department)")
	fs.IntVar(&cfg.workers, "c", 32, fmt.Sprintf("concurrent workers, each running whole lifecycles (1..%d)", maxWorkers))
	fs.DurationVar(&cfg.duration, "d", 20*time.Second, "measured duration (at most "+maxDuration.String()+")")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured warm-up of the same work (at most "+maxWarmup.String()+")")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request timeout")
	fs.IntVar(&cfg.files, "files", 3, "PDFs uploaded per applicant before the run (1..20), attached round-robin")
	fs.BoolVar(&cfg.idem, "idempotency", true, "send an Idempotency-Key with every submission, as a retrying client would")
	fs.BoolVar(&cfg.handover, "handover", false, "also hand the result over at the window (a fifth step, handover, by -clerk)")
	fs.BoolVar(&cfg.prime, "prime", true, "take one case through its life alone before the concurrent warm-up, so the server's caches are warm when the first burst arrives")
	fs.BoolVar(&cfg.timeline, "timeline", false, "also print answers per second of the run, and how many were slower than 50 ms")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the result as one JSON object")
	fs.StringVar(&cfg.pgbenchDB, "pgbench-db", "", "also run pgbench -i then pgbench -N on this scratch database (postgres://…/yiwang_bench…); the tool prints both figures and the ratio")
	fs.StringVar(&cfg.pgbenchWhen, "pgbench-when", "after", "run pgbench before or after the lifecycle run")
	fs.IntVar(&cfg.pgbenchScale, "pgbench-scale", 10, "pgbench -i scale factor")
	fs.StringVar(&cfg.pgbenchBin, "pgbench-bin", "pgbench", "pgbench executable")
	fs.StringVar(&cfg.pgbenchCPUs, "pgbench-cpus", "", "run pgbench under taskset -c LIST (pin it where this tool runs); empty: unpinned")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return cfg, usagef("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["password"] {
		if cfg.password = getenv(passwordEnv); cfg.password == "" {
			cfg.password = defaultPassword
		}
	}
	cfg.applicants = applicants
	if len(cfg.applicants) == 0 {
		cfg.applicants = []string{"citizen1", "citizen2", "company1"}
	}
	cfg.items = items
	return cfg, validate(cfg)
}

func validate(cfg config) error {
	switch {
	case cfg.workers < 1 || cfg.workers > maxWorkers:
		return usagef("-c must be between 1 and %d, got %d", maxWorkers, cfg.workers)
	case cfg.duration <= 0 || cfg.duration > maxDuration:
		return usagef("-d must be more than 0 and at most %s, got %s", maxDuration, cfg.duration)
	case cfg.warmup < 0 || cfg.warmup > maxWarmup:
		return usagef("-warmup must be between 0 and %s, got %s", maxWarmup, cfg.warmup)
	case cfg.timeout <= 0 || cfg.timeout > maxTimeout:
		return usagef("-timeout must be more than 0 and at most %s", maxTimeout)
	case cfg.files < 1 || cfg.files > 20:
		return usagef("-files must be between 1 and 20, got %d", cfg.files)
	case cfg.clerk == "" || cfg.reviewer == "" || cfg.decider == "":
		return usagef("-clerk, -reviewer and -decider must name accounts")
	case len(cfg.items) == 0 && cfg.query == "" && cfg.dept == "":
		return usagef("give -item, or -q / -dept to find items")
	case cfg.pgbenchWhen != "before" && cfg.pgbenchWhen != "after":
		return usagef("-pgbench-when must be before or after, got %q", cfg.pgbenchWhen)
	case cfg.pgbenchScale < 1 || cfg.pgbenchScale > 1000:
		return usagef("-pgbench-scale must be between 1 and 1000")
	}
	u, err := url.Parse(cfg.base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return usagef("-base %q must be http(s)://host[:port][/prefix]", cfg.base)
	}
	if !isLoopbackHost(u.Hostname()) {
		return usagef("refusing %s: host %q is not loopback; load tests run only against local servers", u.Redacted(), u.Hostname())
	}
	if cfg.pgbenchDB != "" {
		if err := checkPgbenchDSN(cfg.pgbenchDB); err != nil {
			return err
		}
	}
	return nil
}

// checkPgbenchDSN: pgbench -i drops and recreates the pgbench_* tables, so
// only a local scratch database whose name says so is accepted.
func checkPgbenchDSN(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return usagef("-pgbench-db must be a postgres:// URL")
	}
	if !isLoopbackHost(u.Hostname()) {
		return usagef("-pgbench-db host %q is not loopback", u.Hostname())
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !strings.HasPrefix(name, "yiwang_bench") {
		return usagef("-pgbench-db database %q: pgbench -i rewrites it, so its name must start with yiwang_bench", name)
	}
	return nil
}

// isLoopbackHost: "localhost" or a literal 127.0.0.0/8 or ::1 address (the
// same policy as bench/load).
func isLoopbackHost(host string) bool {
	if h := strings.TrimSuffix(strings.ToLower(host), "."); h == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

// loopbackOnlyDial refuses any connection to a resolved non-loopback address.
func loopbackOnlyDial(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.Unmap().IsLoopback() {
		return fmt.Errorf("refusing to connect to non-loopback address %s", address)
	}
	return nil
}
