package casework_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/calendar"
	"yiwang/internal/casework"
)

// fieldErr asserts err is Invalid and names field.
func fieldErr(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid || ae.Fields[field] == "" {
		t.Fatalf("%s: want invalid %s, got %v (%+v)", what, field, err, ae)
	}
}

func wantCode(t *testing.T, what string, err error, c apperr.Code) {
	t.Helper()
	if code(err) != c {
		t.Fatalf("%s: want %s, got %v", what, c, err)
	}
}

func (w *world) try(who, ref, action, comment string, data map[string]any) (*casework.Case, error) {
	return w.Cases.Act(w.ctx, w.user(who), ref, casework.ActionInput{Action: action, Comment: comment, Data: data})
}

func (w *world) topics(caseID string) []string {
	w.t.Helper()
	rows, err := w.DB.QueryContext(w.ctx, `SELECT topic FROM outbox WHERE object_id = ? ORDER BY created_at, topic`, caseID)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// accepted submits 食品经营许可 for citizen1 and has window1 accept it.
func (w *world) accepted(mod func(*casework.Application)) *casework.Case {
	w.t.Helper()
	citizen := w.user("citizen1")
	app := w.fullApplication(citizen, w.item("食品经营许可"))
	if mod != nil {
		mod(&app)
	}
	c, _, err := w.Cases.Create(w.ctx, citizen, app)
	if err != nil {
		w.t.Fatalf("create: %v", err)
	}
	return w.act(w.user("window1"), c.No, "accept", "")
}

func actionIDs(c *casework.Case) []string {
	var out []string
	for _, a := range c.Actions {
		out = append(out, a.Action)
	}
	return out
}

// A 补正 asked for on the day before 国庆 and answered after it: the
// clocks stop, the applicant supplements exactly what was asked, the case
// goes back to the approver, and the due dates move by the working days
// that did not count (none of the holiday's).
func TestSupplementAcrossNationalDay(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		c := w.accepted(nil)
		// Accepted on Tuesday 29 September: 3 working days promised
		// (30 Sep, 8 and 9 Oct), 10 legal (to 19 Oct).
		if c.Deadline.Promised.Due != "2026-10-09" || c.Deadline.Legal.Due != "2026-10-19" {
			t.Fatalf("due before: %s %s", c.Deadline.Promised.Due, c.Deadline.Legal.Due)
		}
		_, err := w.try("scjg1", c.No, "supplement", "", nil)
		fieldErr(t, "no materials", err, "data.materials")
		_, err = w.try("scjg1", c.No, "supplement", "", map[string]any{"materials": []any{map[string]any{"material": "nosuch", "reason": "缺少"}}})
		fieldErr(t, "unknown material", err, "data.materials[0].material")
		_, err = w.try("scjg1", c.No, "supplement", "", map[string]any{"materials": []any{map[string]any{"material": "layout"}}})
		fieldErr(t, "no reason", err, "data.materials[0].reason")
		_, err = w.try("scjg1", c.No, "supplement", "", map[string]any{"materials": []any{}, "extra": 1})
		fieldErr(t, "unknown data", err, "data.extra")
		_, err = w.try("citizen1", c.No, "supplement", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "reason": "平面图未标注尺寸"}}})
		wantCode(t, "applicant asks for a supplement", err, apperr.Forbidden)

		c, err = w.try("scjg1", c.No, "supplement", "请一次补齐", map[string]any{"materials": []any{
			map[string]any{"material": "layout", "reason": "经营场所平面图未标注各功能区面积"},
			map[string]any{"material": "rules", "reason": "食品安全管理制度缺少进货查验记录制度"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != casework.StatusSupplement || !c.Paused || c.Supplement == nil || len(c.Supplement.Materials) != 2 || c.Supplement.Due == "" {
			t.Fatalf("after the notice: %s paused=%v %+v", c.Status, c.Paused, c.Supplement)
		}
		if !c.Deadline.Promised.Stopped {
			t.Fatal("the promised clock runs during a supplement")
		}
		_, err = w.try("scjg1", c.No, "pass", "", nil)
		wantCode(t, "pass while waiting", err, apperr.Conflict)
		_, err = w.try("scjg1", c.No, "supplement", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "reason": "再次"}}})
		wantCode(t, "second notice", err, apperr.Conflict)
		mine, err := w.Cases.Get(w.ctx, w.user("citizen1"), c.No)
		if err != nil || !slices.Contains(actionIDs(mine), "supply") {
			t.Fatalf("the applicant is not offered to supplement: %v %v", actionIDs(mine), err)
		}

		// After the holiday, Friday 9 October.
		w.clock.Set(time.Date(2026, 10, 9, 15, 0, 0, 0, calendar.Shanghai))
		citizen := w.user("citizen1")
		f1, f2 := w.upload(citizen, "平面图（补正）.pdf"), w.upload(citizen, "管理制度（补正）.pdf")
		_, err = w.try("citizen1", c.No, "supply", "", map[string]any{"materials": []any{map[string]any{"material": "application", "file": f1}}})
		fieldErr(t, "a material not asked for", err, "data.materials[0].material")
		_, err = w.try("citizen1", c.No, "supply", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "file": f1}}})
		fieldErr(t, "half the supplement", err, "data.materials.rules")
		other := w.upload(w.user("citizen2"), "别人的.pdf")
		_, err = w.try("citizen1", c.No, "supply", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "file": other}, map[string]any{"material": "rules", "file": f2}}})
		fieldErr(t, "someone else's file", err, "data.materials[0].file")
		c, err = w.try("citizen1", c.No, "supply", "已按要求补充面积标注", map[string]any{"materials": []any{map[string]any{"material": "layout", "file": f1}, map[string]any{"material": "rules", "file": f2}}})
		if err != nil {
			t.Fatal(err)
		}
		if last := c.Timeline[len(c.Timeline)-1]; !strings.Contains(last.Comment, "已按要求补充面积标注") || !strings.Contains(last.Comment, "补交") {
			t.Fatalf("the supplement's comment: %+v", last)
		}
		if c.Status != casework.StatusAccepted || c.Paused || c.Supplement != nil {
			t.Fatalf("after the supplement: %s %v", c.Status, c.Paused)
		}
		// 30 Sep, 8 Oct and 9 Oct did not count: +3 working days each.
		if c.Deadline.Promised.Due != "2026-10-13" || c.Deadline.Legal.Due != "2026-10-22" {
			t.Fatalf("due after: %s %s", c.Deadline.Promised.Due, c.Deadline.Legal.Due)
		}
		var proc casework.ProcedureView
		for _, p := range c.Procedures {
			if p.Kind == "supplement" {
				proc = p
			}
		}
		if proc.Status != "done" || proc.ExcludedDays != 3 {
			t.Fatalf("procedure: %+v", proc)
		}
		for _, m := range c.Materials {
			if m.ID == "layout" && (len(m.Files) != 1 || m.Files[0].ID != f1) {
				t.Fatalf("the supplement did not replace the layout: %+v", m)
			}
		}
		// Back with whoever asked.
		if c, err = w.try("scjg1", c.No, "pass", "", nil); err != nil || c.Status != casework.StatusProcessing || c.Tasks[0].Step != "decide" {
			t.Fatalf("pass after the supplement: %v", err)
		}
		tp := w.topics(c.ID)
		if !slices.Contains(tp, casework.TopicSupplementRequested) || !slices.Contains(tp, casework.TopicSupplemented) {
			t.Fatalf("outbox: %v", tp)
		}
		_, err = w.try("citizen1", c.No, "supply", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "file": f1}}})
		wantCode(t, "supply with nothing asked", err, apperr.Conflict)
	})
}

