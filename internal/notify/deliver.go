package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
)

// A delivery goes pending → sending (claimed, with a lease) → sent, or back
// to pending after a failed attempt (with backoff), or to failed after a
// permanent error or the last attempt. A worker that dies while sending
// leaves its row in sending; once the lease has run out another worker
// claims it again and sends with the same idempotency key.

// claimed is a delivery a worker holds.
type claimed struct {
	delivery
	To  string // the full address, read for this attempt
	err error  // why it cannot be sent (no address any more)
}

// claim leases the delivery that has been due longest (pending, or
// sending with a lease that has run out); ok is false when none is due.
func (s *Service) claim(ctx context.Context) (c *claimed, ok bool, err error) {
	cs, err := s.claimSome(ctx, 1)
	if err != nil || len(cs) == 0 {
		return nil, false, err
	}
	return cs[0], true, nil
}

// claimSome leases up to n due deliveries, the longest due first, and
// reads each one's full address with its read on the audit trail, all in
// one transaction: on SQLite, whose one writer the case steps share, a
// batch of notices costs one write instead of two per message. The claim
// commits before anything is sent: a worker that dies after it leaves rows
// another worker takes over when the lease ends. A claimed delivery whose
// person has no address any more comes back with err set (permanent).
func (s *Service) claimSome(ctx context.Context, n int) ([]*claimed, error) {
	now := s.now()
	lease := now.Add(s.cfg.Lease)
	var out []*claimed
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT id FROM notice_deliveries WHERE state IN ('pending', 'sending') AND next_try_at <= ? AND attempts < ?
			ORDER BY next_try_at, id LIMIT ?`+skipLocked(tx), now, s.cfg.MaxAttempts, n)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		args := append([]any{lease, lease}, ids...)
		args = append(args, now)
		rows, err = tx.QueryContext(ctx, `UPDATE notice_deliveries SET state = 'sending', attempts = attempts + 1, lease_until = ?, next_try_at = ?
			WHERE id IN (`+db.Placeholders(len(ids))+`) AND state IN ('pending', 'sending') AND next_try_at <= ?
			RETURNING id, event_id, channel, person_id, case_id, case_no, topic, idem_key, to_masked, to_name, subject, body, attempts`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			c := &claimed{}
			if err := rows.Scan(&c.ID, &c.EventID, &c.Channel, &c.PersonID, &c.CaseID, &c.CaseNo, &c.Topic, &c.Key, &c.ToMasked, &c.ToName, &c.Subject, &c.Body, &c.Attempts); err != nil {
				rows.Close()
				return err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return s.addresses(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// addresses reads the full phone number or e-mail address of each claimed
// delivery (one statement per channel) and records each read in the audit
// trail, in the claim's transaction: every read of a person's unmasked
// data is on the trail, with its reason, one entry per delivery. A
// delivery whose person has no address any more gets err set (permanent).
func (s *Service) addresses(ctx context.Context, tx *db.Tx, cs []*claimed) error {
	var phoneOf, emailOf []string
	for _, c := range cs {
		if c.Channel == Email {
			emailOf = append(emailOf, c.PersonID)
		} else {
			phoneOf = append(phoneOf, c.PersonID)
		}
	}
	phones, err := s.Identity.PhonesIn(ctx, tx, phoneOf)
	if err != nil {
		return err
	}
	emails, err := s.Identity.EmailsIn(ctx, tx, emailOf)
	if err != nil {
		return err
	}
	actx := audit.WithMeta(ctx, audit.Meta{ActorName: "办件通知"})
	for _, c := range cs {
		to, field := phones, "phone"
		if c.Channel == Email {
			to, field = emails, "email"
		}
		var ok bool
		if c.To, ok = to[c.PersonID]; !ok {
			return apperr.New(apperr.NotFound, "未找到该人员")
		}
		if c.To == "" {
			c.err = Permanent(fmt.Errorf("收件人已没有%s", map[Channel]string{SMS: "手机号码", Email: "电子邮箱"}[c.Channel]))
			continue
		}
		if err := audit.Append(actx, tx, s.now(), audit.Entry{Action: "person.reveal", ObjectType: "person", ObjectID: c.PersonID,
			Detail: map[string]any{"reason": "发送办件通知（" + ChannelNames[c.Channel] + "）", "fields": []string{field},
				"delivery": c.ID, "key": c.Key, "attempt": c.Attempts}}); err != nil {
			return err
		}
	}
	return nil
}

// send sends one claimed delivery.
func (s *Service) send(ctx context.Context, c *claimed) error {
	if c.err != nil {
		return c.err
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	return s.sender(c.Channel).Send(sctx, Message{Channel: c.Channel, Key: c.Key, To: c.To, ToMasked: c.ToMasked, ToName: c.ToName,
		Subject: c.Subject, Body: c.Body, Topic: c.Topic, CaseNo: c.CaseNo, Date: s.now()})
}

// deliverOne claims, sends and records one delivery; ok is false when
// nothing was due.
func (s *Service) deliverOne(ctx context.Context, st *counts) (ok bool, err error) {
	c, ok, err := s.claim(ctx)
	if err != nil || !ok {
		return false, err
	}
	return true, s.finish(ctx, c, s.send(ctx, c), st)
}

// finish records the outcome of an attempt. Only the worker holding the
// current claim (the same attempt number) may put a row back to pending or
// fail it; a late worker whose lease was taken over changes nothing then.
// Sent is recorded whoever reports it, since the message did go out.
func (s *Service) finish(ctx context.Context, c *claimed, sendErr error, st *counts) error {
	stopping := ctx.Err() != nil
	ctx = context.WithoutCancel(ctx)
	now := s.now()
	log := s.Log.With("channel", c.Channel, "to", c.ToMasked, "key", c.Key, "topic", c.Topic, "attempt", c.Attempts)
	if sendErr == nil {
		_, err := s.DB.ExecContext(ctx, `UPDATE notice_deliveries SET state = 'sent', sent_at = ?, lease_until = NULL, last_error = '' WHERE id = ? AND state <> 'sent'`, now, c.ID)
		st.sent.Add(1)
		return err
	}
	msg := clip(sendErr.Error(), 500)
	guard := ` WHERE id = ? AND state = 'sending' AND attempts = ?`
	switch {
	case stopping && !IsPermanent(sendErr):
		// The worker is stopping: give the row back at once.
		_, err := s.DB.ExecContext(ctx, `UPDATE notice_deliveries SET state = 'pending', next_try_at = ?, lease_until = NULL, last_error = ?`+guard, now, msg, c.ID, c.Attempts)
		return err
	case IsPermanent(sendErr) || c.Attempts >= s.cfg.MaxAttempts:
		log.Warn("notify: delivery failed for good", "err", msg)
		_, err := s.DB.ExecContext(ctx, `UPDATE notice_deliveries SET state = 'failed', lease_until = NULL, last_error = ?`+guard, msg, c.ID, c.Attempts)
		st.failed.Add(1)
		return err
	}
	next := now.Add(s.backoff(c.Attempts))
	log.Warn("notify: delivery attempt failed; will retry", "err", msg, "next_try_at", next)
	_, err := s.DB.ExecContext(ctx, `UPDATE notice_deliveries SET state = 'pending', next_try_at = ?, lease_until = NULL, last_error = ?`+guard, next, msg, c.ID, c.Attempts)
	st.retried.Add(1)
	return err
}

// backoff is the wait after the given attempt failed: Backoff, doubling,
// at most MaxBackoff.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < attempt && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// sweep fails deliveries whose last allowed attempt was claimed by a
// worker that never came back: their lease is over and no attempt is left.
func (s *Service) sweep(ctx context.Context) (int64, error) {
	r, err := s.DB.ExecContext(ctx, `UPDATE notice_deliveries SET state = 'failed', lease_until = NULL, last_error = ?
		WHERE state = 'sending' AND next_try_at <= ? AND attempts >= ?`, "最后一次发送中断，未能确认送出", s.now(), s.cfg.MaxAttempts)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// deliverPending sends every due delivery: claimed Senders at a time in
// one transaction, sent in parallel, the sent ones recorded in one
// statement. A send is bounded by SendTimeout, well inside the lease, so a
// slow gateway never lets a claim run out under a message already sent.
func (s *Service) deliverPending(ctx context.Context, st *counts) error {
	for ctx.Err() == nil {
		batch, err := s.claimSome(ctx, s.cfg.Senders)
		if err != nil || len(batch) == 0 {
			return err
		}
		results := make([]error, len(batch))
		next := make(chan int)
		var wg sync.WaitGroup
		for range min(s.cfg.Senders, len(batch)) {
			wg.Go(func() {
				for i := range next {
					results[i] = s.send(ctx, batch[i])
				}
			})
		}
		for i := range batch {
			next <- i
		}
		close(next)
		wg.Wait()
		var sent []any
		var errs []error
		for i, c := range batch {
			if results[i] == nil {
				sent = append(sent, c.ID)
				continue
			}
			errs = append(errs, s.finish(ctx, c, results[i], st))
		}
		if len(sent) > 0 {
			args := append([]any{s.now()}, sent...)
			if _, err := s.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE notice_deliveries SET state = 'sent', sent_at = ?, lease_until = NULL, last_error = ''
				WHERE id IN (`+db.Placeholders(len(sent))+`) AND state <> 'sent'`, args...); err != nil {
				return err
			}
			st.sent.Add(int64(len(sent)))
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if len(batch) < s.cfg.Senders {
			return nil
		}
	}
	return nil
}

// Stats counts what one Drain did.
type Stats struct {
	Events  int // outbox events handled
	Sent    int // messages sent
	Retried int // attempts that failed and will be retried
	Failed  int // deliveries given up
}

// counts are Stats as the sending goroutines add to them.
type counts struct{ sent, retried, failed atomic.Int64 }
