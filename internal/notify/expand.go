package notify

import (
	"context"
	"errors"
	"slices"
	"strings"
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
// deliveries, expandPerTx events to a transaction, and reports how many
// it handled.
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
		var err error
		n, err = s.expandIn(ctx, tx, ids, now)
		return err
	})
	return n, err
}

// expandOne handles one event in one transaction: its notices, its
// deliveries and the mark that it was handled commit together, so a crash
// leaves either all of them or none, and the unique keys make a second
// handling (by a worker that raced this one) add nothing. ok is false when
// the event was already handled or another worker holds it.
func (s *Service) expandOne(ctx context.Context, id string) (ok bool, err error) {
	n, err := s.expandAll(ctx, []string{id})
	return n == 1, err
}

// expandFault lets a test make the handling of an event fail as a broken
// database would; nil in the product.
var expandFault func(ev event) error

// expandIn handles the events ids inside q: their notices, their
// deliveries and the mark that they were handled. It costs the same few
// statements however many events there are: one read of the events, one
// of their cases, up to four of who is told, one insert of the notices and
// one of the deliveries (per maxRowsPerInsert rows), and one mark.
func (s *Service) expandIn(ctx context.Context, q db.Querier, ids []string, now time.Time) (int, error) {
	evs, err := lockEvents(ctx, q, ids)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	for _, ev := range evs {
		if expandFault != nil {
			if err := expandFault(ev); err != nil {
				return 0, err
			}
		}
	}
	w, err := s.fanOut(ctx, q, evs, now)
	if err != nil {
		return 0, err
	}
	if err := w.insert(ctx, q, now); err != nil {
		return 0, err
	}
	handled := make([]string, len(evs))
	for i, ev := range evs {
		handled[i] = ev.ID
	}
	_, err = q.ExecContext(ctx, `UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id IN (`+db.Placeholders(len(handled))+`)`,
		append([]any{now}, anys(handled)...)...)
	if err != nil {
		return 0, err
	}
	return len(evs), nil
}

// lockEvents reads those of the events ids that are still pending and
// locks them (PostgreSQL: passing over those another worker holds), in the
// order of ids.
func lockEvents(ctx context.Context, q db.Querier, ids []string) ([]event, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, topic, object_id, payload, created_at FROM outbox
		WHERE id IN (`+db.Placeholders(len(ids))+`) AND delivered_at IS NULL`+skipLocked(q), anys(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[string]event{}
	for rows.Next() {
		var ev event
		if err := rows.Scan(&ev.ID, &ev.Topic, &ev.CaseID, &ev.Payload, &ev.At); err != nil {
			return nil, err
		}
		byID[ev.ID] = ev
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	evs := make([]event, 0, len(byID))
	for _, id := range ids {
		if ev, ok := byID[id]; ok {
			evs = append(evs, ev)
			delete(byID, id)
		}
	}
	return evs, nil
}

// told is an event with notices: its case and what it says.
type told struct {
	ev event
	a  applicantOf
	t  text
}

// fanOut works out what the events tell whom. Events nobody is told about
// (case.step, topics notify does not know, payloads that are not JSON,
// cases that do not exist) write nothing and count as handled.
func (s *Service) fanOut(ctx context.Context, q db.Querier, evs []event, now time.Time) (*writes, error) {
	payloads := make([]payload, len(evs))
	var caseIDs []string
	seen := map[string]bool{}
	for i, ev := range evs {
		p, err := parsePayload(ev.Payload)
		if err != nil {
			s.Log.Warn("notify: event payload is not a JSON object; no notice", "event", ev.ID, "topic", ev.Topic)
			continue
		}
		payloads[i] = p
		if !seen[ev.CaseID] {
			seen[ev.CaseID] = true
			caseIDs = append(caseIDs, ev.CaseID)
		}
	}
	cases, err := loadApplicants(ctx, q, caseIDs)
	if err != nil {
		return nil, err
	}
	var tell []told
	var applicants []applicantOf
	for i, ev := range evs {
		p := payloads[i]
		if p == nil {
			continue
		}
		a, ok := cases[ev.CaseID] // a copy: the case number below is this event's
		if !ok {
			if _, known := compose(ev.Topic, caseRef{}, p); known {
				s.Log.Warn("notify: event about a case that does not exist; no notice", "event", ev.ID, "topic", ev.Topic)
			}
			continue
		}
		if no := p.str("caseNo"); a.No == "" {
			a.No = no
		}
		t, known := compose(ev.Topic, a.caseRef, p)
		if !known {
			if ev.Topic != "case.step" {
				s.Log.Debug("notify: topic without notices", "event", ev.ID, "topic", ev.Topic)
			}
			continue
		}
		tell = append(tell, told{ev: ev, a: a, t: t})
		applicants = append(applicants, a)
	}
	w := &writes{}
	if len(tell) == 0 {
		return w, nil
	}
	all, err := audiencesOf(ctx, q, applicants, now)
	if err != nil {
		return nil, err
	}
	for _, e := range tell {
		s.addWrites(w, e, all.of(e.a))
	}
	return w, nil
}

// addWrites adds the notices and deliveries of one event to w.
func (s *Service) addWrites(w *writes, e told, who audience) {
	ev, a, t := e.ev, e.a, e.t
	for _, acc := range who.Accounts {
		w.notices = append(w.notices, []any{newID(), acc, ev.ID, ev.CaseID, a.No, ev.Topic, t.Title, t.Body, ev.At})
	}
	if !t.Send {
		return
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
			w.deliveries = append(w.deliveries, []any{newID(), d.EventID, d.Channel, d.PersonID, d.CaseID, d.CaseNo, d.Topic,
				idempotencyKey(d.EventID, d.Channel, d.PersonID), d.ToMasked, d.ToName, d.Subject, d.Body})
		}
	}
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

// writes are the rows a batch of events adds: each row its values in the
// order of the insert's columns.
type writes struct {
	notices, deliveries [][]any
}

// maxRowsPerInsert bounds the rows of one multi-row insert, well inside
// SQLite's limit of 32766 parameters (and PostgreSQL's 65535).
const maxRowsPerInsert = 500

// insert writes w. The unique keys make a second handling of an event (a
// worker that raced this one, a mark that was lost) add nothing.
func (w *writes) insert(ctx context.Context, q db.Querier, now time.Time) error {
	if err := insertRows(ctx, q, `INSERT INTO notices (id, account_id, event_id, case_id, case_no, topic, title, body, created_at) VALUES `,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?)`, ` ON CONFLICT (event_id, account_id) DO NOTHING`, w.notices, nil); err != nil {
		return err
	}
	return insertRows(ctx, q, `INSERT INTO notice_deliveries
		(id, event_id, channel, person_id, case_id, case_no, topic, idem_key, to_masked, to_name, subject, body, state, attempts, next_try_at, created_at) VALUES `,
		`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`, ` ON CONFLICT (event_id, channel, person_id) DO NOTHING`, w.deliveries, []any{now, now})
}

// insertRows inserts rows, maxRowsPerInsert to a statement: head, then
// one tuple per row (whose values are the row's followed by common), then
// tail.
func insertRows(ctx context.Context, q db.Querier, head, tuple, tail string, rows [][]any, common []any) error {
	for chunk := range slices.Chunk(rows, maxRowsPerInsert) {
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*(len(chunk[0])+len(common)))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(append(args, r...), common...)
		}
		b.WriteString(tail)
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
