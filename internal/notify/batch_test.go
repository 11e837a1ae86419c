package notify

import (
	"errors"
	"testing"

	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
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
