package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Caps keep every run finite and sized for a developer machine: the tool
// must always stop by itself, even when started with a typo.
const (
	maxDuration = 10 * time.Minute
	maxRequests = 10_000_000
	maxClients  = 1024
	maxWarmup   = time.Minute
	maxTimeout  = time.Minute

	defaultBase     = "http://localhost:8080"
	defaultUser     = "citizen1"
	defaultPassword = "yiwang-demo"
	defaultPath     = "/api/v1/me"
	passwordEnv     = "YIWANG_BENCH_PASSWORD"
)

type config struct {
	base        string
	user        string
	password    string
	paths       []string
	clients     int
	duration    time.Duration // used when requests == 0
	requests    int64         // total measured requests; 0 means run for duration
	warmup      time.Duration
	timeout     time.Duration
	login       bool
	cookie      bool
	jsonOut     bool
	allowRemote bool
}

// usageError marks mistakes in the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

type pathList []string

func (p *pathList) String() string { return strings.Join(*p, ",") }
func (p *pathList) Set(s string) error {
	*p = append(*p, s)
	return nil
}

// parseConfig reads the command line; getenv supplies the password when the
// flag is absent so that it need not appear in the process list.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	var paths pathList
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./bench/load [flags]   (load generator for a local yiwang server; see bench/README.md)")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.base, "base", defaultBase, "server base URL (loopback only unless -allow-remote)")
	fs.StringVar(&cfg.user, "user", defaultUser, "user name to log in as")
	// The default is not shown in -h: passwords are never printed.
	fs.StringVar(&cfg.password, "password", "", "password (default: $"+passwordEnv+", else the demo password)")
	fs.Var(&paths, "path", "path to GET, repeatable: several paths are hit round-robin (default "+defaultPath+")")
	fs.IntVar(&cfg.clients, "c", 32, fmt.Sprintf("concurrent clients (1..%d)", maxClients))
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "measured duration (at most "+maxDuration.String()+"); exclusive with -n")
	fs.Int64Var(&cfg.requests, "n", 0, fmt.Sprintf("total measured requests instead of a duration (1..%d)", maxRequests))
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured warm-up before the run (at most "+maxWarmup.String()+")")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request timeout (at most "+maxTimeout.String()+")")
	fs.BoolVar(&cfg.login, "login", true, "log in first; false hits the paths anonymously")
	fs.BoolVar(&cfg.cookie, "cookie", false, "send the session cookie set by the login instead of the bearer token")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the result as one JSON object")
	fs.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow a non-loopback target (policy: load tests run against local servers only)")
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
		cfg.password = getenv(passwordEnv)
		if cfg.password == "" {
			cfg.password = defaultPassword
		}
	}
	cfg.paths = paths
	if len(cfg.paths) == 0 {
		cfg.paths = []string{defaultPath}
	}
	if set["n"] && set["d"] {
		return cfg, usagef("-d and -n are exclusive: give a duration or a request count")
	}
	return cfg, validate(cfg)
}

// validate checks a parsed configuration; it does no I/O.
func validate(cfg config) error {
	if cfg.clients < 1 || cfg.clients > maxClients {
		return usagef("-c must be between 1 and %d, got %d", maxClients, cfg.clients)
	}
	if cfg.requests < 0 || cfg.requests > maxRequests {
		return usagef("-n must be between 1 and %d, got %d", maxRequests, cfg.requests)
	}
	if cfg.requests == 0 && (cfg.duration <= 0 || cfg.duration > maxDuration) {
		return usagef("-d must be more than 0 and at most %s, got %s", maxDuration, cfg.duration)
	}
	if cfg.warmup < 0 || cfg.warmup > maxWarmup {
		return usagef("-warmup must be between 0 and %s, got %s", maxWarmup, cfg.warmup)
	}
	if cfg.timeout <= 0 || cfg.timeout > maxTimeout {
		return usagef("-timeout must be more than 0 and at most %s, got %s", maxTimeout, cfg.timeout)
	}
	if cfg.cookie && !cfg.login {
		return usagef("-cookie needs -login=true: the cookie comes from the login")
	}
	if cfg.login && cfg.user == "" {
		return usagef("-user must not be empty when logging in")
	}
	base, err := parseBase(cfg.base)
	if err != nil {
		return err
	}
	if err := checkTarget(base, cfg.allowRemote); err != nil {
		return err
	}
	if len(cfg.paths) == 0 {
		return usagef("at least one -path is needed")
	}
	for _, p := range cfg.paths {
		if _, err := targetURL(cfg.base, p); err != nil {
			return err
		}
	}
	return nil
}

// parseBase accepts scheme://host[:port][/prefix] and nothing more, so that
// the host checked for loopback is the host every request goes to.
func parseBase(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usagef("-base %q is not a URL: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, usagef("-base %q must start with http:// or https://", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, usagef("-base %q has no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, usagef("-base %q must not carry credentials, a query or a fragment", raw)
	}
	return u, nil
}

// targetURL joins base and path and checks the result still points at the
// base's host.
func targetURL(base, path string) (string, error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return "", usagef("-path %q must start with a single /", path)
	}
	if strings.ContainsAny(path, " \t\r\n#") {
		return "", usagef("-path %q must not contain spaces or a fragment", path)
	}
	b, err := parseBase(base)
	if err != nil {
		return "", err
	}
	full := strings.TrimSuffix(b.String(), "/") + path
	u, err := url.Parse(full)
	if err != nil {
		return "", usagef("-path %q: %v", path, err)
	}
	if u.Host != b.Host {
		return "", usagef("-path %q leaves the base host", path)
	}
	return full, nil
}
