package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
)

// ActionInput is one action on a case.
type ActionInput struct {
	Action  string
	Task    string // which open task, when the action is offered by several
	Comment string
	Data    map[string]any
}

// Act performs one action on a case. An action the caller may not take is
// Forbidden; one that no longer fits the case (someone else acted first,
// or the case moved on) is a Conflict. Everything is read and decided
// inside one transaction holding the case's row lock, so a step costs as
// few round trips as it can and two people acting at once are ordered.
func (s *Service) Act(ctx context.Context, actor *identity.Principal, ref string, in ActionInput) (*Case, error) {
	if actor == nil {
		return nil, errLogin
	}
	in.Action = strings.TrimSpace(in.Action)
	in.Comment = strings.TrimSpace(in.Comment)
	if in.Action == "" {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "请指定要进行的操作", Fields: map[string]string{"action": "必填"}}
	}
	if utf8.RuneCountInString(in.Comment) > maxCommentRunes {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("意见不能超过%d字", maxCommentRunes), Fields: map[string]string{"comment": "过长"}}
	}
	if in.Action == "submit" {
		c, err := s.visible(ctx, actor, ref)
		if err != nil {
			return nil, err
		}
		return s.submitDraft(ctx, actor, c, in.Data)
	}
	env, err := s.loadEnv(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var c *caseRow
	var open []taskRow
	var pre *answerReads
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if c, err = caseByRef(ctx, tx, ref, true); err != nil {
			return err
		}
		if ok, err := s.canSeeIn(ctx, tx, actor, c, env); err != nil {
			return err
		} else if !ok {
			return errCaseNotFound
		}
		if c.Status == StatusDraft {
			return apperr.New(apperr.Conflict, "草稿尚未提交")
		}
		wf, err := s.caseWorkflow(ctx, tx, c)
		if err != nil {
			return err
		}
		if open, err = openTasks(ctx, tx, c.ID); err != nil {
			return err
		}
		if _, ok := CaseActions[in.Action]; ok {
			pc := &procCtx{s: s, ctx: ctx, tx: tx, actor: actor, c: c, wf: wf, open: open, in: in, now: now, env: env}
			if err := s.runProcedure(pc); err != nil {
				return err
			}
			open = pc.open
			if pc.release {
				open, err = s.released(ctx, tx, c, wf, open, now, env)
			}
			return err
		}
		if c.PausedAt != nil {
			return (&procCtx{c: c}).notPaused()
		}
		task, step, act, err := chooseTask(actor, wf, open, c, in, env)
		if err != nil {
			return err
		}
		held := false
		if act.Deliver != "" {
			if held, err = s.held(ctx, tx, c); err != nil {
				return err
			}
		}
		if ok, why := offered(c, act, held); !ok {
			return apperr.New(apperr.Conflict, why)
		}
		dproc, note, extra, err := s.deliveryData(act, in, c, now, actor)
		if err != nil {
			return err
		}
		st := caseState{Status: c.Status, Accepted: c.AcceptedAt != nil, Decided: c.DecidedAt != nil}
		for _, o := range open {
			st.Open = append(st.Open, openTask{ID: o.ID, Step: o.Step, ForkID: o.ForkID})
		}
		eff, err := apply(wf, st, openTask{ID: task.ID, Step: task.Step, ForkID: task.ForkID}, act)
		if err != nil {
			return err
		}
		if dproc != nil {
			c.Extras |= extrasProcedures
		}
		comment := in.Comment
		if note != "" {
			comment = strings.TrimSuffix(note+"。"+comment, "。")
		}
		created, err := s.carryOut(ctx, tx, actor, c, step, act, eff, comment, now, env, extra)
		if err != nil {
			return err
		}
		if dproc != nil {
			if err := insertProc(ctx, tx, dproc); err != nil {
				return err
			}
		}
		open = remaining(open, eff, created)
		if open, err = s.runAuto(ctx, tx, c, wf, open, created, now, env); err != nil {
			return err
		}
		pre, err = prefetchAnswer(ctx, tx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.renderWith(ctx, actor, c, open, env, pre)
}

// chooseTask finds the open task whose step offers the action and in which
// actor may act.
func chooseTask(actor *identity.Principal, wf *Workflow, tasks []taskRow, c *caseRow, in ActionInput, env *txEnv) (*taskRow, *StepDef, *ActionDef, error) {
	var task *taskRow
	var step *StepDef
	var act *ActionDef
	forbidden := ""
	for i := range tasks {
		st, ok := wf.Step(tasks[i].Step)
		if !ok {
			continue
		}
		a, ok := st.Action(in.Action)
		if !ok || (in.Task != "" && in.Task != tasks[i].ID) {
			continue
		}
		if !mayAct(actor, st, &tasks[i], c, env) {
			forbidden = st.Name
			continue
		}
		if task != nil {
			return nil, nil, nil, &apperr.Error{Code: apperr.Invalid, Message: "有多个环节可进行此操作，请用 task 指明是哪一个任务", Fields: map[string]string{"task": "请指明任务"}}
		}
		task, step, act = &tasks[i], st, a
	}
	if task == nil {
		switch {
		case forbidden != "":
			return nil, nil, nil, apperr.Newf(apperr.Forbidden, "您不能在“%s”环节办理此操作（须由该环节指定的部门和角色办理）", forbidden)
		case actionKnown(wf, in.Action):
			return nil, nil, nil, apperr.Newf(apperr.Conflict, "办件当前为“%s”，不能进行此操作（可能已被他人处理）", StatusNames[c.Status])
		default:
			return nil, nil, nil, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("流程中没有操作 %q", in.Action), Fields: map[string]string{"action": "未知操作"}}
		}
	}
	if act.Reason && utf8.RuneCountInString(in.Comment) < 2 {
		return nil, nil, nil, &apperr.Error{Code: apperr.Invalid, Message: "“" + act.Name + "”须写明理由", Fields: map[string]string{"comment": "请写明理由"}}
	}
	return task, step, act, nil
}

