package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/identity"
)

// recorders returns a config whose SMS and e-mail go to two recorders.
func recorders() (Config, *recorder, *recorder) {
	sms, mail := &recorder{}, &recorder{}
	return Config{SMS: sms, Email: mail, Senders: 3}, sms, mail
}

func TestEachEventIsToldOncePerAccountAndChannel(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		citizen, agent, legalRep := f.user("citizen2"), f.user("company1"), f.legalRep()
		mine, theirs := f.personCase("citizen2"), f.companyCase()
		accepted := f.event(mine, "case.accepted", nil)
		f.event(mine, "case.step", nil)
		f.event(mine, "case.submitted", nil) // in the app only
		supplement := f.event(theirs, "case.supplement_requested", map[string]any{"caseNo": f.caseNo(theirs), "materials": []string{"营业执照", "健康证明"}, "due": "2026-10-12", "reason": "照片不清晰"})
		cfg, sms, mail := recorders()
		s := f.service(cfg)
		st := f.drain(s)
		if st.Events != 4 || st.Sent != 5 || st.Failed != 0 {
			t.Fatalf("stats %+v, want 4 events and 5 messages", st)
		}
		// The person: two notices (accepted, submitted), one SMS and one e-mail.
		if n := f.count(`SELECT count(*) FROM notices WHERE account_id = ?`, citizen.Account); n != 2 {
			t.Fatalf("citizen has %d notices, want 2", n)
		}
		// The company's account: the supplement notice; SMS to both agents,
		// e-mail to the one who has an address.
		var title, body string
		if err := d.QueryRowContext(f.ctx, `SELECT title, body FROM notices WHERE account_id = ? AND event_id = ?`, agent.Account, supplement).Scan(&title, &body); err != nil {
			t.Fatal(err)
		}
		if title != "补正通知" || !strings.Contains(body, "营业执照、健康证明") || !strings.Contains(body, "2026年10月12日") || !strings.Contains(body, "照片不清晰") {
			t.Fatalf("supplement notice: %s / %s", title, body)
		}
		smsTo := map[string]int{}
		for _, m := range sms.got() {
			smsTo[m.To]++
			if !strings.HasPrefix(m.Body, Signature) {
				t.Errorf("SMS without signature: %s", m.Body)
			}
		}
		if len(smsTo) != 3 || smsTo["13605718866"] != 1 || smsTo["15867123456"] != 1 || smsTo["13805719090"] != 1 {
			t.Fatalf("SMS went to %v", smsTo)
		}
		if got := mail.got(); len(got) != 2 {
			t.Fatalf("%d e-mails, want 2 (李建国, 陈晓峰)", len(got))
		}
		for _, m := range mail.got() {
			if m.To == "chenxiaofeng@example.com" && !strings.Contains(m.Body, "陈晓峰（桐庐春江餐饮管理有限公司）") {
				t.Errorf("company e-mail greeting: %s", m.Body)
			}
		}
		_ = legalRep

		// Handling the events again (as if the mark that they were handled
		// had been lost) adds nothing, and nothing is sent twice.
		f.exec(`UPDATE outbox SET delivered_at = NULL`)
		st = f.drain(s)
		if st.Events != 4 || st.Sent != 0 {
			t.Fatalf("second pass %+v: want the 4 events seen again and nothing sent", st)
		}
		if n := f.count(`SELECT count(*) FROM notices`); n != 3 {
			t.Fatalf("%d notices after handling every event twice, want 3", n)
		}
		if n := f.count(`SELECT count(*) FROM notice_deliveries`); n != 5 {
			t.Fatalf("%d deliveries, want 5", n)
		}
		if sms.tries() != 3 || mail.tries() != 2 {
			t.Fatalf("attempts sms %d mail %d, want 3 and 2", sms.tries(), mail.tries())
		}
		// Every message of one event and channel has its own key, the same
		// the store knows.
		var key string
		if err := d.QueryRowContext(f.ctx, `SELECT idem_key FROM notice_deliveries WHERE event_id = ? AND channel = 'sms'`, accepted).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if m, ok := sms.got()[key]; !ok || m.To != "13605718866" || m.CaseNo != f.caseNo(mine) {
			t.Fatalf("SMS of the accepted event under key %s: %+v", key, m)
		}
		// Each attempt read an address, and each read is on the trail.
		if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'person.reveal' AND actor_name = '办件通知'`); n != 5 {
			t.Fatalf("%d audited address reads, want 5", n)
		}
	})
}

func TestRestartMidDeliveryResendsWithTheSameKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.personCase("citizen1") // phone only: one SMS per event
		f.event(c, "case.accepted", nil)
		f.event(c, "case.ready", nil)
		f.event(c, "case.posted", map[string]any{"caseNo": f.caseNo(c), "carrier": "中国邮政EMS", "trackingNo": "1190123456789"})
		gateway := &recorder{}
		cfg := Config{SMS: gateway, Email: gateway, Senders: 1, Lease: 2 * time.Minute, SendTimeout: 10 * time.Second}

		// The first process claims a delivery and dies before sending it.
		first := f.service(cfg)
		if _, err := first.expandPending(f.ctx); err != nil {
			t.Fatal(err)
		}
		orphan, ok, err := first.claim(f.ctx)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		// The second process hangs (or dies) after the gateway took a
		// message but before recording it.
		release := make(chan error)
		took := make(chan string, 1)
		hung := &recorder{fail: func(m Message, n int) error { took <- m.Key; return <-release }}
		hangCfg := cfg
		hangCfg.SMS = &hangingGateway{gateway: gateway, hang: hung}
		second := f.service(hangCfg)
		var wg sync.WaitGroup
		wg.Go(func() { second.Drain(context.Background()) })
		hungKey := <-took

		// A third process starts: the two leases are still running, so
		// it sends only the delivery nobody holds.
		third := f.service(cfg)
		if st := f.drain(third); st.Sent != 1 {
			t.Fatalf("while the leases run: %+v, want 1 sent", st)
		}
		// Once the leases have run out it takes both over.
		f.Clock.Advance(cfg.Lease + time.Second)
		if st := f.drain(third); st.Sent != 2 {
			t.Fatalf("after the leases: %+v, want 2 sent", st)
		}
		// The hung process wakes up and reports a failure: its claim is no
		// longer the current one, so nothing changes.
		release <- errors.New("connection reset")
		wg.Wait()
		if n := f.count(`SELECT count(*) FROM notice_deliveries WHERE state = 'sent'`); n != 3 {
			t.Fatalf("%d deliveries sent, want all 3", n)
		}
		// Each of the three messages reached the person once; the one that
		// was in flight was handed over twice under the same key.
		if got := gateway.got(); len(got) != 3 {
			t.Fatalf("%d messages delivered, want 3", len(got))
		}
		if _, ok := gateway.got()[orphan.Key]; !ok {
			t.Fatal("the orphaned claim was never sent")
		}
		if n := attemptsOf(gateway, hungKey); n != 2 {
			t.Fatalf("the message in flight at the crash was handed over %d times, want 2 (same key)", n)
		}
		var attempts int
		var key string
		if err := d.QueryRowContext(f.ctx, `SELECT attempts, idem_key FROM notice_deliveries WHERE id = ?`, orphan.ID).Scan(&attempts, &key); err != nil {
			t.Fatal(err)
		}
		if attempts != 2 || key != orphan.Key {
			t.Fatalf("orphan: attempts %d key %s, want 2 and %s", attempts, key, orphan.Key)
		}
	})
}

// hangingGateway hands messages to gateway and then lets hang decide
// whether the sender ever hears back.
type hangingGateway struct {
	gateway *recorder
	hang    *recorder
}

func (h *hangingGateway) Send(ctx context.Context, m Message) error {
	if err := h.gateway.Send(ctx, m); err != nil {
		return err
	}
	return h.hang.Send(ctx, m)
}

func attemptsOf(r *recorder, key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range r.attempts {
		if a.Key == key {
			n++
		}
	}
	return n
}

func TestTwoWorkersNeverDoubleSend(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		for i := 0; i < 12; i++ {
			c := f.personCase("citizen2")
			if i%3 == 0 {
				c = f.companyCase()
			}
			f.event(c, "case.accepted", nil)
			f.event(c, "case.decided", map[string]any{"caseNo": f.caseNo(c), "result": "approved", "resultCode": "6"})
		}
		gateway := &recorder{}
		cfg := Config{SMS: gateway, Email: gateway, Senders: 4}
		a, b := f.service(cfg), f.service(cfg)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for _, s := range []*Service{a, b, a, b} {
			wg.Go(func() {
				if _, err := s.Drain(context.Background()); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		f.drain(a) // anything a busy worker left for the next poll
		deliveries := f.count(`SELECT count(*) FROM notice_deliveries`)
		// 8 person cases × 2 events × (SMS + e-mail) + 4 company cases × 2 events × (2 SMS + 1 e-mail)
		if deliveries != 8*2*2+4*2*3 {
			t.Fatalf("%d deliveries", deliveries)
		}
		if gateway.tries() != deliveries || len(gateway.got()) != deliveries {
			t.Fatalf("%d attempts for %d deliveries (%d keys): a message went out twice", gateway.tries(), deliveries, len(gateway.got()))
		}
		if n := f.count(`SELECT count(*) FROM notices`); n != 12*2 {
			t.Fatalf("%d notices, want 24", n)
		}
		if n := f.count(`SELECT count(*) FROM outbox WHERE delivered_at IS NULL`); n != 0 {
			t.Fatalf("%d events left", n)
		}
	})
}

func TestFailingSenderBacksOffAndGivesUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.personCase("citizen1")
		f.event(c, "case.accepted", nil)
		down := &recorder{fail: func(Message, int) error { return errors.New("gateway timeout") }}
		s := f.service(Config{SMS: down, MaxAttempts: 3, Backoff: time.Minute, MaxBackoff: time.Hour})
		state := func() (st string, attempts int, next time.Time, lastErr string) {
			t.Helper()
			if err := d.QueryRowContext(f.ctx, `SELECT state, attempts, next_try_at, last_error FROM notice_deliveries`).Scan(&st, &attempts, &next, &lastErr); err != nil {
				t.Fatal(err)
			}
			return
		}
		f.drain(s)
		st, n, next, lastErr := state()
		if st != "pending" || n != 1 || !next.Equal(f.Clock.Now().UTC().Truncate(time.Microsecond).Add(time.Minute)) || lastErr != "gateway timeout" {
			t.Fatalf("after attempt 1: %s %d %v %q", st, n, next, lastErr)
		}
		f.drain(s) // not due yet
		if down.tries() != 1 {
			t.Fatalf("retried before the backoff: %d attempts", down.tries())
		}
		f.Clock.Advance(time.Minute)
		f.drain(s)
		st, n, next, _ = state()
		if st != "pending" || n != 2 || !next.Equal(f.Clock.Now().UTC().Truncate(time.Microsecond).Add(2*time.Minute)) {
			t.Fatalf("after attempt 2: %s %d %v (want the wait doubled)", st, n, next)
		}
		f.Clock.Advance(2 * time.Minute)
		if got := f.drain(s); got.Failed != 1 {
			t.Fatalf("last attempt: %+v, want it failed", got)
		}
		if st, n, _, _ = state(); st != "failed" || n != 3 {
			t.Fatalf("after the last attempt: %s %d", st, n)
		}
		f.Clock.Advance(24 * time.Hour)
		f.drain(s)
		if down.tries() != 3 {
			t.Fatalf("%d attempts, want 3 and then no more", down.tries())
		}

		// A permanent refusal fails at once; a passing fault is retried.
		f.event(c, "case.ready", nil)
		f.event(c, "case.revoked", nil)
		flaky := &recorder{fail: func(m Message, n int) error {
			if m.Topic == "case.ready" {
				return Permanent(errors.New("号码已停机"))
			}
			if n == 1 {
				return errors.New("busy")
			}
			return nil
		}}
		s = f.service(Config{SMS: flaky, MaxAttempts: 3, Backoff: time.Second})
		f.drain(s)
		f.Clock.Advance(time.Second)
		f.drain(s)
		for topic, want := range map[string]string{"case.ready": "failed", "case.revoked": "sent"} {
			var got string
			if err := d.QueryRowContext(f.ctx, `SELECT state FROM notice_deliveries WHERE topic = ?`, topic).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: %s, want %s", topic, got, want)
			}
		}
		if flaky.tries() != 3 {
			t.Fatalf("%d attempts, want 1 (permanent) + 2 (retried once)", flaky.tries())
		}
	})
}

func TestALastAttemptThatNeverReportsBackIsFailed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.event(f.personCase("citizen1"), "case.accepted", nil)
		s := f.service(Config{SMS: &recorder{}, MaxAttempts: 1, Lease: time.Minute, SendTimeout: time.Second})
		if _, err := s.expandPending(f.ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.claim(f.ctx); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		f.Clock.Advance(2 * time.Minute)
		if st := f.drain(s); st.Failed != 1 || st.Sent != 0 {
			t.Fatalf("%+v: want the orphaned last attempt failed, not sent again", st)
		}
	})
}

func TestBadEventsDoNotHoldUpTheQueue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.personCase("citizen2")
		f.event(c, "case.accepted", "not json")
		f.event(c, "case.accepted", `[1, 2]`)
		f.event(c, "case.teleported", nil)
		f.event(newIDForTest(), "case.accepted", `{"caseNo": "330122202609289999"}`) // a case that does not exist
		f.event(c, "licence.issued", `{"licence": 1}`)
		f.event(c, "case.supplement_requested", `{"materials": "营业执照", "due": 20261012, "reason": ["x"]}`) // odd types read as absent or as one
		good := f.event(c, "case.voided", map[string]any{"reason": "申请人重复提交"})
		gateway := &recorder{}
		st := f.drain(f.service(Config{SMS: gateway, Email: gateway}))
		if st.Events != 7 {
			t.Fatalf("%+v: want all 7 events handled", st)
		}
		if n := f.count(`SELECT count(*) FROM outbox WHERE delivered_at IS NULL`); n != 0 {
			t.Fatalf("%d events left pending", n)
		}
		if n := f.count(`SELECT count(*) FROM notices`); n != 2 {
			t.Fatalf("%d notices, want 2 (supplement, voided)", n)
		}
		var body string
		if err := d.QueryRowContext(f.ctx, `SELECT body FROM notices WHERE topic = 'case.supplement_requested'`).Scan(&body); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "营业执照") || !strings.Contains(body, "20261012") {
			t.Fatalf("lenient payload: %s", body)
		}
		if n := f.count(`SELECT count(*) FROM notices WHERE event_id = ? AND body LIKE ?`, good, "%申请人重复提交%"); n != 1 {
			t.Fatal("the good event after the bad ones was not told")
		}
		if !strings.Contains(f.Logs.String(), "payload is not a JSON object") {
			t.Fatalf("bad payload not logged:\n%s", f.Logs.String())
		}
	})
}

func TestStoppedWorkerGivesItsClaimBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.event(f.personCase("citizen1"), "case.accepted", nil)
		ctx, cancel := context.WithCancel(context.Background())
		stopping := &recorder{fail: func(Message, int) error { cancel(); return context.Canceled }}
		s := f.service(Config{SMS: stopping})
		s.Drain(ctx)
		var state string
		var next time.Time
		if err := d.QueryRowContext(f.ctx, `SELECT state, next_try_at FROM notice_deliveries`).Scan(&state, &next); err != nil {
			t.Fatal(err)
		}
		if state != "pending" || next.After(f.Clock.Now()) {
			t.Fatalf("after stopping mid-send: %s due %v, want pending and due now", state, next)
		}
	})
}

func TestNoticesOfAnAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.personCase("citizen2")
		for _, topic := range []string{"case.submitted", "case.accepted", "case.special_started", "case.special_ended", "case.decided"} {
			f.event(c, topic, nil)
		}
		s := f.service(Config{SMS: &recorder{}, Email: &recorder{}})
		f.drain(s)
		me := &identity.Principal{AccountID: f.user("citizen2").Account, Kind: identity.KindPerson}
		other := &identity.Principal{AccountID: f.user("citizen1").Account, Kind: identity.KindPerson}
		pg, err := s.Notices(f.ctx, me, NoticeFilter{PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Notices) != 2 || !pg.More || pg.Unread != 5 || pg.Notices[0].Topic != "case.decided" || pg.Notices[1].Topic != "case.special_ended" {
			t.Fatalf("first page: %+v", pg)
		}
		pg, _ = s.Notices(f.ctx, me, NoticeFilter{Page: 3, PageSize: 2})
		if len(pg.Notices) != 1 || pg.More || pg.Notices[0].Topic != "case.submitted" {
			t.Fatalf("last page: %+v", pg)
		}
		first := pg.Notices[0]
		n, err := s.MarkRead(f.ctx, me, first.ID)
		if err != nil || n.ReadAt == nil {
			t.Fatalf("mark read: %+v %v", n, err)
		}
		again, err := s.MarkRead(f.ctx, me, first.ID)
		if err != nil || !again.ReadAt.Equal(*n.ReadAt) {
			t.Fatalf("reading twice changed read_at: %v %v", again, err)
		}
		if u, _ := s.Unread(f.ctx, me.AccountID); u != 4 {
			t.Fatalf("unread %d, want 4", u)
		}
		if pg, _ := s.Notices(f.ctx, me, NoticeFilter{UnreadOnly: true}); len(pg.Notices) != 4 {
			t.Fatalf("unread only: %d", len(pg.Notices))
		}
		if _, err := s.MarkRead(f.ctx, other, first.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("someone else's notice: %v, want not found", err)
		}
		for _, bad := range []string{"", "x", "'; DROP TABLE notices; --", strings.Repeat("a", 36)} {
			if _, err := s.MarkRead(f.ctx, me, bad); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("id %q: %v, want invalid", bad, err)
			}
		}
		if _, err := s.MarkRead(f.ctx, me, newIDForTest()); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown id: %v", err)
		}
		for _, bad := range []NoticeFilter{{Page: -1}, {Page: 1001}, {PageSize: 101}, {PageSize: -5}} {
			if _, err := s.Notices(f.ctx, me, bad); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("filter %+v: %v, want invalid", bad, err)
			}
		}
		if _, err := s.Notices(f.ctx, nil, NoticeFilter{}); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("nobody: %v", err)
		}
		if n, err := s.MarkAllRead(f.ctx, me); err != nil || n != 4 {
			t.Fatalf("mark all read: %d %v", n, err)
		}
		if u, _ := s.Unread(f.ctx, me.AccountID); u != 0 {
			t.Fatalf("unread %d after marking all", u)
		}
		if pg, _ := s.Notices(f.ctx, other, NoticeFilter{}); len(pg.Notices) != 0 {
			t.Fatalf("someone else sees %d notices", len(pg.Notices))
		}
	})
}

func TestLogSenderLogsNoAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.event(f.personCase("citizen2"), "case.accepted", nil)
		f.drain(f.service(Config{})) // the default senders write to the log
		logs := f.Logs.String()
		if strings.Count(logs, "notice sent (log only)") != 2 || !strings.Contains(logs, "to=136****8866") || !strings.Contains(logs, "to=li*******@example.com") || !strings.Contains(logs, "key=yw-") {
			t.Fatalf("log lines:\n%s", logs)
		}
		if strings.Contains(logs, "13605718866") || strings.Contains(logs, "lijianguo@") {
			t.Fatalf("a full address is in the log:\n%s", logs)
		}
	})
}