// A case not supplemented in time closes as 补正不来 (result code 5).
func TestUnsupplementedCaseCloses(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		c := w.accepted(nil)
		_, err := w.try("window1", c.No, "supplement", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "reason": "平面图不清晰"}}})
		wantCode(t, "the window after acceptance", err, apperr.Forbidden)
		c, err = w.try("scjg1", c.No, "supplement", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "reason": "平面图不清晰"}}})
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := w.Cases.Sweep(w.ctx); err != nil || rep.Unsupplemented != 0 {
			t.Fatalf("early sweep: %+v %v", rep, err)
		}
		// 15 working days from 29 Sep (10 Oct, a Saturday, is one): to 26
		// Oct; late from 27 Oct.
		w.clock.Set(time.Date(2026, 10, 26, 23, 59, 0, 0, calendar.Shanghai))
		if rep, err := w.Cases.Sweep(w.ctx); err != nil || rep.Unsupplemented != 0 {
			t.Fatalf("sweep on the last day: %+v %v", rep, err)
		}
		w.clock.Set(time.Date(2026, 10, 27, 0, 0, 1, 0, calendar.Shanghai))
		rep, err := w.Cases.Sweep(w.ctx)
		if err != nil || rep.Unsupplemented != 1 {
			t.Fatalf("sweep: %+v %v", rep, err)
		}
		got, err := w.Cases.Get(w.ctx, w.user("citizen1"), c.No)
		if err != nil || got.Status != casework.StatusClosed || got.Result != "unsupplemented" || got.ResultCode != "5" || len(got.Tasks) != 0 {
			t.Fatalf("after the sweep: %+v %v", got, err)
		}
		if rep, err := w.Cases.Sweep(w.ctx); err != nil || rep.Unsupplemented != 0 {
			t.Fatalf("second sweep: %+v %v", rep, err)
		}
		if !slices.Contains(w.topics(c.ID), casework.TopicUnsupplemented) {
			t.Fatalf("outbox: %v", w.topics(c.ID))
		}
		_, err = w.try("citizen1", c.No, "withdraw", "", nil)
		wantCode(t, "withdraw a closed case", err, apperr.Conflict)
	})
}

