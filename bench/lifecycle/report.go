package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Issue 4's budget for the lifecycle.
const (
	budgetRatio = 0.5 // lifecycle steps/s ≥ half of pgbench -N tps
	budgetP99MS = 50.0
)

type latencyMS struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func latencyOf(h *histogram) latencyMS {
	ms := func(us uint64) float64 { return round2(float64(us) / 1000) }
	return latencyMS{P50: ms(h.PercentileUS(50)), P95: ms(h.PercentileUS(95)), P99: ms(h.PercentileUS(99)),
		Max: ms(h.MaxUS), Mean: round2(h.MeanUS() / 1000)}
}

type kindResult struct {
	Step      string            `json:"step"`
	Requests  int64             `json:"requests"`
	OK        int64             `json:"ok"`
	Non2xx    int64             `json:"non_2xx"`
	Transport int64             `json:"transport_errors"`
	Wrong     int64             `json:"wrong_status"`
	Codes     map[string]int64  `json:"codes"`
	Samples   map[string]string `json:"error_samples,omitempty"`
	Latency   latencyMS         `json:"latency_ms"`
}

type result struct {
	StartedAt   string         `json:"started_at"`
	Base        string         `json:"base"`
	Workers     int            `json:"workers"`
	Duration    string         `json:"duration"`
	Warmup      string         `json:"warmup"`
	Items       []string       `json:"items"`
	Applicants  []string       `json:"applicants"`
	StepsCount  []string       `json:"steps_counted"`
	ElapsedS    float64        `json:"elapsed_s"`
	Steps       int64          `json:"steps"` // 2xx steps with the expected status
	StepsPerS   float64        `json:"steps_per_s"`
	Lifecycles  int64          `json:"lifecycles"`
	LifecyclesS float64        `json:"lifecycles_per_s"`
	Kinds       []kindResult   `json:"per_step"`
	All         latencyMS      `json:"latency_ms"`
	Errors      int64          `json:"errors"`
	Pgbench     *pgbenchResult `json:"pgbench,omitempty"`
	PgbenchWhen string         `json:"pgbench_when,omitempty"`
	Ratio       float64        `json:"ratio,omitempty"` // steps_per_s / pgbench tps
	RatioPass   *bool          `json:"ratio_pass,omitempty"`
	P99Pass     bool           `json:"p99_pass"`
	PerSecond   []int64        `json:"answers_per_second"`
	SlowPerSec  []int64        `json:"slow_answers_per_second"` // slower than 50 ms
	Interrupted bool           `json:"interrupted,omitempty"`
	timeline    bool
}

// summarize turns the measured phase into the report; no I/O.
func summarize(cfg config, steps []stepDef, items []string, ps phaseStats, pg *pgbenchResult, startedAt time.Time) result {
	res := result{StartedAt: startedAt.UTC().Format(time.RFC3339), Base: cfg.base, Workers: cfg.workers,
		Duration: cfg.duration.String(), Warmup: cfg.warmup.String(), Items: items, Applicants: cfg.applicants,
		ElapsedS: math.Round(ps.elapsed.Seconds()*1000) / 1000, Lifecycles: ps.lifecycles, Interrupted: ps.interrupted, timeline: cfg.timeline}
	all := newHistogram()
	for _, st := range steps {
		ks := ps.kinds[st.kind]
		kr := kindResult{Step: st.kind, Codes: map[string]int64{}, Transport: ks.transport, Wrong: ks.wrong, Latency: latencyOf(ks.hist)}
		for c, n := range ks.codes {
			kr.Codes[strconv.Itoa(c)] += n
			kr.Requests += n
			if c < 200 || c > 299 {
				kr.Non2xx += n
			}
		}
		kr.Requests += ks.transport
		kr.OK = ks.ok()
		if len(ks.samples) > 0 {
			kr.Samples = ks.samples
		}
		res.StepsCount = append(res.StepsCount, st.kind)
		res.Steps += kr.OK
		res.Errors += kr.Non2xx + kr.Transport + kr.Wrong
		res.Kinds = append(res.Kinds, kr)
		all.Merge(ks.hist)
	}
	res.All = latencyOf(all)
	res.PerSecond, res.SlowPerSec = ps.perSecond, ps.slowPerSecond
	if ps.elapsed > 0 {
		res.StepsPerS = round2(float64(res.Steps) / ps.elapsed.Seconds())
		res.LifecyclesS = round2(float64(res.Lifecycles) / ps.elapsed.Seconds())
	}
	res.P99Pass = res.All.P99 <= budgetP99MS
	for _, k := range res.Kinds {
		res.P99Pass = res.P99Pass && k.Latency.P99 <= budgetP99MS
	}
	if pg != nil {
		res.Pgbench, res.PgbenchWhen = pg, cfg.pgbenchWhen
		res.Ratio, res.RatioPass = ratio(res.StepsPerS, pg.TPS)
	}
	return res
}

