// Command lifecycle measures cases moving through their life on a running
// yiwang server: concurrent workers each repeat submit (an applicant,
// POST /api/v1/cases) → accept (the window clerk) → pass (the approver,
// review step) → approve (the department head, decide step) through the
// HTTP API, for a 承诺件 item of the standard workflow. It starts no
// server. With -pgbench-db it also runs pgbench -N with the same
// concurrency and duration against a scratch database on the same
// PostgreSQL server and prints the ratio steps/s ÷ pgbench tps.
//
//	go run ./bench/lifecycle -base http://127.0.0.1:18090 -c 32 -d 20s
//	go run ./bench/lifecycle -base … -pgbench-db 'postgres://postgres@127.0.0.1:5432/yiwang_bench_pgbench?sslmode=disable'
//
// Exit status: 0 every step answered 2xx with the expected status and the
// budget held; 1 any failed step or setup; 2 a bad command line; 3 no
// errors but a budget missed. See bench/README.md.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

type budgetError struct{}

func (budgetError) Error() string { return "budget missed" }

type failedError struct{ n int64 }

func (e failedError) Error() string { return fmt.Sprintf("%d steps failed", e.n) }

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "lifecycle:", err)
		return 2
	case errors.Is(err, budgetError{}):
		fmt.Fprintln(stderr, "lifecycle:", err)
		return 3
	default:
		fmt.Fprintln(stderr, "lifecycle:", err)
		return 1
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	c := newAPI(cfg)
	defer c.client.CloseIdleConnections()

	// Set-up: items, logins, uploads, prepared bodies.
	guides, err := c.findItems(ctx, cfg)
	if err != nil {
		return err
	}
	var items []string
	for _, g := range guides {
		items = append(items, g.Name+"="+g.Code)
	}
	f := &fleet{}
	for _, u := range cfg.applicants {
		acc, err := c.login(ctx, u, cfg.password)
		if err != nil {
			return err
		}
		if acc.kind != "person" && acc.kind != "company" {
			return fmt.Errorf("-applicants: %s is a %s account, not an applicant", u, acc.kind)
		}
		for i := range cfg.files {
			id, err := c.upload(ctx, acc, fmt.Sprintf("bench-%s-%d.pdf", u, i), pdf(len(f.applicants)*100+i))
			if err != nil {
				return err
			}
			acc.files = append(acc.files, id)
		}
		var bodies [][]byte
		served := 0
		for gi, g := range guides {
			if !serves(g, acc) {
				continue
			}
			b, err := buildBodies(g, acc, 8, uint64(gi*1000+len(f.applicants)*10))
			if err != nil {
				return err
			}
			bodies = append(bodies, b...)
			served++
		}
		if served == 0 {
			return fmt.Errorf("none of the items serves %s (a %s)", u, acc.kind)
		}
		// Interleave items so consecutive submissions differ.
		f.applicants = append(f.applicants, acc)
		f.bodies = append(f.bodies, interleave(bodies, served))
	}
	for _, p := range []struct {
		user string
		dst  **account
	}{{cfg.clerk, &f.clerk}, {cfg.reviewer, &f.reviewer}, {cfg.decider, &f.decider}} {
		acc, err := c.login(ctx, p.user, cfg.password)
		if err != nil {
			return err
		}
		if acc.kind != "staff" {
			return fmt.Errorf("%s is not a staff account", p.user)
		}
		*p.dst = acc
	}
	tag := make([]byte, 4)
	_, _ = rand.Read(tag)
	steps := lifecycleSteps(cfg.handover)
	r := &runner{api: c, fleet: f, steps: steps, idem: cfg.idem, runTag: hex.EncodeToString(tag)}

	var pg *pgbenchResult
	if cfg.pgbenchDB != "" && cfg.pgbenchWhen == "before" {
		fmt.Fprintf(stderr, "running pgbench -N for %d s first …\n", pgbenchSeconds(cfg.duration))
		if pg, err = runPgbench(ctx, cfg); err != nil {
			return err
		}
	}
	if cfg.prime {
		// One lifecycle alone, so that the server's caches (calendar,
		// catalogue, sessions, departments) are warm before the first burst
		// of submissions. Before a06ff87 such a burst could hang the
		// PostgreSQL pool (a transaction waiting for a second connection);
		// -prime=false reproduces that burst.
		p := r.phase(ctx, 1, time.Now().Add(time.Hour), "prime", 1)
		if p.interrupted {
			return errors.New("interrupted while priming")
		}
		if p.lifecycles != 1 {
			return fmt.Errorf("priming: the first case did not go through its life: %s", firstSample(p))
		}
	}
	if cfg.warmup > 0 {
		if w := r.phase(ctx, cfg.workers, time.Now().Add(cfg.warmup), "warmup", 0); w.interrupted {
			return errors.New("interrupted during warm-up")
		}
	}
	startedAt := time.Now()
	ps := r.phase(ctx, cfg.workers, startedAt.Add(cfg.duration), "run", 0)
	if ps.interrupted {
		return errors.New("interrupted")
	}
	if cfg.pgbenchDB != "" && cfg.pgbenchWhen == "after" {
		fmt.Fprintf(stderr, "running pgbench -N for %d s …\n", pgbenchSeconds(cfg.duration))
		if pg, err = runPgbench(ctx, cfg); err != nil {
			return err
		}
	}
	res := summarize(cfg, steps, items, ps, pg, startedAt)
	out := formatText(res)
	if cfg.jsonOut {
		if out, err = formatJSON(res); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(stdout, out); err != nil {
		return err
	}
	switch {
	case res.Errors > 0 || res.Steps == 0:
		return failedError{n: res.Errors}
	case !res.P99Pass || (res.RatioPass != nil && !*res.RatioPass):
		return budgetError{}
	}
	return nil
}

// firstSample is one error message of a phase, to say why it failed.
func firstSample(p phaseStats) string {
	for _, k := range p.kinds {
		for code, msg := range k.samples {
			return code + ": " + msg
		}
	}
	return "no answer"
}

// serves mirrors casework's check of the item's service objects: "1" is
// natural persons, every other code an organisation.
func serves(g itemGuide, acc *account) bool {
	for _, o := range g.ServiceObjects {
		if (o == "1") == (acc.kind == "person") {
			return true
		}
	}
	return false
}

// interleave orders bodies made item by item (variants each) so that item
// 0, 1, …, n-1 alternate.
func interleave(bodies [][]byte, items int) [][]byte {
	if items <= 1 {
		return bodies
	}
	per := len(bodies) / items
	out := make([][]byte, 0, len(bodies))
	for v := range per {
		for i := range items {
			out = append(out, bodies[i*per+v])
		}
	}
	return out
}