// A special procedure pauses both clocks; an extension approved by the
// department head moves them on.
func TestSpecialProcedureAndExtension(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		c := w.accepted(nil)
		_, err := w.try("scjg1", c.No, "special-end", "完成", nil)
		wantCode(t, "end a procedure never started", err, apperr.Conflict)
		_, err = w.try("scjg1", c.No, "special-start", "需现场核查", map[string]any{"procedure": "听证", "days": 3})
		fieldErr(t, "a procedure the item does not have", err, "data.procedure")
		_, err = w.try("scjg1", c.No, "special-start", "需现场核查", map[string]any{"procedure": "现场核查", "days": 9})
		fieldErr(t, "too long", err, "data.days")
		_, err = w.try("scjg1", c.No, "special-start", "", map[string]any{"procedure": "现场核查", "days": 3})
		fieldErr(t, "no reason", err, "comment")
		_, err = w.try("scjg1", c.No, "special-start", "需现场核查", map[string]any{"procedure": "现场核查", "days": "three"})
		fieldErr(t, "days of the wrong type", err, "data")
		c, err = w.try("scjg1", c.No, "special-start", "经营场所需现场核查", map[string]any{"procedure": "现场核查", "days": 3})
		if err != nil || c.Status != casework.StatusSpecial || !c.Paused {
			t.Fatalf("start: %v", err)
		}
		_, err = w.try("scjg1", c.No, "pass", "", nil)
		wantCode(t, "pass during the procedure", err, apperr.Conflict)
		w.clock.Set(time.Date(2026, 10, 8, 16, 0, 0, 0, calendar.Shanghai))
		_, err = w.try("scjg1", c.No, "special-end", "", nil)
		fieldErr(t, "no outcome", err, "comment")
		c, err = w.try("scjg1", c.No, "special-end", "现场核查符合要求", nil)
		if err != nil || c.Status != casework.StatusAccepted {
			t.Fatalf("end: %v", err)
		}
		// 30 Sep and 8 Oct did not count.
		if c.Deadline.Promised.Due != "2026-10-12" || c.Deadline.Legal.Due != "2026-10-21" {
			t.Fatalf("due after the procedure: %s %s", c.Deadline.Promised.Due, c.Deadline.Legal.Due)
		}
		_, err = w.try("scjg1", c.No, "extend", "需补充核查", map[string]any{"days": 6})
		fieldErr(t, "longer than the rule", err, "data.days")
		c, err = w.try("scjg1", c.No, "extend", "需征求卫生部门意见", map[string]any{"days": 5})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.try("scjg1", c.No, "extend", "再延", map[string]any{"days": 1})
		wantCode(t, "a second request", err, apperr.Conflict)
		_, err = w.try("scjg1", c.No, "extension-approve", "", nil)
		wantCode(t, "the approver approves their own request", err, apperr.Forbidden)
		ib, err := w.Cases.Inbox(w.ctx, w.user("scjgfz"), casework.InboxFilter{})
		if err != nil || len(ib.Extensions) != 1 || ib.Extensions[0].CaseNo != c.No || ib.Extensions[0].Days != 5 {
			t.Fatalf("the head's inbox: %+v %v", ib.Extensions, err)
		}
		c, err = w.try("scjgfz", c.No, "extension-approve", "同意", nil)
		if err != nil || c.ExtendedDays != 5 {
			t.Fatalf("approve: %v", err)
		}
		if c.Deadline.Promised.Due != "2026-10-19" || c.Deadline.Legal.Due != "2026-10-28" {
			t.Fatalf("due after the extension: %s %s", c.Deadline.Promised.Due, c.Deadline.Legal.Due)
		}
		_, err = w.try("scjg1", c.No, "extend", "再延", map[string]any{"days": 1})
		wantCode(t, "a second extension", err, apperr.Conflict)
		tp := w.topics(c.ID)
		for _, want := range []string{casework.TopicSpecialStarted, casework.TopicSpecialEnded, casework.TopicExtended} {
			if !slices.Contains(tp, want) {
				t.Fatalf("outbox %v lacks %s", tp, want)
			}
		}
	})
}

