// Command load is a load generator for the yiwang HTTP server: it logs in
// once, then drives -c concurrent keep-alive clients at one or more read
// routes for a duration or a request count, and reports throughput,
// latency percentiles and status counts. It exits 1 when any request
// failed, 2 on a bad command line. See bench/README.md.
//
//	go run ./bench/load -c 32 -d 20s -path /api/v1/me
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// failedError means the run completed but the server did not answer every
// request with 2xx; the report has already been printed.
type failedError struct{ verdict string }

func (e *failedError) Error() string { return e.verdict }

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "load:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "load:", err)
		return 1
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	client := newClient(cfg)
	defer client.CloseIdleConnections()

	var creds credentials
	if cfg.login {
		if creds, err = login(ctx, client, cfg.base, cfg.user, cfg.password, cfg.cookie); err != nil {
			return err
		}
	}
	urls := make([]string, len(cfg.paths))
	for i, p := range cfg.paths {
		if urls[i], err = targetURL(cfg.base, p); err != nil {
			return err
		}
	}
	r := &runner{client: client, urls: urls, creds: creds}

	if cfg.warmup > 0 {
		// Fills the connection pool and the server's caches; not reported.
		if w := r.phase(ctx, cfg.clients, 0, time.Now().Add(cfg.warmup)); w.interrupted {
			return errors.New("interrupted during warm-up")
		}
	}
	limit, length := cfg.requests, cfg.duration
	if limit > 0 {
		length = maxDuration // -n still stops by itself
	}
	startedAt := time.Now()
	res := summarize(cfg, r.phase(ctx, cfg.clients, limit, startedAt.Add(length)), startedAt)

	out := formatText(res)
	if cfg.jsonOut {
		if out, err = formatJSON(res); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(stdout, out); err != nil {
		return err
	}
	if !res.OK {
		return &failedError{verdict: res.verdict()}
	}
	return nil
}
