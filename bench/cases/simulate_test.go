package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"yiwang/internal/calendar"
	"yiwang/internal/casework"
)

// These tests check the generator's arithmetic and bookkeeping (numbers,
// schedules, the workflow walk), never how fast anything is.

func TestNumbererCountsPerRegionAndBeijingDay(t *testing.T) {
	nb := newNumberer()
	// 23:30 UTC on 30 Nov is 07:30 on 1 Dec in Beijing.
	late := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	want := []string{"3301222026120100001", "3301222026120100002", "3301222026120100003", "3301222026113000001"}
	got := []string{}
	for _, c := range []struct {
		region string
		at     time.Time
	}{{"330122000000", late}, {"330122000000", late.Add(time.Hour)}, {"330122102000", late}, {"330122000000", late.Add(-12 * time.Hour)}} {
		no, err := nb.next(c.region, c.at)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, no)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("numbers %v, want %v", got, want)
	}
	// A town's item (330122102000) numbers under its county's six digits.
	if nb.last["33012220261201"] != 3 {
		t.Fatalf("counter %d", nb.last["33012220261201"])
	}
	nb.last["33012220261202"] = 99999
	if _, err := nb.next("330122000000", time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)); err == nil {
		t.Fatal("a sixth digit must be refused")
	}
}

func TestScheduleSqueezesBeforeNotAfter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sub := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)
	notAfter := sub.Add(time.Hour)
	at := schedule(r, sub, notAfter, []string{"accept", "pass", "approve", "handover"})
	for i, a := range at {
		if !a.After(sub) || a.After(notAfter) || i > 0 && !a.After(at[i-1]) {
			t.Fatalf("instants %v not increasing inside (%s, %s]", at, sub, notAfter)
		}
	}
	// Far from now nothing is squeezed: a handover takes at least a day.
	far := schedule(r, sub, sub.Add(365*24*time.Hour), []string{"handover"})
	if far[0].Sub(sub) < 24*time.Hour {
		t.Fatalf("handover after %s", far[0].Sub(sub))
	}
}

func TestArrivalsSortedAndInRange(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(30 * 24 * time.Hour)
	ts := arrivals(r, 5000, from, to)
	if len(ts) != 5000 {
		t.Fatal(len(ts))
	}
	for i, x := range ts {
		if x.Before(from) || !x.Before(to) || i > 0 && x.Before(ts[i-1]) {
			t.Fatalf("arrival %d = %s", i, x)
		}
	}
}

func TestIDsAtAreVersion7WithTheirInstant(t *testing.T) {
	g := idsAt{r: rand.New(rand.NewPCG(5, 6))}
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	id := g.at(at)
	if len(id) != 36 || id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
		t.Fatalf("id %s", id)
	}
	ms := fmt.Sprintf("%012x", at.UnixMilli())
	if strings.ReplaceAll(id, "-", "")[:12] != ms {
		t.Fatalf("id %s does not start with %s", id, ms)
	}
}

func shipped(t *testing.T, id string) *casework.Workflow {
	t.Helper()
	wfs, err := casework.ShippedWorkflows()
	if err != nil {
		t.Fatal(err)
	}
	for i := range wfs {
		if wfs[i].ID == id {
			return &wfs[i]
		}
	}
	t.Fatalf("no workflow %s", id)
	return nil
}