// Withdrawal by the applicant before a decision; 作废 by staff with a
// reason; neither after a decision.
func TestWithdrawAndVoid(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		c := w.accepted(nil)
		_, err := w.try("citizen2", c.No, "withdraw", "", nil)
		wantCode(t, "someone else withdraws", err, apperr.NotFound)
		_, err = w.try("scjg1", c.No, "withdraw", "", nil)
		wantCode(t, "staff withdraw", err, apperr.Forbidden)
		c, err = w.try("citizen1", c.No, "withdraw", "不再经营", nil)
		if err != nil || c.Status != casework.StatusClosed || c.Result != "withdrawn" || c.ResultCode != "1" || len(c.Tasks) != 0 {
			t.Fatalf("withdraw: %+v %v", c, err)
		}
		_, err = w.try("citizen1", c.No, "withdraw", "", nil)
		wantCode(t, "withdraw twice", err, apperr.Conflict)

		c = w.accepted(nil)
		_, err = w.try("scjg1", c.No, "void", "", nil)
		fieldErr(t, "void without a reason", err, "comment")
		_, err = w.try("citizen1", c.No, "void", "重复申请", nil)
		wantCode(t, "the applicant voids", err, apperr.Forbidden)
		c, err = w.try("scjg1", c.No, "void", "重复申请，已另案办理", nil)
		if err != nil || c.Result != "voided" || c.ResultCode != "2" {
			t.Fatalf("void: %v", err)
		}
		c = w.accepted(nil)
		c = w.act(w.user("scjg1"), c.No, "pass", "")
		c = w.act(w.user("scjgfz"), c.No, "approve", "")
		_, err = w.try("citizen1", c.No, "withdraw", "", nil)
		wantCode(t, "withdraw a decided case", err, apperr.Conflict)
	})
}

