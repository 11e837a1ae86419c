package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pgbenchResult is one pgbench -N run.
type pgbenchResult struct {
	Command      string  `json:"command"`
	Scale        int     `json:"scale"`
	Clients      int     `json:"clients"`
	Threads      int     `json:"threads"`
	Seconds      int     `json:"seconds"`
	TPS          float64 `json:"tps"`
	LatencyAvgMS float64 `json:"latency_avg_ms"`
	Transactions int64   `json:"transactions"`
	Failed       int64   `json:"failed"`
}

var (
	reTPS     = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
	reLatency = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
	reTx      = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	reFailed  = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// parsePgbench reads the summary pgbench prints at the end of a run.
func parsePgbench(out string) (pgbenchResult, error) {
	var r pgbenchResult
	m := reTPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no \"tps = … (without initial connection time)\" line in pgbench's output")
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := reLatency.FindStringSubmatch(out); m != nil {
		r.LatencyAvgMS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reTx.FindStringSubmatch(out); m != nil {
		r.Transactions, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reFailed.FindStringSubmatch(out); m != nil {
		r.Failed, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}

// pgbenchSeconds is -T for a run as long as d (whole seconds, at least 1).
func pgbenchSeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

func (cfg config) pgbenchCommand(args ...string) *exec.Cmd {
	full := append(args, cfg.pgbenchDB)
	if cfg.pgbenchCPUs != "" {
		return exec.Command("taskset", append([]string{"-c", cfg.pgbenchCPUs, cfg.pgbenchBin}, full...)...)
	}
	return exec.Command(cfg.pgbenchBin, full...)
}

// runPgbench initialises the scratch database (pgbench -i) and measures
// pgbench -N with the lifecycle's concurrency for its duration.
func runPgbench(ctx context.Context, cfg config) (*pgbenchResult, error) {
	initCmd := cfg.pgbenchCommand("-i", "-q", "-s", strconv.Itoa(cfg.pgbenchScale))
	if out, err := initCmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgbench -i: %v\n%s", err, out)
	}
	secs := pgbenchSeconds(cfg.duration)
	args := []string{"-N", "-c", strconv.Itoa(cfg.workers), "-j", "2", "-T", strconv.Itoa(secs)}
	cmd := cfg.pgbenchCommand(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return nil, fmt.Errorf("pgbench: %v\n%s", err, out.String())
		}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		return nil, ctx.Err()
	}
	r, err := parsePgbench(out.String())
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out.String())
	}
	r.Scale, r.Clients, r.Threads, r.Seconds = cfg.pgbenchScale, cfg.workers, 2, secs
	r.Command = strings.Join(cmd.Args[:len(cmd.Args)-1], " ") + " " + redactDSN(cfg.pgbenchDB)
	return &r, nil
}

// redactDSN hides a password in a DSN before it is printed.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return dsn[:i+3] + rest[:colon] + ":***" + rest[at:]
			}
		}
	}
	return dsn
}