func TestWalkFollowsTheEngine(t *testing.T) {
	tab := calendar.NewTable(nil)
	sub := time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC) // Tuesday 09:00 in Beijing
	n := 0
	newID := func(time.Time) string { n++; return fmt.Sprintf("id%d", n) }
	who := func(st *casework.StepDef) actor { return actor{AccountID: "staff-" + st.ID, Name: st.ID} }
	spec := caseSpec{ID: "c", Workflow: shipped(t, "standard"), WindowQueue: "window:330122000000", DeptQueue: "dept:scjg", ItemType: "01",
		PromisedAmount: 3, PromisedUnit: "1", LegalAmount: 10, LegalUnit: "1", Submitted: sub, Channel: "1"}
	actions := scripts["standard"]["approved"]
	at := []time.Time{sub.Add(time.Hour), sub.Add(2 * time.Hour), sub.Add(3 * time.Hour), sub.Add(48 * time.Hour)}
	tests := []struct {
		steps    int
		status   casework.Status
		openStep string // "" when no task is open
		openQ    string
	}{
		{0, casework.StatusSubmitted, "accept", "window:330122000000"},
		{1, casework.StatusAccepted, "review", "dept:scjg"},
		{2, casework.StatusProcessing, "decide", "dept:scjg"},
		{3, casework.StatusClosed, "deliver", "window:330122000000"},
		{4, casework.StatusCollected, "", ""},
	}
	for _, tt := range tests {
		w, err := walk(tab, spec, actions[:tt.steps], at[:tt.steps], who, newID)
		if err != nil {
			t.Fatal(err)
		}
		if w.Status != tt.status || w.Revision != tt.steps || len(w.Events) != tt.steps+1 || len(w.Tasks) != tt.steps+1 && tt.openStep != "" {
			t.Fatalf("after %d: status %s revision %d events %d tasks %d", tt.steps, w.Status, w.Revision, len(w.Events), len(w.Tasks))
		}
		var open []taskOut
		for _, tk := range w.Tasks {
			if tk.Status == "open" {
				open = append(open, tk)
			} else if tk.DoneAt == nil || tk.DoneBy != "staff-"+tk.Step {
				t.Fatalf("after %d: task %+v not closed by its step's actor", tt.steps, tk)
			}
		}
		switch {
		case tt.openStep == "" && len(open) != 0, tt.openStep != "" && (len(open) != 1 || open[0].Step != tt.openStep || open[0].Queue != tt.openQ):
			t.Fatalf("after %d: open tasks %+v, want %s in %s", tt.steps, open, tt.openStep, tt.openQ)
		}
		if tt.steps >= 1 {
			// Accepted on Tuesday 1 December, 3 working days: due Friday 4th,
			// late from Saturday 00:00 Beijing time; the review task runs
			// against the case's promise.
			wantDue := time.Date(2026, 12, 5, 0, 0, 0, 0, calendar.Shanghai)
			if w.PromisedDueAt == nil || !w.PromisedDueAt.Equal(wantDue) || w.LegalDueAt == nil {
				t.Fatalf("promised due %v, want %s", w.PromisedDueAt, wantDue)
			}
			if tt.steps == 1 && (open[0].DueAt == nil || !open[0].DueAt.Equal(wantDue)) {
				t.Fatalf("review task due %v", open[0].DueAt)
			}
		}
		if tt.steps >= 3 && (w.Result != "approved" || w.ResultCode != "6" || w.DecidedAt == nil) {
			t.Fatalf("decision %s %s", w.Result, w.ResultCode)
		}
		if tt.steps == 3 && open[0].DueAt != nil {
			t.Fatal("the deliver task after a decision has no due date")
		}
	}
	// Refused at the window: 不予受理, no code, nothing open.
	w, err := walk(tab, spec, []string{"refuse"}, at[:1], who, newID)
	if err != nil {
		t.Fatal(err)
	}
	if w.Status != casework.StatusRefused || w.Result != "refused" || w.ResultCode != "" || w.Tasks[0].Status != "done" || w.Events[1].Comment == "" {
		t.Fatalf("refused: %+v", w)
	}
	// An action the step does not have is an error, not a made-up case.
	if _, err := walk(tab, spec, []string{"approve"}, at[:1], who, newID); err == nil {
		t.Fatal("approve in the accept step must fail")
	}
}

func TestScriptsFitTheShippedWorkflows(t *testing.T) {
	tab := calendar.NewTable(nil)
	sub := time.Date(2026, 6, 2, 2, 0, 0, 0, time.UTC)
	for wfID, outcomes := range scripts {
		wf := shipped(t, wfID)
		for name, actions := range outcomes {
			at := make([]time.Time, len(actions))
			for i := range at {
				at[i] = sub.Add(time.Duration(i+1) * time.Hour)
			}
			spec := caseSpec{ID: "c", Workflow: wf, WindowQueue: "window:x", DeptQueue: "dept:y", ItemType: "20", PromisedUnit: "1", Submitted: sub}
			w, err := walk(tab, spec, actions, at, func(*casework.StepDef) actor { return actor{} }, func(time.Time) string { return "i" })
			if err != nil {
				t.Fatalf("%s %s: %v", wfID, name, err)
			}
			if w.Status.Open() || w.DecidedAt == nil {
				t.Fatalf("%s %s ends %s", wfID, name, w.Status)
			}
		}
	}
}
