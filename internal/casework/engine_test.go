package casework

import (
	"fmt"
	"testing"
)

func shipped(t *testing.T, id string) *Workflow {
	t.Helper()
	wfs, err := ShippedWorkflows()
	if err != nil {
		t.Fatal(err)
	}
	for i := range wfs {
		if wfs[i].ID == id {
			return &wfs[i]
		}
	}
	t.Fatalf("no shipped workflow %s", id)
	return nil
}

// run drives a case through a workflow with the engine alone, taking the
// named actions in order on the first open task that offers each.
func run(t *testing.T, w *Workflow, actions ...string) (caseState, []effect) {
	t.Helper()
	n := 0
	newForkID = func() string { n++; return fmt.Sprintf("fork%d", n) }
	taskN := 0
	st := caseState{Status: StatusSubmitted, Open: []openTask{{ID: "t0", Step: w.Start}}}
	var effects []effect
	for _, name := range actions {
		var task *openTask
		var act *ActionDef
		for i := range st.Open {
			s, _ := w.Step(st.Open[i].Step)
			if a, ok := s.Action(name); ok {
				task, act = &st.Open[i], a
				break
			}
		}
		if act == nil {
			t.Fatalf("no open task offers %q (open: %+v)", name, st.Open)
		}
		e, err := apply(w, st, *task, act)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		effects = append(effects, e)
		var open []openTask
		for _, o := range st.Open {
			cancelled := o.ID == e.Done
			for _, c := range e.Cancel {
				cancelled = cancelled || c == o.ID
			}
			if !cancelled {
				open = append(open, o)
			}
		}
		for _, c := range e.Create {
			taskN++
			open = append(open, openTask{ID: fmt.Sprintf("t%d", taskN), Step: c.Step, ForkID: c.ForkID})
		}
		st.Open, st.Status = open, e.Status
		st.Accepted = st.Accepted || e.Accept
		st.Decided = st.Decided || e.Decide != ""
	}
	return st, effects
}

func steps(st caseState) []string {
	var out []string
	for _, o := range st.Open {
		out = append(out, o.Step)
	}
	return out
}

func TestEngineStandardLifecycle(t *testing.T) {
	w := shipped(t, "standard")
	cases := []struct {
		actions []string
		status  Status
		open    string
	}{
		{[]string{"accept"}, StatusAccepted, "[review]"},
		{[]string{"accept", "pass"}, StatusProcessing, "[decide]"},
		{[]string{"accept", "pass", "approve"}, StatusClosed, "[deliver]"},
		{[]string{"accept", "pass", "approve", "handover"}, StatusCollected, "[]"},
		{[]string{"accept", "pass", "reexamine", "pass", "deny"}, StatusClosed, "[deliver]"},
		{[]string{"accept", "return"}, StatusClosed, "[deliver]"},
		{[]string{"refuse"}, StatusRefused, "[]"},
	}
	for _, tc := range cases {
		st, effs := run(t, w, tc.actions...)
		if st.Status != tc.status || fmt.Sprint(steps(st)) != tc.open {
			t.Errorf("%v: status %s open %v, want %s %s", tc.actions, st.Status, steps(st), tc.status, tc.open)
		}
		if !effs[0].Accept && tc.actions[0] == "accept" {
			t.Errorf("%v: accept did not start the clocks", tc.actions)
		}
	}
}

func TestEngineJoinWaitsForEveryBranch(t *testing.T) {
	w := shipped(t, "joint-zjj")
	st, _ := run(t, w, "accept")
	if fmt.Sprint(steps(st)) != "[review opinion]" || st.Open[0].ForkID == "" || st.Open[0].ForkID != st.Open[1].ForkID {
		t.Fatalf("fork: %+v", st.Open)
	}
	st, effs := run(t, w, "accept", "pass")
	if !effs[1].Arrived || fmt.Sprint(steps(st)) != "[opinion]" {
		t.Fatalf("first branch: arrived=%v open=%v", effs[1].Arrived, steps(st))
	}
	st, effs = run(t, w, "accept", "pass", "agree")
	if effs[2].Arrived || fmt.Sprint(steps(st)) != "[decide]" || st.Open[0].ForkID != "" {
		t.Fatalf("last branch: %+v %+v", effs[2], st.Open)
	}
	// The other order meets at the same place.
	st, _ = run(t, w, "accept", "agree", "pass")
	if fmt.Sprint(steps(st)) != "[decide]" {
		t.Fatalf("other order: %v", steps(st))
	}
	// A decision in one branch closes the other.
	st, effs = run(t, w, "accept", "return")
	if st.Status != StatusClosed || fmt.Sprint(steps(st)) != "[deliver]" || len(effs[1].Cancel) != 1 {
		t.Fatalf("return in a branch: %s %v %+v", st.Status, steps(st), effs[1])
	}
	st, _ = run(t, w, "accept", "agree", "pass", "approve", "handover")
	if st.Status != StatusCollected {
		t.Fatalf("joint case ends %s", st.Status)
	}
}

func TestEngineInstant(t *testing.T) {
	w := shipped(t, "instant")
	st, effs := run(t, w, "approve")
	if st.Status != StatusClosed || !effs[0].Accept || effs[0].Decide != "approved" || fmt.Sprint(steps(st)) != "[deliver]" {
		t.Fatalf("%s %+v", st.Status, effs[0])
	}
	if st, _ := run(t, w, "approve", "handover"); st.Status != StatusCollected {
		t.Fatalf("handover: %s", st.Status)
	}
}

func TestResultCodes(t *testing.T) {
	for _, tc := range []struct{ decision, itemType, want string }{
		{"approved", "01", "6"}, {"approved", "20", "0"}, {"denied", "01", "7"}, {"returned", "01", "1"},
		{"voided", "07", "2"}, {"unsupplemented", "01", "5"}, {"refused", "01", ""},
	} {
		if got := ResultCode(tc.decision, tc.itemType); got != tc.want {
			t.Errorf("%s/%s: %q want %q", tc.decision, tc.itemType, got, tc.want)
		}
	}
}
