package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/identity"
	"yiwang/internal/notify/notifytest"
)

// Events are handled a batch per transaction; one that fails does not
// hold up the others of its batch, and is given up after its attempts.
func TestAFailingEventDoesNotHoldUpItsBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.personCase("citizen1")
		first := f.event(c, "case.accepted", nil)
		bad := f.event(c, "case.decided", map[string]any{"caseNo": f.caseNo(c), "result": "approved", "resultCode": "6"})
		last := f.event(c, "case.ready", nil)
		expandFault = func(ev event) error {
			if ev.ID == bad {
				return errors.New("disk I/O error")
			}
			return nil
		}
		t.Cleanup(func() { expandFault = nil })
		s := f.service(Config{SMS: &recorder{}, Email: &recorder{}})
		for range maxEventAttempts + 2 {
			if _, err := s.expandPending(f.ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{first, last} {
			if n := f.count(`SELECT count(*) FROM outbox WHERE id = ? AND delivered_at IS NOT NULL`, id); n != 1 {
				t.Fatalf("event %s not handled beside the failing one", id)
			}
			if n := f.count(`SELECT count(*) FROM notices WHERE event_id = ?`, id); n == 0 {
				t.Fatalf("no notice of event %s", id)
			}
		}
		if n := f.count(`SELECT attempts FROM outbox WHERE id = ? AND delivered_at IS NULL`, bad); n != maxEventAttempts {
			t.Fatalf("the failing event: %d attempts, want %d and not handled", n, maxEventAttempts)
		}
		if n := f.count(`SELECT count(*) FROM notices WHERE event_id = ?`, bad); n != 0 {
			t.Fatalf("the failing event left %d notices", n)
		}
	})
}

