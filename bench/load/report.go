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

// latencyMS holds latencies in milliseconds rounded to 2 decimals.
type latencyMS struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type routeResult struct {
	Path            string           `json:"path"`
	Requests        int64            `json:"requests"`
	Non2xx          int64            `json:"non_2xx"`
	TransportErrors int64            `json:"transport_errors"`
	Statuses        map[string]int64 `json:"statuses"`
	Latency         latencyMS        `json:"latency_ms"`
}

// result is the whole report; -json prints it as is.
type result struct {
	StartedAt       string           `json:"started_at"`
	Base            string           `json:"base"`
	Auth            string           `json:"auth"`
	User            string           `json:"user,omitempty"`
	Paths           []string         `json:"paths"`
	Clients         int              `json:"clients"`
	Limit           string           `json:"limit"` // "-n 200" or "-d 10s"
	Warmup          string           `json:"warmup"`
	Requests        int64            `json:"requests"`
	DurationS       float64          `json:"duration_s"`
	RPS             float64          `json:"rps"`
	Latency         latencyMS        `json:"latency_ms"`
	Classes         map[string]int64 `json:"status_classes"` // 2xx..5xx, always present
	Statuses        map[string]int64 `json:"statuses"`       // per code
	Non2xx          int64            `json:"non_2xx"`
	TransportErrors int64            `json:"transport_errors"`
	FirstError      string           `json:"first_transport_error,omitempty"`
	Routes          []routeResult    `json:"routes"`
	Incomplete      string           `json:"incomplete,omitempty"`
	OK              bool             `json:"ok"`
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func latencyOf(h *histogram) latencyMS {
	ms := func(us uint64) float64 { return round2(float64(us) / 1000) }
	return latencyMS{
		P50:  ms(h.PercentileUS(50)),
		P90:  ms(h.PercentileUS(90)),
		P95:  ms(h.PercentileUS(95)),
		P99:  ms(h.PercentileUS(99)),
		Max:  ms(h.MaxUS),
		Mean: round2(h.MeanUS() / 1000),
	}
}

func statusClass(code int) string {
	if code >= 200 && code < 600 {
		return strconv.Itoa(code/100) + "xx"
	}
	return "other"
}

func authLabel(cfg config) string {
	switch {
	case !cfg.login:
		return "anonymous"
	case cfg.cookie:
		return "session cookie"
	default:
		return "bearer token"
	}
}

// summarize turns the measured phase into the report; it does no I/O.
func summarize(cfg config, ps phaseStats, startedAt time.Time) result {
	res := result{
		StartedAt: startedAt.UTC().Format(time.RFC3339),
		Base:      cfg.base,
		Auth:      authLabel(cfg),
		Paths:     cfg.paths,
		Clients:   cfg.clients,
		Limit:     "-d " + cfg.duration.String(),
		Warmup:    cfg.warmup.String(),
		DurationS: math.Round(ps.elapsed.Seconds()*1000) / 1000,
		Classes:   map[string]int64{"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0},
		Statuses:  map[string]int64{},
		Routes:    []routeResult{},
	}
	if cfg.login {
		res.User = cfg.user
	}
	if cfg.requests > 0 {
		res.Limit = "-n " + strconv.FormatInt(cfg.requests, 10)
	}
	all := newHistogram()
	for i, rs := range ps.routes {
		rr := routeResult{Path: cfg.paths[i], Statuses: map[string]int64{}, TransportErrors: rs.transport}
		for code, n := range rs.codes {
			key := strconv.Itoa(code)
			rr.Statuses[key] += n
			res.Statuses[key] += n
			res.Classes[statusClass(code)] += n
			rr.Requests += n
			if code < 200 || code > 299 {
				rr.Non2xx += n
			}
		}
		rr.Requests += rs.transport
		rr.Latency = latencyOf(rs.hist)
		res.Routes = append(res.Routes, rr)
		res.Requests += rr.Requests
		res.Non2xx += rr.Non2xx
		res.TransportErrors += rr.TransportErrors
		if res.FirstError == "" {
			res.FirstError = rs.firstErr
		}
		all.Merge(rs.hist)
	}
	res.Latency = latencyOf(all)
	if ps.elapsed > 0 {
		res.RPS = round2(float64(res.Requests) / ps.elapsed.Seconds())
	}
	switch {
	case ps.interrupted:
		res.Incomplete = "interrupted"
	case cfg.requests > 0 && res.Requests < cfg.requests:
		res.Incomplete = fmt.Sprintf("stopped at the %s cap after %d of %d requests", maxDuration, res.Requests, cfg.requests)
	}
	res.OK = res.Requests > 0 && res.Non2xx == 0 && res.TransportErrors == 0 && res.Incomplete == ""
	return res
}

// verdict says in one line why a run failed, or "OK".
func (r result) verdict() string {
	if r.OK {
		return "OK"
	}
	var why []string
	if r.Requests == 0 {
		why = append(why, "no request completed")
	}
	if r.Non2xx > 0 {
		why = append(why, fmt.Sprintf("%d non-2xx responses", r.Non2xx))
	}
	if r.TransportErrors > 0 {
		why = append(why, fmt.Sprintf("%d transport errors", r.TransportErrors))
	}
	if r.Incomplete != "" {
		why = append(why, r.Incomplete)
	}
	return "FAIL: " + strings.Join(why, ", ")
}

func formatCodes(statuses map[string]int64) string {
	if len(statuses) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys) // codes are three digits, so this is numeric order
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, statuses[k])
	}
	return strings.Join(parts, " ")
}

