// Command yiwang runs the integrated online government-services platform.
//
//	yiwang demo      start with an embedded SQLite database and demo data
//	yiwang serve     start the server
//	yiwang migrate   apply database migrations
//	yiwang audit verify   check the tamper-evident audit chain
//	yiwang version
//
// This is the only place that reads flags, environment variables and files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"yiwang/internal/app"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/demo"
	"yiwang/internal/identity"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// YIWANG_CPUPROFILE=FILE writes a CPU profile of the whole run (for
	// the benchmarks; see bench/README.md).
	if path := os.Getenv("YIWANG_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "yiwang:", err)
		}
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(int(ee))
		}
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

// exitError carries a specific exit status.
type exitError int

func (e exitError) Error() string { return "exit status " + strconv.Itoa(int(e)) }

const usage = `yiwang — 一体化在线政务服务平台

用法：
  yiwang demo    [--addr :8080] [--data ./yiwang-data]   载入演示数据（仅空数据目录）并启动
  yiwang serve   [--addr :8080] [--data DIR] [--db postgres://…]   启动服务
  yiwang migrate [--data DIR] [--db postgres://…]         执行数据库迁移
  yiwang import [--data DIR] [--db DSN] FILE              导入事项库（JSON 或 .xlsx；全部成功或全部不导入）
  yiwang export [--data DIR] [--db DSN] [--format json|xlsx] FILE   导出事项库
  yiwang audit verify [--data DIR] [--db postgres://…]    校验审计哈希链（被改动时退出码为 3）
  yiwang seal init|create|list|trust [--data DIR] …        制章机构、部门电子印章与所信任的证书
  yiwang licence verify [--trust CERTS | --data DIR] FILE 核验电子证照 PDF 或二维码内容（真实有效时退出码 0）
  yiwang version                                          显示版本

每个子命令都支持 --help。配置也可用环境变量：YIWANG_ADDR、YIWANG_DATA、YIWANG_DB、
YIWANG_DATA_KEY（个人信息加密主密钥，base64 编码的 32 字节）、YIWANG_PUBLIC_URL、YIWANG_SECURE_COOKIES、
YIWANG_LOG_LEVEL、YIWANG_LOG_FORMAT；邮件通知：YIWANG_SMTP_ADDR、YIWANG_SMTP_FROM、
YIWANG_SMTP_USER、YIWANG_SMTP_PASSWORD（未设置时通知写入日志）。
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError(2)
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], getenv, stdout, stderr, false)
	case "demo":
		return cmdServe(ctx, args[1:], getenv, stdout, stderr, true)
	case "migrate":
		return cmdMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return cmdImport(ctx, args[1:], getenv, stdout, stderr)
	case "export":
		return cmdExport(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			fmt.Fprint(stderr, "用法：yiwang audit verify [--data DIR] [--db DSN]\n")
			return exitError(2)
		}
		return cmdAuditVerify(ctx, args[2:], getenv, stdout, stderr)
	case "seal":
		return cmdSeal(ctx, args[1:], getenv, stdout, stderr)
	case "licence", "license":
		return cmdLicence(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "yiwang %s\n", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "未知子命令 %q\n\n%s", args[0], usage)
	return exitError(2)
}

// common holds the settings every database-using command shares.
type common struct {
	data      string
	dsn       string
	logLevel  string
	logFormat string
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func (c *common) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.data, "data", envOr(getenv, "YIWANG_DATA", "./yiwang-data"), "data directory: SQLite file, uploads, keys (env YIWANG_DATA)")
	fs.StringVar(&c.dsn, "db", getenv("YIWANG_DB"), "PostgreSQL DSN postgres://…; empty uses SQLite in the data directory (env YIWANG_DB)")
	fs.StringVar(&c.logLevel, "log-level", envOr(getenv, "YIWANG_LOG_LEVEL", "info"), "debug | info | warn | error (env YIWANG_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", envOr(getenv, "YIWANG_LOG_FORMAT", "text"), "text | json (env YIWANG_LOG_FORMAT)")
}

func (c *common) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %q 不是有效的日志级别（debug、info、warn、error）", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: 应为 text 或 json，而不是 %q", c.logFormat)
}

func (c *common) open(ctx context.Context) (*db.DB, error) {
	return db.Open(ctx, c.dsn, filepath.Join(c.data, "yiwang.db"))
}

func newFlagSet(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "用法：yiwang %s [参数]\n%s\n\n参数：\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "多余的参数：%v\n", fs.Args())
		return exitError(2)
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, withDemo bool) error {
	name, summary := "serve", "启动 yiwang 服务（启动时自动执行数据库迁移）。"
	if withDemo {
		name, summary = "demo", "在空数据目录（或空数据库）中载入演示数据后启动；已有数据时原样保留。所有演示账号的密码为 yiwang-demo。"
	}
	fs := newFlagSet(name, summary, stderr)
	var c common
	c.register(fs, getenv)
	addr := fs.String("addr", envOr(getenv, "YIWANG_ADDR", ":8080"), "listen address HOST:PORT (env YIWANG_ADDR)")
	publicURL := fs.String("public-url", getenv("YIWANG_PUBLIC_URL"), "address people reach yiwang at, for licence verification links and QR codes (env YIWANG_PUBLIC_URL; default http://<addr>)")
	secure := fs.Bool("secure-cookies", getenv("YIWANG_SECURE_COOKIES") == "1" || getenv("YIWANG_SECURE_COOKIES") == "true", "mark cookies Secure (behind a TLS proxy) (env YIWANG_SECURE_COOKIES)")
	var notices noticeFlags
	notices.register(fs, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	logOut := newBufferedLog(stderr)
	defer logOut.Close()
	log, err := c.logger(logOut)
	if err != nil {
		return err
	}
	start := time.Now()
	tuneGC(getenv, log)
	var key []byte
	if v := getenv("YIWANG_DATA_KEY"); v != "" {
		if key, err = parseKey(v); err != nil {
			return err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	notifyCfg, err := notices.config(log)
	if err != nil {
		return err
	}
	cfg := app.Config{DSN: c.dsn, DataDir: c.data, DataKey: key, Log: log, Version: version, SecureCookies: *secure, Registry: reg,
		Notify: notifyCfg, DeliverNotices: true, PublicURL: strings.TrimSuffix(*publicURL, "/")}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + displayAddr(*addr)
	}
	if withDemo {
		// The demo makes its few hundred sample cases while it already
		// serves, and lets administrators move the clock to watch deadlines.
		cfg.DemoCases, cfg.ClockControl = app.DemoCasesInBackground, true
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	dbDesc := filepath.Join(c.data, "yiwang.db")
	if a.DB.Dialect() == db.Postgres {
		dbDesc = db.RedactDSN(c.dsn)
	}
	log.Info("database ready", "dialect", a.DB.Dialect(), "db", dbDesc, "migrations_applied", a.Migrations)
	switch {
	case key != nil:
		log.Info("personal-data key loaded", "source", "YIWANG_DATA_KEY")
	case a.KeyCreated:
		log.Warn("created a new personal-data key; back it up — without it encrypted personal data cannot be read", "file", filepath.Join(c.data, "keys", "data.key"))
	default:
		log.Info("personal-data key loaded", "file", filepath.Join(c.data, "keys", "data.key"))
	}
	if withDemo {
		accounts, loaded, err := a.LoadDemo(ctx)
		if err != nil {
			return err
		}
		if loaded {
			printAccounts(stdout, accounts)
		} else {
			fmt.Fprintf(stdout, "数据目录已有数据，按原样启动（演示账号密码仍为 %s）。\n", demo.Password)
		}
	}
	srv := a.Server
	ids := a.Identity
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + displayAddr(ln.Addr().String())
	log.Info("yiwang listening", "url", url, "version", version, "startup", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "yiwang 已启动：%s\n", url)

	go purgeSessions(ctx, ids, log)
	// Build the catalogue snapshot (search index) now rather than on the
	// first visitor's request.
	go func() {
		if _, err := a.Catalog.Snapshot(ctx); err != nil {
			log.Warn("catalogue warm-up", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// tuneGC raises the GC target unless the operator set GOGC. yiwang's live
// heap is small (tens of MB), so with the default GOGC=100 a loaded server
// collects every few milliseconds and the pauses show in p99 latency;
// measured with bench/load, GOGC=400 roughly halves p99 for a few tens of
// MB more memory. GOMEMLIMIT, when set, still caps the heap.
func tuneGC(getenv func(string) string, log *slog.Logger) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(400)
	log.Debug("GC target set", "gogc", 400)
}

func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func printAccounts(w io.Writer, accounts []demo.Account) {
	fmt.Fprintf(w, "已载入演示数据。演示账号（密码均为 %s）：\n", demo.Password)
	for _, a := range accounts {
		fmt.Fprintf(w, "  %-12s %-6s %s\n", a.Username, a.Name, a.Role)
	}
}

func purgeSessions(ctx context.Context, ids *identity.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := ids.PurgeExpiredSessions(ctx); err != nil {
				log.Warn("purge sessions", "err", err)
			} else if n > 0 {
				log.Info("purged expired sessions", "count", n)
			}
		}
	}
}

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", "执行所有待执行的数据库迁移（SQLite 或 PostgreSQL）。", stderr)
	var c common
	c.register(fs, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, _, err := d.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s：执行了 %d 个迁移，当前版本 %d\n", d.Dialect(), n, cur)
	return nil
}

func cmdAuditVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit verify", "从头校验审计记录的哈希链：任何记录被改动、删除或截断都会被发现。完整时退出码 0，异常时 3。", stderr)
	var c common
	c.register(fs, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	if cur, latest, err := d.MigrationVersion(ctx); err != nil || cur == 0 || cur < latest {
		return fmt.Errorf("数据库尚未迁移或不是 yiwang 数据库（请先运行 yiwang migrate）")
	}
	rep, err := audit.Verify(ctx, d)
	if err != nil {
		return err
	}
	if !rep.OK {
		fmt.Fprintf(stdout, "审计链异常：%s（已检查 %d 条）\n", rep.Problem, rep.Checked)
		return exitError(3)
	}
	fmt.Fprintf(stdout, "审计链完整：%d 条记录，链头 #%d\n", rep.Checked, rep.HeadSeq)
	return nil
}