// remaining is the open tasks after an effect: those it did not close,
// and those it opened.
func remaining(open []taskRow, eff effect, created []taskRow) []taskRow {
	closed := map[string]bool{eff.Done: true}
	for _, id := range eff.Cancel {
		closed[id] = true
	}
	var out []taskRow
	for _, t := range open {
		if !closed[t.ID] {
			out = append(out, t)
		}
	}
	return append(out, created...)
}

func actionKnown(w *Workflow, id string) bool {
	for _, st := range w.Steps {
		if _, ok := st.Action(id); ok {
			return true
		}
	}
	return false
}

// carryOut writes an effect: tasks closed and opened, clocks started,
// the decision, the status, the timeline, the outbox and the trail.
func (s *Service) carryOut(ctx context.Context, tx *db.Tx, actor *identity.Principal, c *caseRow, step *StepDef, act *ActionDef, eff effect, comment string, now time.Time, env *txEnv, extra map[string]any) ([]taskRow, error) {
	tab := env.tab
	var created []taskRow
	if err := closeTask(ctx, tx, eff.Done, "done", now, actorID(actor), act.ID); err != nil {
		return nil, err
	}
	for _, id := range eff.Cancel {
		if err := closeTask(ctx, tx, id, "cancelled", now, actorID(actor), act.ID); err != nil {
			return nil, err
		}
	}
	from := c.Status
	read := c.Revision
	if eff.Accept {
		c.AcceptedAt = &now
		if err := s.startClocks(c, now, tab); err != nil {
			return nil, err
		}
	}
	var topics []string
	if eff.Revoke {
		c.RevokedAt, c.RevokeReason = &now, comment
		if _, err := tx.ExecContext(ctx, `UPDATE case_pledges SET broken_at = ?, broken_reason = ? WHERE case_id = ? AND kind = 'pledge' AND broken_at IS NULL`,
			now, comment, c.ID); err != nil {
			return nil, err
		}
		topics = append(topics, TopicRevoked)
	}
	if eff.Revoke && env.issuer != nil {
		if _, err := s.Licences.RevokeForCaseIn(ctx, tx, c.ID, comment, actor, now); err != nil {
			return nil, err
		}
	}
	if eff.Decide != "" {
		c.DecidedAt = &now
		c.Result = eff.Decide
		c.ResultCode = ResultCode(eff.Decide, c.ItemType)
	}
	if eff.Finish != "" {
		c.FinishedAt = &now
	}
	c.Status = eff.Status
	ready := false
	for _, nt := range eff.Create {
		st, _ := c.wf.Step(nt.Step)
		t, err := s.taskFor(c, st, nt.ForkID, now, env)
		if err != nil {
			return nil, err
		}
		if st.Check {
			it, err := s.itemIn(ctx, tx, c.ItemCode, c.ItemVersion)
			if err != nil {
				return nil, err
			}
			l := it.EffectiveRules().PostCheckLimit
			due, _, err := DueAt(tab, now, l.Amount, l.Unit)
			if err != nil {
				return nil, err
			}
			t.DueAt = &due
		}
		ready = ready || readyAt(c, st)
		if err := insertTask(ctx, tx, t); err != nil {
			return nil, err
		}
		created = append(created, *t)
	}
	c.Revision++
	c.UpdatedAt = now
	if err := updateCase(ctx, tx, c, read); err != nil {
		return nil, err
	}
	if err := insertEvent(ctx, tx, &eventRow{ID: newID(), CaseID: c.ID, At: now, ActorID: actorID(actor), ActorName: actor.DisplayName,
		Org: orgOf(actor), Step: step.ID, StepName: step.Name, Action: act.ID, ActionName: act.Name, From: from, To: c.Status, Comment: comment}); err != nil {
		return nil, err
	}
	// One event per thing that happened: a 即办件 approved at the window is
	// accepted and decided in one action.
	if eff.Accept {
		topics = append(topics, "case.accepted")
	}
	switch {
	case eff.Decide == "refused":
		topics = append(topics, "case.refused")
	case eff.Decide != "":
		topics = append(topics, "case.decided")
	}
	if act.Deliver == "post" {
		topics = append(topics, TopicPosted)
	}
	if ready {
		if held, err := s.held(ctx, tx, c); err != nil {
			return nil, err
		} else if !held {
			topics = append(topics, TopicReady)
		}
	}
	if eff.Finish != "" {
		topics = append(topics, "case.finished")
		if eff.Finish == "delivered" {
			topics = append(topics, TopicDelivered)
		}
	}
	if len(topics) == 0 {
		topics = append(topics, "case.step")
	}
	for _, topic := range topics {
		payload := map[string]any{"caseNo": c.no(), "action": act.ID, "status": c.Status,
			"result": c.Result, "resultCode": c.ResultCode, "step": step.ID, "delivery": c.DeliveryMethod}
		for k, v := range extra {
			payload[k] = v
		}
		if eff.Revoke {
			payload["reason"] = comment
		}
		if err := insertOutbox(ctx, tx, topic, c.ID, payload, now); err != nil {
			return nil, err
		}
	}
	detail := map[string]any{"caseNo": c.no(), "step": step.ID, "action": act.ID}
	if c.Result != "" && eff.Decide != "" {
		detail["result"], detail["resultCode"] = c.Result, c.ResultCode
	}
	if err := audit.Append(ctx, tx, now, audit.Entry{Action: "case." + act.ID, ObjectType: "case", ObjectID: c.ID,
		BeforeRef: string(from), AfterRef: string(c.Status), Detail: detail}); err != nil {
		return nil, err
	}
	// The licence of an approval is issued last, once the decision and its
	// audit entry are made; the approval fails with the licence's reason
	// when it cannot be issued.
	if eff.Decide == "approved" {
		if err := s.issueLicence(ctx, tx, actor, c, now, env); err != nil {
			return nil, err
		}
	}
	return created, nil
}

