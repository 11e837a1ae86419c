package casework

import "yiwang/internal/apperr"

// The engine is pure: given a workflow, where a case stands and an action
// taken on one of its open tasks, it says what changes. The service
// carries the change out in one transaction.

// openTask is an open task as the engine sees it.
type openTask struct {
	ID     string
	Step   string
	ForkID string
}

// caseState is what the engine needs to know about a case.
type caseState struct {
	Status   Status
	Accepted bool
	Decided  bool
	Open     []openTask
}

// newTask is a task to create.
type newTask struct {
	Step   string
	ForkID string
}

// effect is the outcome of an action.
type effect struct {
	Done    string    // the task the action completed
	Cancel  []string  // other open tasks closed by a decision
	Create  []newTask // tasks to open
	Accept  bool      // the case is accepted now: the clocks start
	Decide  string    // the case is decided now with this result
	Finish  string    // the case ends now
	Status  Status    // the case's status afterwards
	Arrived bool      // the task reached a join step that still waits for other branches
	Revoke  bool      // the decision is revoked
}

// newForkID makes the id shared by the tasks of one set of branches.
var newForkID = func() string { return newID() }

// apply works out what taking act on task t does to a case in state st.
func apply(w *Workflow, st caseState, t openTask, act *ActionDef) (effect, error) {
	e := effect{Done: t.ID}
	accepted, decided := st.Accepted, st.Decided
	if act.Accept {
		if accepted {
			return e, apperr.New(apperr.Conflict, "该办件已经受理")
		}
		accepted, e.Accept = true, true
	}
	if act.Decide != "" {
		if decided {
			return e, apperr.New(apperr.Conflict, "该办件已经办结")
		}
		decided, e.Decide = true, act.Decide
		for _, o := range st.Open {
			if o.ID != t.ID {
				e.Cancel = append(e.Cancel, o.ID)
			}
		}
	}
	if act.Revoke {
		if !st.Decided {
			return e, apperr.New(apperr.Conflict, "该办件尚未作出决定，没有可撤销的结果")
		}
		e.Revoke = true
		// A revoked result is handed out no more: delivery stops too.
		for _, o := range st.Open {
			if o.ID != t.ID {
				e.Cancel = append(e.Cancel, o.ID)
			}
		}
	}
	switch {
	case len(act.To) > 1:
		fork := newForkID()
		for _, to := range act.To {
			e.Create = append(e.Create, newTask{Step: to, ForkID: fork})
		}
	case len(act.To) == 1:
		target, ok := w.Step(act.To[0])
		if !ok {
			return e, apperr.Newf(apperr.Internal, "流程 %s 的环节 %s 不存在", w.ID, act.To[0])
		}
		fork := t.ForkID
		if act.Decide != "" {
			fork = "" // a decision closes every branch
		}
		if target.Join && fork != "" {
			waiting := false
			for _, o := range st.Open {
				if o.ID != t.ID && o.ForkID == fork {
					waiting = true
				}
			}
			if waiting {
				e.Arrived = true
				break
			}
			fork = "" // the last branch has arrived: the join step runs on its own
		}
		e.Create = append(e.Create, newTask{Step: target.ID, ForkID: fork})
	}
	for _, sp := range act.Spawn {
		e.Create = append(e.Create, newTask{Step: sp})
	}
	if act.Finish != "" {
		e.Finish = act.Finish
	}
	switch {
	case e.Finish == "collected":
		e.Status = StatusCollected
	case e.Finish == "delivered":
		e.Status = StatusDelivered
	case e.Decide == "refused":
		e.Status = StatusRefused
	case decided:
		e.Status = StatusClosed
	case e.Accept:
		e.Status = StatusAccepted
	case accepted:
		e.Status = StatusProcessing
	default:
		e.Status = StatusSubmitted
	}
	if e.Decide == "" && st.Decided {
		// Actions after the decision (出件) keep the case 办结 until it ends.
		e.Status = st.Status
		switch e.Finish {
		case "collected":
			e.Status = StatusCollected
		case "delivered":
			e.Status = StatusDelivered
		}
	}
	return e, nil
}
