package notify

import (
	"context"
	"errors"
	"slices"
	"time"

	"yiwang/internal/db"
)

// event is an outbox row.
type event struct {
	ID      string
	Topic   string
	CaseID  string
	Payload string
	At      time.Time
}

// expandBatch is how many pending events one pass reads at a time, and
// expandPerTx how many of them one transaction handles: enough to spare
// SQLite's one writer a transaction per event, few enough that the case
// steps waiting for it are not held up long.
const (
	expandBatch = 100
	expandPerTx = 16
)

// expandPending turns every pending outbox event into its notices and
// deliveries, one transaction per event, and reports how many it handled.
// An event that fails with an internal error is counted and left for a
// later pass (up to maxEventAttempts), so it never holds up the others.
func (s *Service) expandPending(ctx context.Context) (int, error) {
	done := 0
	for ctx.Err() == nil {
		ids, err := s.pendingEvents(ctx)
		if err != nil || len(ids) == 0 {
			return done, err
		}
		// Most passes handle the whole batch in one transaction (one write
		// on SQLite, whose writer the case steps share); when one event in
		// it fails, the batch is handled again an event at a time, so the
		// bad one is counted and skipped without holding up the others.
		failed := []string{}
		handled := 0
		for chunk := range slices.Chunk(ids, expandPerTx) {
			n, err := s.expandAll(ctx, chunk)
			if err != nil {
				failed = append(failed, chunk...)
				continue
			}
			handled += n
		}
		done += handled
		if len(failed) == 0 {
			if len(ids) < expandBatch || handled == 0 {
				return done, nil
			}
			continue
		}
		progressed := handled > 0
		for _, id := range failed {
			ok, err := s.expandOne(ctx, id)
			if err != nil {
				s.Log.Error("notify: event not handled; it will be tried again", "event", id, "err", err)
				if _, uerr := s.DB.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1 WHERE id = ? AND delivered_at IS NULL`, id); uerr != nil {
					return done, errors.Join(err, uerr)
				}
				continue
			}
			if ok {
				done++
				progressed = true
			}
		}
		if len(ids) < expandBatch || !progressed {
			return done, nil
		}
	}
	return done, ctx.Err()
}

func (s *Service) pendingEvents(ctx context.Context) ([]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id FROM outbox WHERE delivered_at IS NULL AND attempts < ? ORDER BY created_at, id LIMIT ?`,
		maxEventAttempts, expandBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// skipLocked makes a locking read pass over rows another transaction holds
// (PostgreSQL); SQLite has one writer, so there is nothing to skip.
func skipLocked(q db.Querier) string {
	if q.Dialect() == db.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// expandAll handles the events ids in one transaction, all or none, and
// reports how many it handled (others were handled or held meanwhile).
func (s *Service) expandAll(ctx context.Context, ids []string) (int, error) {
	now := s.now()
	n := 0
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		n = 0
		for _, id := range ids {
			ok, err := s.expandIn(ctx, tx, id, now)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

// expandIn handles one event inside tx: its notices, its deliveries and
// the mark that it was handled.
func (s *Service) expandIn(ctx context.Context, tx *db.Tx, id string, now time.Time) (bool, error) {
	var ev event
	err := tx.QueryRowContext(ctx, `SELECT id, topic, object_id, payload, created_at FROM outbox WHERE id = ? AND delivered_at IS NULL`+skipLocked(tx), id).
		Scan(&ev.ID, &ev.Topic, &ev.CaseID, &ev.Payload, &ev.At)
	if db.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if expandFault != nil {
		if err := expandFault(ev); err != nil {
			return false, err
		}
	}
	if err := s.fanOut(ctx, tx, ev, now); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?`, now, ev.ID)
	return err == nil, err
}

// expandFault lets a test make the handling of an event fail as a broken
// database would; nil in the product.
var expandFault func(ev event) error

// expandOne handles one event in one transaction: its notices, its
// deliveries and the mark that it was handled commit together, so a crash
// leaves either all of them or none, and the unique keys make a second
// handling (by a worker that raced this one) add nothing. ok is false when
// the event was already handled or another worker holds it.
func (s *Service) expandOne(ctx context.Context, id string) (ok bool, err error) {
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		ok, err = s.expandIn(ctx, tx, id, now)
		return err
	})
	return ok, err
}

// fanOut writes what one event tells whom. Events nobody is told about
// (case.step, topics notify does not know, payloads that are not JSON,
// cases that do not exist) write nothing and count as handled.
func (s *Service) fanOut(ctx context.Context, tx *db.Tx, ev event, now time.Time) error {
	p, err := parsePayload(ev.Payload)
	if err != nil {
		s.Log.Warn("notify: event payload is not a JSON object; no notice", "event", ev.ID, "topic", ev.Topic)
		return nil
	}
	a, err := loadApplicant(ctx, tx, ev.CaseID)
	if db.IsNoRows(err) {
		if _, known := compose(ev.Topic, caseRef{}, p); known {
			s.Log.Warn("notify: event about a case that does not exist; no notice", "event", ev.ID, "topic", ev.Topic)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if no := p.str("caseNo"); a.No == "" {
		a.No = no
	}
	t, known := compose(ev.Topic, a.caseRef, p)
	if !known {
		if ev.Topic != "case.step" {
			s.Log.Debug("notify: topic without notices", "event", ev.ID, "topic", ev.Topic)
		}
		return nil
	}
	who, err := audienceOf(ctx, tx, a, now)
	if err != nil {
		return err
	}
	for _, acc := range who.Accounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notices (id, account_id, event_id, case_id, case_no, topic, title, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, account_id) DO NOTHING`,
			newID(), acc, ev.ID, ev.CaseID, a.No, ev.Topic, t.Title, t.Body, ev.At); err != nil {
			return err
		}
	}
	if !t.Send {
		return nil
	}
	for _, ch := range s.cfg.Channels {
		for _, pr := range who.People {
			d := delivery{EventID: ev.ID, Channel: ch, PersonID: pr.ID, CaseID: ev.CaseID, CaseNo: a.No, Topic: ev.Topic, ToName: pr.Name}
			switch ch {
			case SMS:
				d.ToMasked, d.Body = pr.PhoneMasked, smsText(t)
			case Email:
				name := pr.Name
				if a.Kind == "company" {
					name += "（" + a.Company + "）"
				}
				d.ToMasked = pr.EmailMasked
				d.Subject, d.Body = emailText(t, a.caseRef, name)
			}
			if d.ToMasked == "" {
				continue // no phone number or no e-mail address: nothing to send to
			}
			if err := insertDelivery(ctx, tx, d, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// delivery is one SMS or e-mail to one person.
type delivery struct {
	ID       string
	EventID  string
	Channel  Channel
	PersonID string
	CaseID   string
	CaseNo   string
	Topic    string
	Key      string
	ToMasked string
	ToName   string
	Subject  string
	Body     string
	Attempts int
}

func insertDelivery(ctx context.Context, tx *db.Tx, d delivery, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO notice_deliveries
		(id, event_id, channel, person_id, case_id, case_no, topic, idem_key, to_masked, to_name, subject, body, state, attempts, next_try_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (event_id, channel, person_id) DO NOTHING`,
		newID(), d.EventID, d.Channel, d.PersonID, d.CaseID, d.CaseNo, d.Topic, idempotencyKey(d.EventID, d.Channel, d.PersonID),
		d.ToMasked, d.ToName, d.Subject, d.Body, now, now)
	return err
}
