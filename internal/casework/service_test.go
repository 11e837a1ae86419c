package casework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yiwang/internal/app"
	"yiwang/internal/apperr"
	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/clock"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/demo"
	"yiwang/internal/files/filestest"
	"yiwang/internal/identity"
	"yiwang/internal/stdcode"
)

// world is the demo installation with a frozen clock: Tuesday 2026-09-29,
// 10:00 in Beijing, just before the 国庆 holidays.
type world struct {
	*app.App
	t     testing.TB
	ctx   context.Context
	clock *clock.Adjustable
	users map[string]*identity.Principal
}

var start = time.Date(2026, 9, 29, 10, 0, 0, 0, calendar.Shanghai)

func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newWorld(t, "")) })
	t.Run("postgres", func(t *testing.T) { fn(t, newWorld(t, dbtest.PostgresSchemaDSN(t))) })
}

func newWorld(t testing.TB, dsn string) *world {
	t.Helper()
	ctx := context.Background()
	clk := clock.Fixed(start)
	a, err := app.New(ctx, app.Config{DSN: dsn, DataDir: t.TempDir(), DataKey: bytes.Repeat([]byte{9}, 32),
		Log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), Version: "test", Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, loaded, err := a.LoadDemo(ctx); err != nil || !loaded {
		t.Fatalf("demo: %v %v", loaded, err)
	}
	return &world{App: a, t: t, ctx: ctx, clock: clk, users: map[string]*identity.Principal{}}
}

func (w *world) user(name string) *identity.Principal {
	w.t.Helper()
	if p := w.users[name]; p != nil {
		return p
	}
	p, err := w.Identity.Login(w.ctx, name, "yiwang-demo", "127.0.0.1")
	if err != nil {
		w.t.Fatalf("login %s: %v", name, err)
	}
	w.users[name] = p
	return p
}

func (w *world) item(name string) *catalog.Entry {
	w.t.Helper()
	snap, err := w.Catalog.Snapshot(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range snap.Entries {
		if e.Item.Name == name {
			return e
		}
	}
	w.t.Fatalf("no item %s", name)
	return nil
}

func (w *world) upload(p *identity.Principal, name string) string {
	w.t.Helper()
	f, err := w.Files.Upload(w.ctx, p, name, bytes.NewReader(filestest.PDF()))
	if err != nil {
		w.t.Fatal(err)
	}
	return f.ID
}

// fullApplication answers every question with its first option, fills
// the form as a real applicant would (leaving 免填写 fields to the
// platform) and uploads a file for every material that must come with the
// application.
func (w *world) fullApplication(p *identity.Principal, e *catalog.Entry) casework.Application {
	w.t.Helper()
	app := casework.Application{Item: e.Item.Code, Situation: map[string]string{}, Submit: true}
	for _, s := range e.Item.Situations {
		app.Situation[s.ID] = s.Options[0].ID
	}
	answers := catalog.Answers(app.Situation)
	app.Form = demo.FillForm(e.Form, answers, 7, func(src string) bool {
		return strings.HasPrefix(src, "person.") && !p.IsStaff() || strings.HasPrefix(src, "company.") && p.CompanyID != ""
	})
	for _, m := range e.Item.MaterialsFor(answers) {
		if casework.MustSubmit(m) {
			app.Materials = append(app.Materials, casework.MaterialRef{Material: m.ID, File: w.upload(p, m.Name+".pdf")})
		}
	}
	return app
}

func validID(first17 string) string {
	c, err := stdcode.IDCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

func validCredit(prefix16 string) string {
	oc, err := stdcode.OrgCodeCheckChar(prefix16[8:16])
	if err != nil {
		panic(err)
	}
	body := prefix16 + string(oc)
	c, err := stdcode.CreditCodeCheckChar(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

func (w *world) act(p *identity.Principal, ref, action, comment string) *casework.Case {
	w.t.Helper()
	return w.actData(p, ref, action, comment, nil)
}

// collector is what a window hand-over records: who collected the result.
var collector = map[string]any{"collector": map[string]any{"name": "王建国", "idNumber": "330122198807154518"}}

func (w *world) actData(p *identity.Principal, ref, action, comment string, data map[string]any) *casework.Case {
	w.t.Helper()
	c, err := w.Cases.Act(w.ctx, p, ref, casework.ActionInput{Action: action, Comment: comment, Data: data})
	if err != nil {
		w.t.Fatalf("%s %s: %v", p.Username, action, err)
	}
	return c
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func TestLifecycleOnlineToCollected(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen2")
		e := w.item("食品经营许可")
		app := w.fullApplication(citizen, e)
		c, replayed, err := w.Cases.Create(w.ctx, citizen, app)
		if err != nil || replayed {
			t.Fatalf("submit: %s", errText(err))
		}
		if c.Status != casework.StatusSubmitted || !strings.HasPrefix(c.No, "33012220260929") || len(c.No) != 19 || len(c.QueryPassword) != 6 {
			t.Fatalf("submitted case: %s %s %q", c.Status, c.No, c.QueryPassword)
		}
		if c.Deadline.Promised != nil {
			t.Fatal("the promised clock runs before acceptance")
		}
		// The form was prefilled from the account (免填写), stored sealed
		// and shown masked.
		var stored string
		if err := w.DB.QueryRowContext(w.ctx, `SELECT form_enc FROM cases WHERE id = ?`, c.ID).Scan(&stored); err != nil || strings.Contains(stored, "李建国") {
			t.Fatalf("form stored in the clear: %q %v", stored, err)
		}
		if got := strings.Join(c.Form["applicantName"], ""); got != "" && got != "李建国" {
			t.Fatalf("prefill: %v", c.Form)
		}

		// Someone else's case does not exist for them.
		if _, err := w.Cases.Get(w.ctx, w.user("citizen1"), c.No); code(err) != apperr.NotFound {
			t.Fatalf("citizen1 sees citizen2's case: %v", err)
		}
		if _, err := w.Cases.Get(w.ctx, w.user("wsjk1"), c.No); code(err) != apperr.NotFound {
			t.Fatalf("another department sees the case: %v", err)
		}
		// The approver cannot accept; the clerk can.
		if _, err := w.Cases.Act(w.ctx, w.user("scjg1"), c.No, casework.ActionInput{Action: "accept"}); code(err) != apperr.Forbidden {
			t.Fatalf("approver accepted at the window: %v", err)
		}
		c = w.act(w.user("window1"), c.No, "accept", "")
		if c.Status != casework.StatusAccepted || c.Deadline.Promised == nil {
			t.Fatalf("accepted: %+v", c)
		}
		// Accepted Tuesday 09-29 with 3 working days: 09-30, 10-08, 10-09.
		if c.Deadline.Promised.Due != "2026-10-09" || c.Deadline.Legal.Due != "2026-10-19" {
			t.Fatalf("deadlines: promised %+v legal %+v", c.Deadline.Promised, c.Deadline.Legal)
		}
		// Accepting twice is a conflict.
		if _, err := w.Cases.Act(w.ctx, w.user("window1"), c.No, casework.ActionInput{Action: "accept"}); code(err) != apperr.Conflict {
			t.Fatalf("second accept: %v", err)
		}
		inbox, err := w.Cases.Inbox(w.ctx, w.user("scjg1"), casework.InboxFilter{})
		if err != nil || len(inbox.Tasks) != 1 || inbox.Tasks[0].CaseNo != c.No || inbox.Tasks[0].Step != "review" || inbox.Tasks[0].Due != "2026-10-09" {
			t.Fatalf("inbox: %+v %v", inbox, err)
		}
		c = w.act(w.user("scjg1"), c.No, "pass", "材料齐全，符合条件")
		if c.Status != casework.StatusProcessing {
			t.Fatalf("after review: %s", c.Status)
		}
		// An action's answer (its timeline and materials read with the
		// action's last writes on PostgreSQL) is what a read sees after it.
		answerIsRead := func(actor *identity.Principal, got *casework.Case) {
			t.Helper()
			read, err := w.Cases.Get(w.ctx, actor, got.No)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal([]any{got.Timeline, got.Materials, got.Tasks, got.Licences})
			b, _ := json.Marshal([]any{read.Timeline, read.Materials, read.Tasks, read.Licences})
			if string(a) != string(b) || len(got.Timeline) == 0 || len(got.Materials) == 0 {
				t.Fatalf("answer of %s:\n%s\nread after it:\n%s", got.Status, a, b)
			}
		}
		answerIsRead(w.user("scjg1"), c)
		if last := c.Timeline[len(c.Timeline)-1]; last.Action != "pass" || last.Comment != "材料齐全，符合条件" {
			t.Fatalf("the answer's timeline ends with %+v", last)
		}
		// A denial needs a reason.
		if _, err := w.Cases.Act(w.ctx, w.user("scjgfz"), c.No, casework.ActionInput{Action: "deny"}); code(err) != apperr.Invalid {
			t.Fatalf("deny without reason: %v", err)
		}
		c = w.act(w.user("scjgfz"), c.No, "approve", "")
		if c.Status != casework.StatusClosed || c.Result != "approved" || c.ResultCode != "6" || c.Deadline.Promised.Overdue || !c.Deadline.Promised.Stopped {
			t.Fatalf("approved: %s %s %s %+v", c.Status, c.Result, c.ResultCode, c.Deadline.Promised)
		}
		answerIsRead(w.user("scjgfz"), c)
		c = w.actData(w.user("window1"), c.No, "handover", "", collector)
		if c.Status != casework.StatusCollected || c.FinishedAt == nil {
			t.Fatalf("collected: %s", c.Status)
		}
		mine, err := w.Cases.Get(w.ctx, citizen, c.No)
		if err != nil || len(mine.Timeline) != 5 || mine.Timeline[4].To != casework.StatusCollected || len(mine.Actions) != 0 {
			t.Fatalf("citizen's view: %+v %v", mine, err)
		}
		// Every transition is in the trail and the outbox.
		var audits, outbox int
		_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'case' AND object_id = ?`, c.ID).Scan(&audits)
		_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM outbox WHERE object_id = ?`, c.ID).Scan(&outbox)
		// The outbox has one more: the result is ready at the window.
		if audits != 5 || outbox != 6 {
			t.Fatalf("trail %d outbox %d, want 5 and 6", audits, outbox)
		}
		// The public lookup with the query password.
		pr, err := w.Cases.LookupProgress(w.ctx, c.No, mine.QueryPassword, "10.0.0.1")
		if err != nil || pr.StatusName != "已领取" || pr.Applicant != "李*国" {
			t.Fatalf("progress: %+v %v", pr, err)
		}
		if _, err := w.Cases.LookupProgress(w.ctx, c.No, "000000", "10.0.0.1"); code(err) != apperr.NotFound && mine.QueryPassword != "000000" {
			t.Fatalf("wrong password: %v", err)
		}
	})
}

func TestSubmissionRefusesBadInputAndKeepsNothing(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen2")
		e := w.item("食品经营许可")
		good := w.fullApplication(citizen, e)
		count := func() int {
			var n int
			_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM cases`).Scan(&n)
			return n
		}
		before := count()
		bad := []struct {
			name  string
			edit  func(a *casework.Application)
			field string
		}{
			{"no item", func(a *casework.Application) { a.Item = "" }, "item"},
			{"unknown item", func(a *casework.Application) { a.Item = "000000000000" }, "item"},
			{"unanswered question", func(a *casework.Application) { delete(a.Situation, "kind") }, "situation.kind"},
			{"unknown option", func(a *casework.Application) { a.Situation["kind"] = "rebuild" }, "situation.kind"},
			{"unknown form field", func(a *casework.Application) { a.Form["shoeSize"] = []string{"42"} }, "form.shoeSize"},
			{"missing required field", func(a *casework.Application) { delete(a.Form, "businessPlace") }, "form.businessPlace"},
			{"value of the wrong type", func(a *casework.Application) { a.Form["area"] = []string{"很大"} }, "form.area"},
			{"material the item does not have", func(a *casework.Application) {
				a.Materials = append(a.Materials, casework.MaterialRef{Material: "passport", File: a.Materials[0].File})
			}, "materials[" + fmt.Sprint(len(good.Materials)) + "].material"},
			{"someone else's file", func(a *casework.Application) { a.Materials[0].File = w.upload(w.user("citizen1"), "x.pdf") }, "materials[0].file"},
			{"missing material", func(a *casework.Application) { a.Materials = a.Materials[1:] }, "materials." + good.Materials[0].Material},
			{"stale version", func(a *casework.Application) { a.ItemVersion = e.Item.Version + 1 }, "itemVersion"},
		}
		for _, tc := range bad {
			app := good
			app.Situation = map[string]string{}
			for k, v := range good.Situation {
				app.Situation[k] = v
			}
			app.Form = catalog.Values{}
			for k, v := range good.Form {
				app.Form[k] = v
			}
			app.Materials = append([]casework.MaterialRef(nil), good.Materials...)
			tc.edit(&app)
			_, _, err := w.Cases.Create(w.ctx, citizen, app)
			var ae *apperr.Error
			if err == nil || !asErr(err, &ae) || ae.Fields[tc.field] == "" {
				t.Errorf("%s: want a message on %s, got %v (%+v)", tc.name, tc.field, err, ae)
			}
		}
		if n := count(); n != before {
			t.Fatalf("bad submissions left %d cases", n-before)
		}
		// A company may not apply for an item only for natural persons.
		if _, _, err := w.Cases.Create(w.ctx, w.user("company1"), casework.Application{Item: w.item("结婚登记").Item.Code}); code(err) != apperr.Invalid {
			t.Fatalf("company applied for 结婚登记: %v", err)
		}
		// An item not open online (网办深度 2) is refused online.
		if _, _, err := w.Cases.Create(w.ctx, citizen, casework.Application{Item: w.item("结婚登记").Item.Code}); code(err) != apperr.Invalid {
			t.Fatalf("online application for a window-only item: %v", err)
		}
	})
}

func asErr(err error, target **apperr.Error) bool {
	e, ok := err.(*apperr.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestDraftThenSubmitAndStaleDraft(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen2")
		e := w.item("食品经营许可")
		full := w.fullApplication(citizen, e)
		draft := full
		draft.Submit = false
		draft.Form = catalog.Values{"businessPlace": {"桐庐县春江路158号"}}
		d, _, err := w.Cases.Create(w.ctx, citizen, draft)
		if err != nil || d.Status != casework.StatusDraft || d.No != "" || len(d.Actions) != 1 || d.Actions[0].Action != "submit" {
			t.Fatalf("draft: %+v %s", d, errText(err))
		}
		// Nobody else sees a draft, not even the window.
		if _, err := w.Cases.Get(w.ctx, w.user("window1"), d.ID); code(err) != apperr.NotFound {
			t.Fatalf("clerk sees a draft: %v", err)
		}
		// Submitting the incomplete draft names what is missing; the draft stays.
		if _, err := w.Cases.Act(w.ctx, citizen, d.ID, casework.ActionInput{Action: "submit"}); code(err) != apperr.Invalid {
			t.Fatalf("incomplete draft submitted: %v", err)
		}
		if got, err := w.Cases.Get(w.ctx, citizen, d.ID); err != nil || got.Status != casework.StatusDraft || got.Form["businessPlace"][0] != "桐庐县春江路158号" {
			t.Fatalf("draft after a failed submit: %+v %v", got, err)
		}
		// The catalogue publishes a new version while the applicant drafts.
		it := e.Item
		it.Conditions += "（2026年10月起新增：经营场所须安装油烟净化设施）"
		if _, err := w.Catalog.PublishItem(w.ctx, w.user("admin"), it.Code, it); err != nil {
			t.Fatal(err)
		}
		full.Submit = false
		if _, err := w.Cases.UpdateDraft(w.ctx, citizen, d.ID, casework.Application{Item: e.Item.Code, Situation: full.Situation, Form: full.Form, Materials: full.Materials, ItemVersion: e.Item.Version}); code(err) != apperr.Conflict {
			t.Fatalf("stale draft save: %v", err)
		}
		if _, err := w.Cases.Act(w.ctx, citizen, d.ID, casework.ActionInput{Action: "submit"}); code(err) != apperr.Conflict {
			t.Fatalf("stale draft submitted: %v", err)
		}
		// Saving again under the new version and submitting works.
		d, err = w.Cases.UpdateDraft(w.ctx, citizen, d.ID, casework.Application{Situation: full.Situation, Form: full.Form, Materials: full.Materials})
		if err != nil || d.Item.Version != e.Item.Version+1 {
			t.Fatalf("resave: %+v %v", d, err)
		}
		c, err := w.Cases.Act(w.ctx, citizen, d.ID, casework.ActionInput{Action: "submit"})
		if err != nil || c.Status != casework.StatusSubmitted || c.No == "" || c.Item.Version != e.Item.Version+1 {
			t.Fatalf("submit: %+v %v", c, err)
		}
	})
}

func TestIdempotentSubmission(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen2")
		app := w.fullApplication(citizen, w.item("食品经营许可"))
		app.IdempotencyKey = "retry-7f3a"
		var wg sync.WaitGroup
		results := make([]*casework.Case, 4)
		errs := make([]error, 4)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				results[i], _, errs[i] = w.Cases.Create(w.ctx, citizen, app)
			}(i)
		}
		wg.Wait()
		for i := range results {
			if errs[i] != nil || results[i].No != results[0].No {
				t.Fatalf("retry %d: %v %v", i, errs[i], results[i])
			}
		}
		var n int
		_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM cases WHERE applicant_person_id = ?`, citizen.PersonID).Scan(&n)
		if n != 1 {
			t.Fatalf("%d cases for one key", n)
		}
		other := app
		other.Form = catalog.Values{}
		for k, v := range app.Form {
			other.Form[k] = v
		}
		other.Form["businessPlace"] = []string{"桐庐县另一处地址1号"}
		if _, _, err := w.Cases.Create(w.ctx, citizen, other); code(err) != apperr.Conflict {
			t.Fatalf("key reused for another request: %v", err)
		}
	})
}

func TestTwoClerksAcceptAtOnce(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen2")
		c, _, err := w.Cases.Create(w.ctx, citizen, w.fullApplication(citizen, w.item("食品经营许可")))
		if err != nil {
			t.Fatal(err)
		}
		clerk := w.user("window1")
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = w.Cases.Act(w.ctx, clerk, c.No, casework.ActionInput{Action: "accept"})
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch code(err) {
			case "":
			case apperr.Conflict:
				continue
			default:
				t.Fatalf("unexpected: %v", err)
			}
			if err == nil {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("%d accepts succeeded: %v", ok, errs)
		}
		var tasks int
		_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM case_tasks WHERE case_id = ? AND step_id = 'review'`, c.ID).Scan(&tasks)
		if tasks != 1 {
			t.Fatalf("%d review tasks", tasks)
		}
	})
}

func TestJointReviewWaitsForBothDepartments(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		agent := w.user("company1")
		e := w.item("建设工程规划许可证核发")
		c, _, err := w.Cases.Create(w.ctx, agent, w.fullApplication(agent, e))
		if err != nil {
			t.Fatal(err)
		}
		w.act(w.user("window1"), c.No, "accept", "")
		// 住建 sees the case because it has a task on it, though it is
		// another department's item.
		if _, err := w.Cases.Get(w.ctx, w.user("zjj1"), c.No); err != nil {
			t.Fatalf("joint department cannot see the case: %v", err)
		}
		c = w.act(w.user("zrzy1"), c.No, "pass", "符合控制性详细规划")
		if len(c.Tasks) != 1 || c.Tasks[0].Step != "opinion" {
			t.Fatalf("after one branch: %+v", c.Tasks)
		}
		if _, err := w.Cases.Act(w.ctx, w.user("zrzy1"), c.No, casework.ActionInput{Action: "approve"}); code(err) == "" {
			t.Fatal("decided before the joint opinion")
		}
		c = w.act(w.user("zjj1"), c.No, "agree", "同意")
		if len(c.Tasks) != 1 || c.Tasks[0].Step != "decide" {
			t.Fatalf("after both: %+v", c.Tasks)
		}
		c = w.act(w.user("zrzy1"), c.No, "approve", "")
		if c.Status != casework.StatusClosed || c.ResultCode != "6" {
			t.Fatalf("%s %s", c.Status, c.ResultCode)
		}
	})
}

var walkInID = validID("33012219900214002")

func TestWindowIntakeForAWalkIn(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		clerk := w.user("window1")
		e := w.item("结婚登记")
		app := w.fullApplication(clerk, e)
		app.Applicant = &casework.ApplicantInput{IDNumber: walkInID, Name: "陈美玲", Phone: "13867154321"}
		people := func() int {
			var n int
			_ = w.DB.QueryRowContext(w.ctx, `SELECT count(*) FROM people`).Scan(&n)
			return n
		}
		// A walk-in with a bad phone number: nothing is registered, no case.
		before := people()
		bad := app
		bad.Applicant = &casework.ApplicantInput{IDNumber: walkInID, Name: "陈美玲", Phone: "12345"}
		if _, _, err := w.Cases.Create(w.ctx, clerk, bad); code(err) != apperr.Invalid {
			t.Fatalf("bad phone: %v", err)
		}
		// A walk-in whose case fails (a required material missing): the
		// person is not registered either (one transaction).
		bad = app
		bad.Materials = nil
		if _, _, err := w.Cases.Create(w.ctx, clerk, bad); code(err) != apperr.Invalid {
			t.Fatalf("missing materials: %v", err)
		}
		if people() != before {
			t.Fatal("a failed intake registered the walk-in")
		}
		// Applicant's ID number prefilled from the walk-in's record.
		c, _, err := w.Cases.Create(w.ctx, clerk, app)
		if err != nil {
			t.Fatal(err)
		}
		if c.Channel != "0" || c.Applicant.Name != "陈美玲" || c.Applicant.IDMasked != stdcode.MaskIDNumber(walkInID) {
			t.Fatalf("window case: %+v", c.Applicant)
		}
		// The clerk may withdraw the walk-in's application for them.
		if !slices.ContainsFunc(c.Actions, func(a casework.ActionView) bool { return a.Action == "withdraw" }) {
			t.Fatalf("the intake clerk is not offered to withdraw: %+v", c.Actions)
		}
		c = w.act(clerk, c.No, "approve", "")
		if c.Status != casework.StatusClosed || c.Deadline.Promised.Due != "2026-09-29" {
			t.Fatalf("即办件: %s %+v", c.Status, c.Deadline.Promised)
		}
		// Accepted and decided in one action: both events are announced.
		var topics []string
		rows, _ := w.DB.QueryContext(w.ctx, `SELECT topic FROM outbox WHERE object_id = ? ORDER BY topic`, c.ID)
		for rows.Next() {
			var tp string
			_ = rows.Scan(&tp)
			topics = append(topics, tp)
		}
		rows.Close()
		if fmt.Sprint(topics) != "[case.accepted case.decided case.ready case.submitted]" {
			t.Fatalf("outbox of an instant approval: %v", topics)
		}
		// Applying for someone else is the window's business only.
		app2 := w.fullApplication(w.user("citizen2"), w.item("食品经营许可"))
		app2.Applicant = &casework.ApplicantInput{IDNumber: walkInID}
		if _, _, err := w.Cases.Create(w.ctx, w.user("citizen2"), app2); code(err) != apperr.Forbidden {
			t.Fatalf("citizen applied for someone else: %v", err)
		}
		// A refusal at the window needs a reason and ends the case.
		app3 := w.fullApplication(clerk, e)
		app3.Applicant = &casework.ApplicantInput{IDNumber: walkInID}
		c3, _, err := w.Cases.Create(w.ctx, clerk, app3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Cases.Act(w.ctx, clerk, c3.No, casework.ActionInput{Action: "refuse"}); code(err) != apperr.Invalid {
			t.Fatalf("refuse without reason: %v", err)
		}
		c3 = w.act(clerk, c3.No, "refuse", "双方未同时到场，不符合受理条件")
		if c3.Status != casework.StatusRefused || c3.ResultCode != "" || c3.Timeline[1].Comment == "" {
			t.Fatalf("refused: %+v", c3)
		}
	})
}

func TestListsAndScopes(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		citizen := w.user("citizen2")
		var nos []string
		for i := 0; i < 3; i++ {
			c, _, err := w.Cases.Create(w.ctx, citizen, w.fullApplication(citizen, w.item("食品经营许可")))
			if err != nil {
				t.Fatal(err)
			}
			nos = append(nos, c.No)
			w.clock.Advance(time.Minute)
		}
		w.act(w.user("window1"), nos[0], "accept", "")
		page, err := w.Cases.Mine(w.ctx, citizen, casework.Filter{})
		if err != nil || len(page.Cases) != 3 || page.Cases[0].No != nos[2] {
			t.Fatalf("mine: %+v %v", page, err)
		}
		if page, _ := w.Cases.Mine(w.ctx, w.user("citizen1"), casework.Filter{}); len(page.Cases) != 0 {
			t.Fatalf("citizen1 lists citizen2's cases: %+v", page.Cases)
		}
		page, err = w.Cases.List(w.ctx, w.user("scjg1"), casework.Filter{Status: casework.StatusAccepted})
		if err != nil || len(page.Cases) != 1 || page.Cases[0].No != nos[0] {
			t.Fatalf("department list: %+v %v", page, err)
		}
		if page, _ := w.Cases.List(w.ctx, w.user("wsjk1"), casework.Filter{}); len(page.Cases) != 0 {
			t.Fatalf("卫健 lists 市场监管 cases: %+v", page.Cases)
		}
		page, err = w.Cases.List(w.ctx, w.user("window1"), casework.Filter{PageSize: 2})
		if err != nil || len(page.Cases) != 2 || !page.More {
			t.Fatalf("paging: %+v %v", page, err)
		}
		if _, err := w.Cases.List(w.ctx, citizen, casework.Filter{}); code(err) != apperr.Forbidden {
			t.Fatalf("citizen used the staff list: %v", err)
		}
		if _, err := w.Cases.List(w.ctx, w.user("window1"), casework.Filter{Status: "lost"}); code(err) != apperr.Invalid {
			t.Fatalf("bad status: %v", err)
		}
		if _, err := w.Cases.List(w.ctx, w.user("window1"), casework.Filter{From: "2026-02-30"}); code(err) != apperr.Invalid {
			t.Fatalf("bad date: %v", err)
		}
		// Overdue: move past the promised date (3 working days → 10-09).
		w.clock.Advance(12 * 24 * time.Hour)
		page, err = w.Cases.List(w.ctx, w.user("scjg1"), casework.Filter{Overdue: true})
		if err != nil || len(page.Cases) != 1 || !page.Cases[0].Overdue {
			t.Fatalf("overdue: %+v %v", page, err)
		}
	})
}

func TestWorkflowEditing(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		admin := w.user("admin")
		wf, err := w.Cases.GetWorkflow(w.ctx, "standard")
		if err != nil {
			t.Fatal(err)
		}
		broken := wf.Workflow
		broken.Steps = append([]casework.StepDef(nil), wf.Steps...)
		broken.Steps[1].Actor = casework.Actor{}
		if _, err := w.Cases.SaveWorkflow(w.ctx, admin, broken); code(err) != apperr.Invalid {
			t.Fatalf("broken workflow saved: %v", err)
		}
		if _, err := w.Cases.SaveWorkflow(w.ctx, w.user("scjg1"), wf.Workflow); code(err) != apperr.Forbidden {
			t.Fatalf("approver edited a workflow: %v", err)
		}
		// A case submitted before an edit keeps its definition.
		citizen := w.user("citizen2")
		c, _, err := w.Cases.Create(w.ctx, citizen, w.fullApplication(citizen, w.item("食品经营许可")))
		if err != nil {
			t.Fatal(err)
		}
		edited := wf.Workflow
		edited.Steps = append([]casework.StepDef(nil), wf.Steps...)
		edited.Steps[0].Name = "综合窗口受理"
		saved, err := w.Cases.SaveWorkflow(w.ctx, admin, edited)
		if err != nil || saved.Revision != 2 {
			t.Fatalf("save: %+v %v", saved, err)
		}
		got, _ := w.Cases.Get(w.ctx, w.user("window1"), c.No)
		if got.Tasks[0].StepName != "受理" {
			t.Fatalf("running case changed its step: %+v", got.Tasks)
		}
		// An item naming a workflow that does not exist cannot be published.
		it := w.item("食品经营许可").Item
		it.Workflow = "no-such-flow"
		if _, err := w.Catalog.PublishItem(w.ctx, admin, it.Code, it); code(err) != apperr.Invalid {
			t.Fatalf("item with unknown workflow published: %v", err)
		}
	})
}

// errText shows an error with every field message, for failure output.
func errText(err error) string {
	if e, ok := err.(*apperr.Error); ok && len(e.Fields) > 0 {
		return fmt.Sprintf("%v %v", err, e.Fields)
	}
	return fmt.Sprint(err)
}

// More simultaneous submissions and actions than the PostgreSQL pool has
// connections: none may wait for a second connection inside its
// transaction, or they all wait for ever.
func TestMoreConcurrentCasesThanConnections(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		agent := w.user("company1")
		app := w.fullApplication(agent, w.item("食品经营许可"))
		ctx, cancel := context.WithTimeout(w.ctx, 60*time.Second)
		defer cancel()
		const n = 48
		var wg sync.WaitGroup
		errs := make([]error, n)
		nos := make([]string, n)
		clerk := w.user("window1") // logged in here: w.users is not for concurrent use
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c, _, err := w.Cases.Create(ctx, agent, app)
				if err == nil {
					nos[i] = c.No
					_, err = w.Cases.Act(ctx, clerk, c.No, casework.ActionInput{Action: "accept"})
				}
				errs[i] = err
			}(i)
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			if seen[nos[i]] {
				t.Fatalf("case number %s given twice", nos[i])
			}
			seen[nos[i]] = true
		}
	})
}