// formatText renders the human report: latencies in ms with 2 decimals.
func formatText(r result) string {
	var b bytes.Buffer
	who := r.Auth
	if r.User != "" {
		who = r.User + " (" + r.Auth + ")"
	}
	l := r.Latency
	fmt.Fprintf(&b, "date        %s\n", r.StartedAt)
	fmt.Fprintf(&b, "target      %s as %s\n", r.Base, who)
	fmt.Fprintf(&b, "paths       %s\n", strings.Join(r.Paths, " "))
	fmt.Fprintf(&b, "clients     %d (%s, warmup %s)\n", r.Clients, r.Limit, r.Warmup)
	fmt.Fprintf(&b, "requests    %d\n", r.Requests)
	fmt.Fprintf(&b, "duration    %.3fs\n", r.DurationS)
	fmt.Fprintf(&b, "req/s       %.2f\n", r.RPS)
	fmt.Fprintf(&b, "latency ms  p50 %.2f  p90 %.2f  p95 %.2f  p99 %.2f  max %.2f  (mean %.2f)\n",
		l.P50, l.P90, l.P95, l.P99, l.Max, l.Mean)
	fmt.Fprintf(&b, "statuses    2xx %d  3xx %d  4xx %d  5xx %d", r.Classes["2xx"], r.Classes["3xx"], r.Classes["4xx"], r.Classes["5xx"])
	if n := r.Classes["other"]; n > 0 {
		fmt.Fprintf(&b, "  other %d", n)
	}
	fmt.Fprintf(&b, "\ncodes       %s\n", formatCodes(r.Statuses))
	fmt.Fprintf(&b, "errors      non-2xx %d  transport %d\n", r.Non2xx, r.TransportErrors)
	if r.FirstError != "" {
		fmt.Fprintf(&b, "first error %s\n", r.FirstError)
	}
	if len(r.Routes) > 1 {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "route\trequests\tnon-2xx\ttransport\tp50\tp95\tp99\tmax\tcodes")
		for _, rr := range r.Routes {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\n", rr.Path, rr.Requests, rr.Non2xx,
				rr.TransportErrors, rr.Latency.P50, rr.Latency.P95, rr.Latency.P99, rr.Latency.Max, formatCodes(rr.Statuses))
		}
		tw.Flush()
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "result      %s\n", r.verdict())
	return b.String()
}

// formatJSON renders the report as one line of JSON.
func formatJSON(r result) (string, error) {
	out, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	return string(out) + "\n", nil
}
