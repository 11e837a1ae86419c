package notify

import (
	"context"
	"errors"
	"time"
)

// Run is the worker: it drains the outbox and the due deliveries, then
// waits for a nudge or the next poll, until ctx ends. Any number of
// workers may run at once, in one process or several, on either database.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("notify: delivery pass failed; trying again at the next poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.nudge:
			// Let the changes of the next moments come too (their nudges
			// fall into the full channel), then handle them together.
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.cfg.Gather):
			}
		}
	}
}

// Nudge asks the worker to look for work now rather than at the next poll
// (after writing outbox events, say). It never blocks.
func (s *Service) Nudge() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// Drain does one whole pass: every pending outbox event becomes its
// notices and deliveries, deliveries left by dead workers on their last
// attempt are failed, and every due delivery is sent.
func (s *Service) Drain(ctx context.Context) (Stats, error) {
	var st Stats
	var c counts
	var err error
	st.Events, err = s.expandPending(ctx)
	// Look before taking the writer: on SQLite every claim and sweep is a
	// write transaction, and the web server nudges after every change.
	due, derr := s.anyDue(ctx)
	if err = errors.Join(err, derr); !due {
		return st, err
	}
	swept, serr := s.sweep(ctx)
	err = errors.Join(err, serr)
	err = errors.Join(err, s.deliverPending(ctx, &c))
	st.Sent, st.Retried, st.Failed = int(c.sent.Load()), int(c.retried.Load()), int(c.failed.Load())+int(swept)
	return st, err
}

// anyDue reports whether some delivery is due (to send, or to fail after
// a lost last attempt), from the read pool and the partial index.
func (s *Service) anyDue(ctx context.Context) (bool, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id FROM notice_deliveries WHERE state IN ('pending', 'sending') AND next_try_at <= ? LIMIT 1`, s.now())
	if err != nil {
		return false, err
	}
	defer rows.Close()
	return rows.Next(), rows.Err()
}