// 容缺受理: the applicant pledges the missing 食品安全管理制度 by a date;
// the case proceeds, the decided result is held until it arrives, a
// reminder goes out once before the date.
func TestToleranceHoldsTheResult(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen1")
		e := w.item("食品经营许可")
		base := w.fullApplication(citizen, e)
		without := func(id string) []casework.MaterialRef {
			var out []casework.MaterialRef
			for _, m := range base.Materials {
				if m.Material != id {
					out = append(out, m)
				}
			}
			return out
		}
		try := func(mod func(*casework.Application)) error {
			app := base
			app.Materials = without("rules")
			mod(&app)
			_, _, err := w.Cases.Create(w.ctx, citizen, app)
			return err
		}
		fieldErr(t, "missing without a pledge", try(func(*casework.Application) {}), "materials.rules")
		// Every problem at once (一次告知): the form's and the 容缺 one.
		both := try(func(a *casework.Application) { a.Form = nil; a.Delivery = &casework.DeliveryInput{Method: "post"} })
		fieldErr(t, "the form and the extras together", both, "materials.rules")
		fieldErr(t, "the form and the extras together", both, "form.companyName")
		fieldErr(t, "the form and the extras together", both, "delivery.address")
		fieldErr(t, "a date in the past", try(func(a *casework.Application) {
			a.Deferred, a.TolerancePledge = []casework.DeferredInput{{Material: "rules", Due: "2026-09-28"}}, true
		}), "deferred[0].due")
		fieldErr(t, "a date too far", try(func(a *casework.Application) {
			a.Deferred, a.TolerancePledge = []casework.DeferredInput{{Material: "rules", Due: "2026-12-28"}}, true
		}), "deferred[0].due")
		fieldErr(t, "a key material", try(func(a *casework.Application) {
			a.Deferred, a.TolerancePledge = []casework.DeferredInput{{Material: "rules", Due: "2026-10-09"}, {Material: "layout", Due: "2026-10-09"}}, true
		}), "deferred[1].material")
		fieldErr(t, "no signature", try(func(a *casework.Application) {
			a.Deferred = []casework.DeferredInput{{Material: "rules", Due: "2026-10-09"}}
		}), "tolerancePledge")
		var n int
		_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM cases`).Scan(&n)
		app := base
		app.Materials = without("rules")
		app.Deferred, app.TolerancePledge = []casework.DeferredInput{{Material: "rules", Due: "2026-10-09"}}, true
		c, _, err := w.Cases.Create(w.ctx, citizen, app)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Deferred) != 1 || len(c.Pledges) != 1 || c.Pledges[0].How != "online" || !strings.Contains(c.Pledges[0].Text, "2026-10-09前补交") || len(c.Pledges[0].Digest) != 64 {
			t.Fatalf("pledge: %+v %+v", c.Deferred, c.Pledges)
		}
		c = w.act(w.user("window1"), c.No, "accept", "")
		c = w.act(w.user("scjg1"), c.No, "pass", "")
		c = w.act(w.user("scjgfz"), c.No, "approve", "")
		if c.Status != casework.StatusClosed || !c.Delivery.Held {
			t.Fatalf("decided: %s held=%v", c.Status, c.Delivery.Held)
		}
		if slices.Contains(w.topics(c.ID), casework.TopicReady) {
			t.Fatal("told to collect a held result")
		}
		clerkView, _ := w.Cases.Get(w.ctx, w.user("window1"), c.No)
		if slices.Contains(actionIDs(clerkView), "handover") {
			t.Fatal("handover offered while held")
		}
		_, err = w.try("window1", c.No, "handover", "", collector)
		wantCode(t, "handover while held", err, apperr.Conflict)
		// Reminders: none yet on 29 Sep (due 9 Oct), one on 8 Oct, once.
		if rep, err := w.Cases.Sweep(w.ctx); err != nil || rep.Reminded != 0 {
			t.Fatalf("early reminder: %+v %v", rep, err)
		}
		w.clock.Set(time.Date(2026, 10, 8, 9, 0, 0, 0, calendar.Shanghai))
		if rep, err := w.Cases.Sweep(w.ctx); err != nil || rep.Reminded != 1 {
			t.Fatalf("reminder: %+v %v", rep, err)
		}
		if rep, err := w.Cases.Sweep(w.ctx); err != nil || rep.Reminded != 0 {
			t.Fatalf("second reminder: %+v %v", rep, err)
		}
		f := w.upload(citizen, "食品安全管理制度.pdf")
		_, err = w.try("citizen1", c.No, "supply", "", map[string]any{"materials": []any{map[string]any{"material": "layout", "file": f}}})
		fieldErr(t, "a material not pledged", err, "data.materials[0].material")
		c, err = w.try("citizen1", c.No, "supply", "", map[string]any{"materials": []any{map[string]any{"material": "rules", "file": f}}})
		if err != nil || c.Delivery.Held || c.Deferred[0].ArrivedAt == nil {
			t.Fatalf("supply: %v", err)
		}
		tp := w.topics(c.ID)
		for _, want := range []string{casework.TopicToleranceReminder, casework.TopicToleranceCompleted, casework.TopicReady} {
			if !slices.Contains(tp, want) {
				t.Fatalf("outbox %v lacks %s", tp, want)
			}
		}
		c, err = w.try("window1", c.No, "handover", "", collector)
		if err != nil || c.Status != casework.StatusCollected {
			t.Fatalf("handover: %v", err)
		}
		_, err = w.try("window1", c.No, "handover", "", collector)
		wantCode(t, "deliver twice", err, apperr.Conflict)
	})
}

// 告知承诺制: decided on the pledge; the post-check fails and revokes the
// result; the applicant's pledge is recorded as broken.
func TestPledgeRevokedByPostCheck(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen1")
		e := w.item("食品经营许可")
		app := w.fullApplication(citizen, e)
		app.Mode = casework.ModePledge
		_, _, err := w.Cases.Create(w.ctx, citizen, app)
		fieldErr(t, "unsigned", err, "pledge")
		app.Mode = "promise"
		_, _, err = w.Cases.Create(w.ctx, citizen, app)
		fieldErr(t, "unknown mode", err, "mode")
		app.Mode, app.Pledge = casework.ModePledge, true
		c, _, err := w.Cases.Create(w.ctx, citizen, app)
		if err != nil {
			t.Fatal(err)
		}
		if c.Workflow != "pledge" || c.Mode != casework.ModePledge || len(c.Pledges) != 1 || c.Pledges[0].Kind != "pledge" {
			t.Fatalf("pledged case: %s %s %+v", c.Workflow, c.Mode, c.Pledges)
		}
		c = w.act(w.user("window1"), c.No, "accept", "")
		if c.Deadline.Promised.Limit != "即办" || c.Deadline.Promised.Due != "2026-09-29" {
			t.Fatalf("short limit: %+v", c.Deadline.Promised)
		}
		c = w.act(w.user("scjg1"), c.No, "approve", "")
		var check *casework.TaskView
		for i := range c.Tasks {
			if c.Tasks[i].Step == "postcheck" {
				check = &c.Tasks[i]
			}
		}
		// One month from 29 September: 29 October.
		if c.Status != casework.StatusClosed || check == nil || check.Due != "2026-10-29" {
			t.Fatalf("post-check task: %s %+v", c.Status, c.Tasks)
		}
		_, err = w.try("window1", c.No, "handover", "", map[string]any{"collector": map[string]any{"name": "李", "idNumber": "123"}})
		fieldErr(t, "a bad collector", err, "data.collector.idNumber")
		_, err = w.try("scjg1", c.No, "revoke", "", nil)
		fieldErr(t, "revoke without a reason", err, "comment")
		c, err = w.try("scjg1", c.No, "revoke", "现场核查发现无食品安全管理人员，与承诺不符", nil)
		if err != nil || c.RevokedAt == nil || c.ResultName != "已撤销" || c.Pledges[0].BrokenAt == nil || len(c.Tasks) != 0 {
			t.Fatalf("revoke: %+v %v", c, err)
		}
		// Revoked before it was collected: the window hands nothing out.
		_, err = w.try("window1", c.No, "handover", "", collector)
		wantCode(t, "hand over a revoked result", err, apperr.Conflict)
		var broken int
		_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM case_pledges WHERE applicant_person_id = ? AND broken_at IS NOT NULL`, citizen.PersonID).Scan(&broken)
		if broken != 1 {
			t.Fatalf("broken pledges on record: %d", broken)
		}
		if !slices.Contains(w.topics(c.ID), casework.TopicRevoked) {
			t.Fatalf("outbox: %v", w.topics(c.ID))
		}
		_, err = w.try("scjg1", c.No, "revoke", "再次", nil)
		wantCode(t, "revoke twice", err, apperr.Conflict)
	})
}