// readyAt reports whether a task in step st means the result waits at
// the window for an applicant who chose to collect it there.
func readyAt(c *caseRow, st *StepDef) bool {
	if c.DeliveryMethod != "window" {
		return false
	}
	for _, a := range st.Actions {
		if a.Deliver == "window" {
			return true
		}
	}
	return false
}

// maxAuto bounds the automatic actions one change may set off.
const maxAuto = 8

// runAuto takes the automatic actions (ActionDef.Auto) offered on the
// tasks just opened, as the platform, and again on the tasks those open.
func (s *Service) runAuto(ctx context.Context, tx *db.Tx, c *caseRow, wf *Workflow, open, fresh []taskRow, now time.Time, env *txEnv) ([]taskRow, error) {
	for round := 0; len(fresh) > 0; round++ {
		if round == maxAuto {
			return nil, fmt.Errorf("case %s: automatic actions do not settle", c.ID)
		}
		var next []taskRow
		for _, t := range fresh {
			st, ok := wf.Step(t.Step)
			if !ok {
				continue
			}
			for i := range st.Actions {
				a := &st.Actions[i]
				if !a.Auto {
					continue
				}
				held := false
				if a.Deliver != "" {
					var err error
					if held, err = s.held(ctx, tx, c); err != nil {
						return nil, err
					}
				}
				if ok, _ := offered(c, a, held); !ok {
					continue
				}
				state := caseState{Status: c.Status, Accepted: c.AcceptedAt != nil, Decided: c.DecidedAt != nil}
				for _, o := range open {
					state.Open = append(state.Open, openTask{ID: o.ID, Step: o.Step, ForkID: o.ForkID})
				}
				eff, err := apply(wf, state, openTask{ID: t.ID, Step: t.Step, ForkID: t.ForkID}, a)
				if err != nil {
					return nil, err
				}
				created, err := s.carryOut(ctx, tx, system, c, st, a, eff, "", now, env, nil)
				if err != nil {
					return nil, err
				}
				open = remaining(open, eff, created)
				next = append(next, created...)
				break
			}
		}
		fresh = next
	}
	return open, nil
}