// ratio is lifecycle steps/s over pgbench tps (3 decimals) and whether it
// meets the budget.
func ratio(stepsPerS, tps float64) (float64, *bool) {
	if tps <= 0 {
		f := false
		return 0, &f
	}
	pass := stepsPerS/tps >= budgetRatio // unrounded: rounding must not turn a miss into a pass
	return math.Round(stepsPerS/tps*1000) / 1000, &pass
}

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

func formatCodes(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func formatText(r result) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "date        %s\n", r.StartedAt)
	fmt.Fprintf(&b, "target      %s\n", r.Base)
	fmt.Fprintf(&b, "items       %s\n", strings.Join(r.Items, " "))
	fmt.Fprintf(&b, "applicants  %s\n", strings.Join(r.Applicants, " "))
	fmt.Fprintf(&b, "workers     %d (-d %s, warmup %s)\n", r.Workers, r.Duration, r.Warmup)
	fmt.Fprintf(&b, "steps       %d in %.3f s = %.2f steps/s (counted: %s; each a 2xx with the expected status)\n",
		r.Steps, r.ElapsedS, r.StepsPerS, strings.Join(r.StepsCount, ", "))
	fmt.Fprintf(&b, "lifecycles  %d completed = %.2f/s\n", r.Lifecycles, r.LifecyclesS)
	fmt.Fprintf(&b, "latency ms  all steps: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f  (mean %.2f)\n",
		r.All.P50, r.All.P95, r.All.P99, r.All.Max, r.All.Mean)
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\trequests\tok\tnon-2xx\ttransport\twrong status\tp50\tp95\tp99\tmax\tcodes")
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\n", k.Step, k.Requests, k.OK, k.Non2xx, k.Transport, k.Wrong,
			k.Latency.P50, k.Latency.P95, k.Latency.P99, k.Latency.Max, formatCodes(k.Codes))
	}
	tw.Flush()
	for _, k := range r.Kinds {
		keys := make([]string, 0, len(k.Samples))
		for key := range k.Samples {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range keys {
			fmt.Fprintf(&b, "error       %s %s: %s\n", k.Step, key, k.Samples[key])
		}
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "errors      %d\n", r.Errors)
	if r.Pgbench != nil {
		p := r.Pgbench
		fmt.Fprintf(&b, "pgbench     %s (%s the lifecycle run)\n", p.Command, r.PgbenchWhen)
		fmt.Fprintf(&b, "pgbench     tps %.2f  latency avg %.3f ms  transactions %d  failed %d\n", p.TPS, p.LatencyAvgMS, p.Transactions, p.Failed)
		fmt.Fprintf(&b, "ratio       %.2f steps/s / %.2f tps = %.3f  (budget ≥ %.1f: %s)\n", r.StepsPerS, p.TPS, r.Ratio, budgetRatio, verdict(*r.RatioPass))
	}
	if r.timeline {
		fmt.Fprintf(&b, "timeline    second: answers (of them slower than %.0f ms)\n", budgetP99MS)
		for i, n := range r.PerSecond {
			fmt.Fprintf(&b, "            %3d: %6d (%d)\n", i, n, r.SlowPerSec[i])
		}
	}
	fmt.Fprintf(&b, "p99 budget  every step kind and all steps p99 ≤ %.0f ms: %s\n", budgetP99MS, verdict(r.P99Pass))
	return b.String()
}

func formatJSON(r result) (string, error) {
	b, err := json.Marshal(r)
	return string(b) + "\n", err
}