// Results by post (with carrier and tracking number, 已送达 when
// confirmed) and electronically (delivered at once by the platform).
func TestDeliveryByPostAndOnline(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen1")
		e := w.item("食品经营许可")
		app := w.fullApplication(citizen, e)
		app.Delivery = &casework.DeliveryInput{Method: "post", Recipient: "李建国"}
		_, _, err := w.Cases.Create(w.ctx, citizen, app)
		fieldErr(t, "post without an address", err, "delivery.address")
		app.Delivery = &casework.DeliveryInput{Method: "drone"}
		_, _, err = w.Cases.Create(w.ctx, citizen, app)
		fieldErr(t, "an unknown way", err, "delivery.method")
		app.Delivery = &casework.DeliveryInput{Method: "post", Recipient: "李建国", Phone: "13905710001", Address: "浙江省杭州市桐庐县城南街道迎春南路205号"}
		c, _, err := w.Cases.Create(w.ctx, citizen, app)
		if err != nil {
			t.Fatal(err)
		}
		if c.Delivery.Method != "post" || strings.Contains(c.Delivery.Address, "205号") || !strings.Contains(c.Delivery.Address, "139****0001") {
			t.Fatalf("delivery shown: %+v", c.Delivery)
		}
		c = w.act(w.user("window1"), c.No, "accept", "")
		c = w.act(w.user("scjg1"), c.No, "pass", "")
		c = w.act(w.user("scjgfz"), c.No, "approve", "")
		_, err = w.try("window1", c.No, "handover", "", collector)
		wantCode(t, "handover of a posted result", err, apperr.Conflict)
		if _, err := w.Cases.RevealDelivery(w.ctx, citizen, c.No); code(err) != apperr.Forbidden {
			t.Fatalf("the applicant reveals through the clerk's door: %v", err)
		}
		full, err := w.Cases.RevealDelivery(w.ctx, w.user("window1"), c.No)
		if err != nil || full.Address != "浙江省杭州市桐庐县城南街道迎春南路205号" || full.Phone != "13905710001" {
			t.Fatalf("reveal: %+v %v", full, err)
		}
		var reveals int
		_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM audit_log WHERE action = 'case.delivery.reveal' AND object_id = ?`, c.ID).Scan(&reveals)
		if reveals != 1 {
			t.Fatalf("reveals in the trail: %d", reveals)
		}
		_, err = w.try("window1", c.No, "post", "", map[string]any{"carrier": "中国邮政EMS", "trackingNo": "含中文"})
		fieldErr(t, "a bad tracking number", err, "data.trackingNo")
		c, err = w.try("window1", c.No, "post", "", map[string]any{"carrier": "中国邮政EMS", "trackingNo": "1163550829301"})
		if err != nil || c.Status != casework.StatusClosed || len(c.Tasks) != 1 || c.Tasks[0].Step != "transit" {
			t.Fatalf("posted: %v %+v", err, c.Tasks)
		}
		c = w.act(w.user("window1"), c.No, "confirm", "")
		if c.Status != casework.StatusDelivered {
			t.Fatalf("delivered: %s", c.Status)
		}
		tp := w.topics(c.ID)
		if !slices.Contains(tp, casework.TopicPosted) || !slices.Contains(tp, casework.TopicDelivered) || slices.Contains(tp, casework.TopicReady) {
			t.Fatalf("outbox: %v", tp)
		}

		app = w.fullApplication(citizen, e)
		app.Delivery = &casework.DeliveryInput{Method: "online"}
		c, _, err = w.Cases.Create(w.ctx, citizen, app)
		if err != nil {
			t.Fatal(err)
		}
		c = w.act(w.user("window1"), c.No, "accept", "")
		c = w.act(w.user("scjg1"), c.No, "pass", "")
		c = w.act(w.user("scjgfz"), c.No, "approve", "")
		if c.Status != casework.StatusDelivered || len(c.Tasks) != 0 {
			t.Fatalf("electronic delivery: %s %+v", c.Status, c.Tasks)
		}
		last := c.Timeline[len(c.Timeline)-1]
		if last.Action != "edeliver" || !strings.Contains(last.Actor, "系统") {
			t.Fatalf("last event: %+v", last)
		}
	})
}
