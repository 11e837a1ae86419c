package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"yiwang/internal/calendar"
	"yiwang/internal/casework"
)

// This file is the pure part of the generator: when cases arrive, how
// they are numbered, and what a case looks like after a given sequence of
// actions under its workflow. The walk follows casework's engine for
// workflows without parallel branches (instant, standard, head-decides):
// the same statuses, the same tasks and the same clocks.

// arrivals returns n submission instants in [from, to), sorted, denser on
// working hours of weekdays (Beijing time) the way a county's cases come in.
func arrivals(r *rand.Rand, n int, from, to time.Time) []time.Time {
	span := to.Sub(from)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t := from.Add(time.Duration(r.Int64N(int64(span))))
		if r.Float64() < arrivalWeight(t) {
			out = append(out, t.UTC().Truncate(time.Microsecond))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// arrivalWeight is the relative chance of a submission at t (at most 1).
func arrivalWeight(t time.Time) float64 {
	bj := t.In(calendar.Shanghai)
	w := 1.0
	if wd := bj.Weekday(); wd == time.Saturday || wd == time.Sunday {
		w = 0.15
	}
	h := bj.Hour()
	switch {
	case h >= 9 && h < 12, h >= 14 && h < 17:
		return w
	case h >= 8 && h < 21:
		return w * 0.4
	default:
		return w * 0.05
	}
}

// numberer gives case numbers: region (6) + Beijing date (8) + sequence
// (5), the sequence counting per region and day from 1.
type numberer struct {
	last map[string]int64 // prefix → last sequence given
}

func newNumberer() *numberer { return &numberer{last: map[string]int64{}} }

func (nb *numberer) next(region string, at time.Time) (string, error) {
	prefix := region[:6] + calendar.DateOf(at).Time().Format("20060102")
	nb.last[prefix]++
	n := nb.last[prefix]
	if n > 99999 {
		return "", fmt.Errorf("more than 99999 cases on %s: spread them over more days", prefix)
	}
	return fmt.Sprintf("%s%05d", prefix, n), nil
}

// dueAt is casework's deadline arithmetic.
var dueAt = casework.DueAt

// Scripts are the action sequences a case of each workflow may go
// through, by outcome. An open case stops part-way through "approved".
var scripts = map[string]map[string][]string{
	"instant": {
		"approved": {"approve", "handover"},
		"denied":   {"deny", "handover"},
		"refused":  {"refuse"},
	},
	"standard": {
		"approved":   {"accept", "pass", "approve", "handover"},
		"denied":     {"accept", "pass", "deny", "handover"},
		"refused":    {"refuse"},
		"returned":   {"accept", "return", "handover"},
		"reexamined": {"accept", "pass", "reexamine", "pass", "approve", "handover"},
	},
}

func init() { scripts["head-decides"] = scripts["standard"] }

// outcome picks how a finished case ended.
func outcome(r *rand.Rand, workflow string) string {
	x := r.Float64()
	switch {
	case x < 0.05:
		return "refused"
	case x < 0.09:
		return "denied"
	case x < 0.12 && workflow != "instant":
		return "returned"
	case x < 0.14 && workflow != "instant":
		return "reexamined"
	}
	return "approved"
}

var comments = map[string]string{
	"refuse":    "申请材料不齐全且无法当场补正，不符合受理条件",
	"deny":      "经审查，申请人不符合法定条件",
	"return":    "申请材料与实际情况不符，予以退回",
	"reexamine": "请补充现场核查意见后重新审查",
}

// delay is how long after the previous action an action typically comes.
func delay(r *rand.Rand, action string) time.Duration {
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(r.Int64N(int64(hi-lo))) }
	switch action {
	case "accept", "refuse":
		return between(10*time.Minute, 6*time.Hour)
	case "pass", "return", "reexamine":
		return between(2*time.Hour, 48*time.Hour)
	case "approve", "deny":
		return between(30*time.Minute, 24*time.Hour)
	case "handover":
		return between(24*time.Hour, 5*24*time.Hour)
	}
	return between(time.Minute, time.Hour)
}

// schedule gives each action its instant: after submitted, spaced by
// delay, and squeezed proportionally to end before notAfter when the
// natural spacing would run past it.
func schedule(r *rand.Rand, submitted, notAfter time.Time, actions []string) []time.Time {
	out := make([]time.Time, len(actions))
	t := submitted
	for i, a := range actions {
		t = t.Add(delay(r, a))
		out[i] = t
	}
	if len(out) > 0 && out[len(out)-1].After(notAfter) {
		room := notAfter.Sub(submitted)
		total := out[len(out)-1].Sub(submitted)
		for i := range out {
			out[i] = submitted.Add(time.Duration(float64(out[i].Sub(submitted)) / float64(total) * float64(room)))
		}
	}
	for i := range out {
		out[i] = out[i].UTC().Truncate(time.Microsecond)
		if i > 0 && !out[i].After(out[i-1]) {
			out[i] = out[i-1].Add(time.Microsecond)
		}
	}
	return out
}

// actor is who takes an action, for the timeline and the tasks.
type actor struct {
	AccountID, Name, Org string
}

// caseSpec is what the walk needs to know about a case.
type caseSpec struct {
	ID             string
	Workflow       *casework.Workflow
	WindowQueue    string // window:<region>
	DeptQueue      string // dept:<department id>
	ItemType       string
	PromisedAmount int
	PromisedUnit   string
	LegalAmount    int
	LegalUnit      string
	Submitted      time.Time
	Submitter      actor
	Channel        string
}

type taskOut struct {
	ID, Step, StepName, Queue, Roles, Status string
	CreatedAt                                time.Time
	DueAt, DoneAt                            *time.Time
	DoneBy, Action                           string
}

type eventOut struct {
	ID                 string
	At                 time.Time
	Actor              actor
	Step, StepName     string
	Action, ActionName string
	From, To           casework.Status
	Comment            string
}

// walked is a case after its actions.
type walked struct {
	Status                            casework.Status
	Result, ResultCode                string
	AcceptedAt, DecidedAt, FinishedAt *time.Time
	PromisedDueAt, LegalDueAt         *time.Time
	Provisional                       bool
	Revision                          int
	UpdatedAt                         time.Time
	Tasks                             []taskOut
	Events                            []eventOut
}

// walk submits the case and applies the actions at their instants, each by
// the actor who returns for its step. newID makes the ids of tasks and
// events at an instant.
func walk(tab *calendar.Table, c caseSpec, actions []string, at []time.Time, who func(step *casework.StepDef) actor, newID func(time.Time) string) (*walked, error) {
	wf := c.Workflow
	w := &walked{Status: casework.StatusSubmitted, UpdatedAt: c.Submitted}
	submitName := "网上提交申请"
	if c.Channel == "0" {
		submitName = "窗口收件"
	}
	w.Events = append(w.Events, eventOut{ID: newID(c.Submitted), At: c.Submitted, Actor: c.Submitter, Action: "submit", ActionName: submitName,
		From: casework.StatusDraft, To: casework.StatusSubmitted})
	start, ok := wf.Step(wf.Start)
	if !ok {
		return nil, fmt.Errorf("workflow %s: no start step %q", wf.ID, wf.Start)
	}
	open, err := w.task(tab, c, start, c.Submitted, newID)
	if err != nil {
		return nil, err
	}
	for i, id := range actions {
		now := at[i]
		st, ok := wf.Step(w.Tasks[open].Step)
		if !ok {
			return nil, fmt.Errorf("workflow %s: no step %q", wf.ID, w.Tasks[open].Step)
		}
		act, ok := st.Action(id)
		if !ok {
			return nil, fmt.Errorf("workflow %s: step %s has no action %q", wf.ID, st.ID, id)
		}
		if len(act.To) > 1 {
			return nil, fmt.Errorf("workflow %s: parallel branches are not generated", wf.ID)
		}
		by := who(st)
		t := &w.Tasks[open]
		t.Status, t.DoneAt, t.DoneBy, t.Action = "done", ptrTime(now), by.AccountID, act.ID
		decidedBefore := w.DecidedAt != nil
		if act.Accept {
			w.AcceptedAt = ptrTime(now)
			due, prov, err := dueAt(tab, now, c.PromisedAmount, c.PromisedUnit)
			if err != nil {
				return nil, err
			}
			w.PromisedDueAt, w.Provisional = ptrTime(due), prov
			if c.LegalAmount > 0 {
				legal, lprov, err := dueAt(tab, now, c.LegalAmount, c.LegalUnit)
				if err != nil {
					return nil, err
				}
				w.LegalDueAt, w.Provisional = ptrTime(legal), prov || lprov
			}
		}
		if act.Decide != "" {
			w.DecidedAt = ptrTime(now)
			w.Result, w.ResultCode = act.Decide, casework.ResultCode(act.Decide, c.ItemType)
		}
		if act.Finish != "" {
			w.FinishedAt = ptrTime(now)
		}
		from := w.Status
		// The engine's status rule (engine.go).
		switch {
		case act.Finish == "collected":
			w.Status = casework.StatusCollected
		case act.Decide == "refused":
			w.Status = casework.StatusRefused
		case w.DecidedAt != nil:
			w.Status = casework.StatusClosed
		case act.Accept:
			w.Status = casework.StatusAccepted
		case w.AcceptedAt != nil:
			w.Status = casework.StatusProcessing
		default:
			w.Status = casework.StatusSubmitted
		}
		if act.Decide == "" && decidedBefore {
			w.Status = from
			if act.Finish == "collected" {
				w.Status = casework.StatusCollected
			}
		}
		open = -1
		if len(act.To) == 1 {
			next, ok := wf.Step(act.To[0])
			if !ok {
				return nil, fmt.Errorf("workflow %s: no step %q", wf.ID, act.To[0])
			}
			if open, err = w.task(tab, c, next, now, newID); err != nil {
				return nil, err
			}
		}
		w.Revision++
		w.UpdatedAt = now
		w.Events = append(w.Events, eventOut{ID: newID(now), At: now, Actor: by, Step: st.ID, StepName: st.Name, Action: act.ID, ActionName: act.Name,
			From: from, To: w.Status, Comment: comments[act.ID]})
		if open < 0 && i < len(actions)-1 {
			return nil, fmt.Errorf("workflow %s: %s ends the case, %d actions left", wf.ID, act.ID, len(actions)-1-i)
		}
	}
	return w, nil
}

// task opens a task of the case in step st at now, with casework's due
// rule (service.go taskFor), and returns its index.
func (w *walked) task(tab *calendar.Table, c caseSpec, st *casework.StepDef, now time.Time, newID func(time.Time) string) (int, error) {
	queue := c.DeptQueue
	switch st.Actor.Department {
	case casework.DeptWindow:
		queue = c.WindowQueue
	case casework.DeptOwner:
	default:
		return 0, fmt.Errorf("step %s names department %s: not generated", st.ID, st.Actor.Department)
	}
	roles := ","
	for _, r := range st.Actor.Roles {
		roles += r + ","
	}
	t := taskOut{ID: newID(now), Step: st.ID, StepName: st.Name, Queue: queue, Roles: roles, Status: "open", CreatedAt: now}
	switch {
	case st.Limit > 0:
		due, _, err := dueAt(tab, now, st.Limit, "1")
		if err != nil {
			return 0, err
		}
		if w.PromisedDueAt != nil && w.DecidedAt == nil && due.After(*w.PromisedDueAt) {
			due = *w.PromisedDueAt
		}
		t.DueAt = &due
	case w.PromisedDueAt != nil && w.DecidedAt == nil:
		due := *w.PromisedDueAt
		t.DueAt = &due
	}
	w.Tasks = append(w.Tasks, t)
	return len(w.Tasks) - 1, nil
}

func ptrTime(t time.Time) *time.Time { return &t }