// One pass over a batch that mixes a person's case, a company's case
// (one agent authorised, one whose authorisation has ended), a case.step,
// an event about a case that does not exist and a payload that is not
// JSON: every event is marked handled, exactly the right notices and
// deliveries are written, and the pass costs a fixed handful of
// statements, not a few per event.
func TestOnePassHandlesAMixedBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		citizen, agent, legalRep := f.user("citizen2"), f.user("company1"), f.legalRep()
		var company string
		if err := d.QueryRowContext(f.ctx, `SELECT company_id FROM accounts WHERE id = ?`, agent.Account).Scan(&company); err != nil {
			t.Fatal(err)
		}
		// 李建国 was an agent of the company too, with his own company
		// account, until a minute after the start.
		ended := start.Add(time.Minute)
		var former string
		if err := d.InTx(f.ctx, func(tx *db.Tx) error {
			sd := identity.Seeder{S: f.IDs, Tx: tx}
			if err := sd.Agent(f.ctx, company, citizen.Person, "agent", &ended); err != nil {
				return err
			}
			var err error
			former, err = sd.CompanyAccount(f.ctx, "company-former", "x", company, citizen.Person, "李建国")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		mine, theirs := f.personCase("citizen2"), f.companyCase()
		f.Clock.Advance(2 * time.Minute)
		accepted := f.event(mine, "case.accepted", nil)
		supplement := f.event(theirs, "case.supplement_requested", map[string]any{"caseNo": f.caseNo(theirs), "materials": []string{"营业执照"}, "due": "2026-10-12", "reason": "照片不清晰"})
		step := f.event(mine, "case.step", nil)
		missing := f.event(newIDForTest(), "case.accepted", `{"caseNo": "330122202609289999"}`)
		broken := f.event(mine, "case.accepted", "not json")
		ids := []string{accepted, supplement, step, missing, broken}

		s := f.service(Config{})
		now := s.now()
		q := &countingQuerier{}
		var n int
		if err := d.InTx(f.ctx, func(tx *db.Tx) error {
			q.Querier = tx
			var err error
			n, err = s.expandIn(f.ctx, q, ids, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n != len(ids) {
			t.Fatalf("%d events handled, want %d", n, len(ids))
		}
		// Events, cases, the person's accounts and self, the company's
		// accounts and agents, notices, deliveries, the mark: 9 whatever
		// the batch's size (before: some 6 per event and one per row).
		if q.n > 9 {
			t.Fatalf("%d statements for one pass, want at most 9", q.n)
		}
		t.Logf("%d events in %d statements", n, q.n)
		for _, id := range ids {
			var attempts int
			var at *time.Time
			if err := d.QueryRowContext(f.ctx, `SELECT attempts, delivered_at FROM outbox WHERE id = ?`, id).Scan(&attempts, &at); err != nil {
				t.Fatal(err)
			}
			if attempts != 1 || at == nil || !at.Equal(now) {
				t.Fatalf("event %s: attempts %d delivered_at %v, want 1 and %v", id, attempts, at, now)
			}
		}

		mineRef := caseRef{No: f.caseNo(mine), Item: notifytest.ItemName}
		theirRef := caseRef{No: f.caseNo(theirs), Item: notifytest.ItemName}
		acceptedText, _ := compose("case.accepted", mineRef, payload{})
		supplementText, _ := compose("case.supplement_requested", theirRef, payload{"materials": "营业执照", "due": "2026-10-12", "reason": "照片不清晰"})
		if acceptedText.Body != "您办理的“食品经营许可（新办）”（办件编号 "+mineRef.No+"）已受理，正在办理。" || !strings.Contains(supplementText.Body, "营业执照") {
			t.Fatalf("texts: %q / %q", acceptedText.Body, supplementText.Body)
		}

		type noticeRow struct{ Account, Event, Case, CaseNo, Topic, Title, Body string }
		wantNotices := []noticeRow{
			{citizen.Account, accepted, mine, mineRef.No, "case.accepted", "已受理", acceptedText.Body},
			{agent.Account, supplement, theirs, theirRef.No, "case.supplement_requested", "补正通知", supplementText.Body},
		}
		var gotNotices []noticeRow
		rows, err := d.QueryContext(f.ctx, `SELECT account_id, event_id, case_id, case_no, topic, title, body, created_at, read_at IS NULL FROM notices ORDER BY created_at, account_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r noticeRow
			var at time.Time
			var unread bool
			if err := rows.Scan(&r.Account, &r.Event, &r.Case, &r.CaseNo, &r.Topic, &r.Title, &r.Body, &at, &unread); err != nil {
				t.Fatal(err)
			}
			var eventAt time.Time
			if err := d.QueryRowContext(f.ctx, `SELECT created_at FROM outbox WHERE id = ?`, r.Event).Scan(&eventAt); err != nil {
				t.Fatal(err)
			}
			if !at.Equal(eventAt) || !unread {
				t.Errorf("notice %+v: created_at %v (event at %v), unread %v", r, at, eventAt, unread)
			}
			gotNotices = append(gotNotices, r)
		}
		rows.Close()
		if !slices.Equal(gotNotices, wantNotices) {
			t.Fatalf("notices:\n got %+v\nwant %+v (none for the former agent %s)", gotNotices, wantNotices, former)
		}

		type deliveryRow struct{ Event, Channel, Person, Case, CaseNo, Topic, ToMasked, ToName, Subject, Body string }
		sms := func(event, personID, c, no, topic, masked, name string, t text) deliveryRow {
			return deliveryRow{event, "sms", personID, c, no, topic, masked, name, "", smsText(t)}
		}
		mail := func(event, personID, c, no, topic, masked, name, greeting string, ref caseRef, t text) deliveryRow {
			subject, body := emailText(t, ref, greeting)
			return deliveryRow{event, "email", personID, c, no, topic, masked, name, subject, body}
		}
		wantDeliveries := []deliveryRow{
			sms(accepted, citizen.Person, mine, mineRef.No, "case.accepted", "136****8866", "李建国", acceptedText),
			mail(accepted, citizen.Person, mine, mineRef.No, "case.accepted", "li*******@example.com", "李建国", "李建国", mineRef, acceptedText),
			sms(supplement, legalRep, theirs, theirRef.No, "case.supplement_requested", "138****9090", "周国华", supplementText),
			sms(supplement, agent.Person, theirs, theirRef.No, "case.supplement_requested", "158****3456", "陈晓峰", supplementText),
			mail(supplement, agent.Person, theirs, theirRef.No, "case.supplement_requested", "ch**********@example.com", "陈晓峰", "陈晓峰（桐庐春江餐饮管理有限公司）", theirRef, supplementText),
		}
		want := map[deliveryRow]bool{}
		for _, r := range wantDeliveries {
			want[r] = true
		}
		rows, err = d.QueryContext(f.ctx, `SELECT event_id, channel, person_id, case_id, case_no, topic, to_masked, to_name, subject, body, idem_key, state, attempts, next_try_at, created_at, lease_until IS NULL
			FROM notice_deliveries`)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for rows.Next() {
			var r deliveryRow
			var key, state string
			var attempts int
			var next, at time.Time
			var noLease bool
			if err := rows.Scan(&r.Event, &r.Channel, &r.Person, &r.Case, &r.CaseNo, &r.Topic, &r.ToMasked, &r.ToName, &r.Subject, &r.Body, &key, &state, &attempts, &next, &at, &noLease); err != nil {
				t.Fatal(err)
			}
			got++
			if !want[r] {
				t.Errorf("unexpected delivery %+v", r)
				continue
			}
			delete(want, r)
			if key != idempotencyKey(r.Event, Channel(r.Channel), r.Person) || state != "pending" || attempts != 0 || !next.Equal(now) || !at.Equal(now) || !noLease {
				t.Errorf("delivery %s %s: key %s state %s attempts %d next %v created %v", r.Channel, r.ToName, key, state, attempts, next, at)
			}
		}
		rows.Close()
		if len(want) > 0 || got != len(wantDeliveries) {
			t.Fatalf("%d deliveries; missing %+v", got, want)
		}

		// The same batch again, as after a lost mark, adds nothing.
		f.exec(`UPDATE outbox SET delivered_at = NULL`)
		if n, err := s.expandAll(f.ctx, ids); err != nil || n != len(ids) {
			t.Fatalf("second pass: %d %v", n, err)
		}
		if f.count(`SELECT count(*) FROM notices`) != len(wantNotices) || f.count(`SELECT count(*) FROM notice_deliveries`) != len(wantDeliveries) {
			t.Fatal("handling the batch again added rows")
		}
	})
}

// countingQuerier counts the statements sent through it.
type countingQuerier struct {
	db.Querier
	n int
}

func (c *countingQuerier) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n++
	return c.Querier.ExecContext(ctx, q, args...)
}

func (c *countingQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.n++
	return c.Querier.QueryContext(ctx, q, args...)
}

func (c *countingQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	c.n++
	return c.Querier.QueryRowContext(ctx, q, args...)
}

// A claim of many deliveries reads their addresses together and still
// puts each read on the audit trail with its reason; a person who has no
// address any more is read but not revealed, and their delivery fails.
func TestAClaimAuditsEachAddressItReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		li := f.user("citizen2").Person
		f.event(f.personCase("citizen2"), "case.accepted", nil)
		f.event(f.personCase("citizen1"), "case.accepted", nil)
		f.event(f.companyCase(), "case.accepted", nil)
		s := f.service(Config{})
		if _, err := s.expandPending(f.ctx); err != nil {
			t.Fatal(err)
		}
		f.exec(`UPDATE people SET email_enc = '', email_masked = '' WHERE id = ?`, li)
		cs, err := s.claimSome(f.ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		// 李建国 SMS and e-mail, 王秀英 SMS, 周国华 SMS, 陈晓峰 SMS and e-mail.
		if len(cs) != 6 {
			t.Fatalf("%d claimed, want 6", len(cs))
		}
		want := map[string]string{"sms 李建国": "13605718866", "sms 王秀英": "13957112345", "sms 周国华": "13805719090",
			"sms 陈晓峰": "15867123456", "email 陈晓峰": "chenxiaofeng@example.com"}
		revealed := map[string]*claimed{}
		for _, c := range cs {
			who := string(c.Channel) + " " + c.ToName
			if who == "email 李建国" {
				if !IsPermanent(c.err) || c.To != "" {
					t.Fatalf("the e-mail to an address removed: to %q err %v, want a permanent error", c.To, c.err)
				}
				continue
			}
			if c.err != nil || c.To != want[who] {
				t.Fatalf("%s: to %q err %v, want %s", who, c.To, c.err, want[who])
			}
			revealed[c.ID] = c
		}
		rows, err := d.QueryContext(f.ctx, `SELECT object_id, detail FROM audit_log WHERE action = 'person.reveal' AND actor_name = '办件通知'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var person, raw string
			if err := rows.Scan(&person, &raw); err != nil {
				t.Fatal(err)
			}
			var detail struct {
				Reason   string   `json:"reason"`
				Fields   []string `json:"fields"`
				Delivery string   `json:"delivery"`
				Key      string   `json:"key"`
				Attempt  int      `json:"attempt"`
			}
			if err := json.Unmarshal([]byte(raw), &detail); err != nil {
				t.Fatal(err)
			}
			c := revealed[detail.Delivery]
			if c == nil {
				t.Fatalf("a read of no delivery revealed: %s", raw)
			}
			delete(revealed, detail.Delivery)
			field := map[Channel]string{SMS: "phone", Email: "email"}[c.Channel]
			if person != c.PersonID || detail.Reason != "发送办件通知（"+ChannelNames[c.Channel]+"）" || !slices.Equal(detail.Fields, []string{field}) || detail.Key != c.Key || detail.Attempt != 1 {
				t.Fatalf("audit entry %s of delivery %+v", raw, c.delivery)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n != 5 || len(revealed) != 0 {
			t.Fatalf("%d reads on the trail, want 5; not audited: %v", n, revealed)
		}
	})
}