// released runs when a result held back for 容缺 materials may go out:
// the automatic deliveries waiting on it, and the notice that it is ready
// at the window.
func (s *Service) released(ctx context.Context, tx *db.Tx, c *caseRow, wf *Workflow, open []taskRow, now time.Time, env *txEnv) ([]taskRow, error) {
	for _, t := range open {
		if st, ok := wf.Step(t.Step); ok && readyAt(c, st) {
			if err := insertOutbox(ctx, tx, TopicReady, c.ID, map[string]any{"caseNo": c.no(), "status": c.Status, "result": c.Result,
				"resultCode": c.ResultCode, "step": st.ID, "delivery": c.DeliveryMethod}, now); err != nil {
				return nil, err
			}
		}
	}
	return s.runAuto(ctx, tx, c, wf, open, slices.Clone(open), now, env)
}

// issueLicence issues the electronic licence of an approved case whose
// item's result is a licence of a defined type, in the approving
// transaction: the decision and the licence exist together or not at all.
func (s *Service) issueLicence(ctx context.Context, tx *db.Tx, actor *identity.Principal, c *caseRow, now time.Time, env *txEnv) error {
	if env.issuer == nil {
		return nil
	}
	it, err := s.itemIn(ctx, tx, c.ItemCode, c.ItemVersion)
	if err != nil {
		return err
	}
	if it.Result.Type != "licence" || !env.issuer.Yields(it.Result.LicenceType) {
		return nil
	}
	form, err := s.openForm(c.FormEnc)
	if err != nil {
		return err
	}
	in := licence.IssueInput{TypeName: it.Result.LicenceType, DepartmentID: c.DepartmentID, RegionCode: c.RegionCode,
		CaseID: c.ID, CaseNo: c.no(), ItemCode: c.ItemCode, Form: form, By: actor}
	if c.ApplicantCompanyID != nil {
		in.CompanyID = *c.ApplicantCompanyID
	} else if c.ApplicantPersonID != nil {
		in.PersonID = *c.ApplicantPersonID
	}
	_, err = env.issuer.IssueIn(ctx, tx, in, now)
	return err
}
