package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// A step is one state-changing API call of a case's life. submit is
// POST /api/v1/cases; the others POST /api/v1/cases/{caseNo}/actions.
type stepDef struct {
	kind   string // submit | accept | pass | approve | handover
	actor  func(*fleet, int) *account
	status string // the case's status the answer must show
}

// fleet is every logged-in account and the prepared submissions.
type fleet struct {
	applicants []*account
	bodies     [][][]byte // per applicant, variants
	clerk      *account
	reviewer   *account
	decider    *account
}

func lifecycleSteps(handover bool) []stepDef {
	steps := []stepDef{
		{kind: "submit", status: "submitted"},
		{kind: "accept", actor: func(f *fleet, _ int) *account { return f.clerk }, status: "accepted"},
		{kind: "pass", actor: func(f *fleet, _ int) *account { return f.reviewer }, status: "processing"},
		{kind: "approve", actor: func(f *fleet, _ int) *account { return f.decider }, status: "closed"},
	}
	if handover {
		steps = append(steps, stepDef{kind: "handover", actor: func(f *fleet, _ int) *account { return f.clerk }, status: "collected"})
	}
	return steps
}

// kindStats is what one worker, or the merged run, saw for one step kind.
type kindStats struct {
	hist      *histogram // latency of every answered request, any status
	codes     map[int]int64
	transport int64
	wrong     int64             // 2xx whose case status was not the expected one
	samples   map[string]string // code → one error message
}

func newKindStats() *kindStats {
	return &kindStats{hist: newHistogram(), codes: map[int]int64{}, samples: map[string]string{}}
}

func (s *kindStats) merge(o *kindStats) {
	s.hist.Merge(o.hist)
	for c, n := range o.codes {
		s.codes[c] += n
	}
	s.transport += o.transport
	s.wrong += o.wrong
	for k, v := range o.samples {
		if _, ok := s.samples[k]; !ok {
			s.samples[k] = v
		}
	}
}

func (s *kindStats) ok() int64 {
	var n int64
	for c, k := range s.codes {
		if c >= 200 && c < 300 {
			n += k
		}
	}
	return n - s.wrong
}

type phaseStats struct {
	kinds       map[string]*kindStats
	lifecycles  int64 // cases taken through every step
	elapsed     time.Duration
	interrupted bool
	// Per second of the phase (by when the answer came): answers, and
	// answers slower than the step budget.
	perSecond, slowPerSecond []int64
}

// second counts an answer that arrived at end into the timeline.
func (ps *phaseStats) second(start, end time.Time, lat time.Duration) {
	i := int(end.Sub(start) / time.Second)
	for len(ps.perSecond) <= i {
		ps.perSecond, ps.slowPerSecond = append(ps.perSecond, 0), append(ps.slowPerSecond, 0)
	}
	ps.perSecond[i]++
	if lat > time.Duration(budgetP99MS)*time.Millisecond {
		ps.slowPerSecond[i]++
	}
}

type runner struct {
	api    *api
	fleet  *fleet
	steps  []stepDef
	idem   bool
	runTag string // makes Idempotency-Keys unique across runs
}

// phase runs workers that each repeat whole lifecycles until the deadline.
// A request in flight at the deadline is finished and counted (the elapsed
// time includes it); the case it belonged to is left where it stands.
// limit > 0 stops each worker after that many lifecycles.
func (r *runner) phase(ctx context.Context, workers int, deadline time.Time, name string, limit int) phaseStats {
	per := make([]phaseStats, workers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { per[w] = r.work(ctx, w, start, deadline, name, limit) })
	}
	wg.Wait()
	out := phaseStats{kinds: map[string]*kindStats{}, elapsed: time.Since(start), interrupted: ctx.Err() != nil}
	for _, st := range r.steps {
		out.kinds[st.kind] = newKindStats()
	}
	for _, p := range per {
		for k, s := range p.kinds {
			out.kinds[k].merge(s)
		}
		out.lifecycles += p.lifecycles
		for i, n := range p.perSecond {
			for len(out.perSecond) <= i {
				out.perSecond, out.slowPerSecond = append(out.perSecond, 0), append(out.slowPerSecond, 0)
			}
			out.perSecond[i] += n
			out.slowPerSecond[i] += p.slowPerSecond[i]
		}
	}
	return out
}

func (r *runner) work(ctx context.Context, w int, start, deadline time.Time, name string, limit int) phaseStats {
	ps := phaseStats{kinds: map[string]*kindStats{}}
	for _, st := range r.steps {
		ps.kinds[st.kind] = newKindStats()
	}
	ai := w % len(r.fleet.applicants)
	applicant := r.fleet.applicants[ai]
	bodies := r.fleet.bodies[ai]
	for iter := 0; ctx.Err() == nil && time.Now().Before(deadline) && (limit == 0 || iter < limit); iter++ {
		caseNo := ""
		done := true
		for _, st := range r.steps {
			if ctx.Err() != nil || !time.Now().Before(deadline) {
				done = false
				break
			}
			ks := ps.kinds[st.kind]
			var a answer
			var err error
			if st.kind == "submit" {
				var hdr map[string]string
				if r.idem {
					hdr = map[string]string{"Idempotency-Key": fmt.Sprintf("bench-%s-%s-%d-%d", r.runTag, name, w, iter)}
				}
				a, err = r.api.do(ctx, http.MethodPost, "/api/v1/cases", applicant.token, hdr, bodies[iter%len(bodies)], "application/json")
			} else {
				a, err = r.api.postJSON(ctx, "/api/v1/cases/"+caseNo+"/actions", st.actor(r.fleet, w).token, nil, actionBody(st.kind))
			}
			if err != nil {
				if ctx.Err() != nil {
					done = false
					break
				}
				ks.transport++
				if _, ok := ks.samples["transport"]; !ok {
					ks.samples["transport"] = err.Error()
				}
				done = false
				break
			}
			ks.hist.Record(a.latency)
			ps.second(start, time.Now(), a.latency)
			ks.codes[a.status]++
			if a.status < 200 || a.status > 299 {
				key := fmt.Sprint(a.status)
				if _, ok := ks.samples[key]; !ok {
					ks.samples[key] = a.errorMessage()
				}
				done = false
				break
			}
			var c struct {
				CaseNo string `json:"caseNo"`
				Status string `json:"status"`
			}
			if err := json.Unmarshal(a.body, &c); err != nil || c.Status != st.status || c.CaseNo == "" {
				ks.wrong++
				if _, ok := ks.samples["status"]; !ok {
					ks.samples["status"] = fmt.Sprintf("case %q answered status %q, want %q", c.CaseNo, c.Status, st.status)
				}
				done = false
				break
			}
			caseNo = c.CaseNo
		}
		if done {
			ps.lifecycles++
		}
	}
	return ps
}

// actionBody is the request of one staff step; a hand-over at the window
// records who collected the result.
func actionBody(kind string) any {
	if kind == "handover" {
		return map[string]any{"action": kind, "data": map[string]any{"collector": map[string]string{"name": "李建国", "idNumber": "330122198807154518"}}}
	}
	return map[string]string{"action": kind}
}
