package casework

import (
	"context"
	"fmt"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
)

// The sweeper does what time alone decides: a case whose supplement limit
// ran out closes as 补正不来 (result code 5), and an applicant whose 容缺
// materials fall due soon is reminded once. It is run every minute by the
// server and whenever the demo clock moves; each case is handled in its
// own transaction, so a crash half-way loses nothing and the next sweep
// picks up what is left.

// RemindDays is how many working days before a 容缺 material is due the
// applicant is reminded.
const RemindDays = 2

// sweepBatch bounds one sweep's work per kind.
const sweepBatch = 200

// SweepReport says what a sweep did.
type SweepReport struct {
	Unsupplemented int `json:"unsupplemented"`
	Reminded       int `json:"reminded"`
}

// Sweep closes the cases whose supplement ran out and sends the 容缺
// reminders that are due.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.now()
	ids, err := s.idsWhere(ctx, `SELECT id FROM cases WHERE status = 'supplement' AND supplement_due_at <= ? ORDER BY supplement_due_at LIMIT ?`, now, sweepBatch)
	if err != nil {
		return rep, err
	}
	env, err := s.loadEnv(ctx)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		done, err := s.lapse(ctx, id, now, env)
		if err != nil {
			return rep, fmt.Errorf("case %s: %w", id, err)
		}
		if done {
			rep.Unsupplemented++
		}
	}
	// Reminders: 容缺 materials due within RemindDays working days.
	horizon, _, err := DueAt(env.tab, now, RemindDays, "1")
	if err != nil {
		return rep, err
	}
	ids, err = s.idsWhere(ctx, `SELECT DISTINCT case_id FROM case_deferred WHERE arrived_at IS NULL AND reminded_at IS NULL AND due_at <= ? LIMIT ?`, horizon, sweepBatch)
	if err != nil {
		return rep, err
	}
	for _, id := range ids {
		n, err := s.remind(ctx, id, now, horizon)
		if err != nil {
			return rep, fmt.Errorf("case %s: %w", id, err)
		}
		rep.Reminded += n
	}
	return rep, nil
}

func (s *Service) idsWhere(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// lapse closes one case whose supplement limit ran out, if it still has.
func (s *Service) lapse(ctx context.Context, id string, now time.Time, env *txEnv) (bool, error) {
	done := false
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		c, err := caseByRef(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if c.Status != StatusSupplement || c.SupplementDueAt == nil || now.Before(*c.SupplementDueAt) {
			return nil // supplemented (or withdrawn) meanwhile
		}
		procs, err := caseProcs(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		open, err := openTasks(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		for _, t := range open {
			if err := closeTask(ctx, tx, t.ID, "cancelled", now, "", "unsupplemented"); err != nil {
				return err
			}
		}
		if sp := openProc(procs, "supplement"); sp != nil {
			if err := endProc(ctx, tx, sp, "lapsed", now, system, "补正期满未补正", 0); err != nil {
				return err
			}
		}
		from := c.Status
		read := c.Revision
		c.Status, c.Result, c.ResultCode = StatusClosed, "unsupplemented", ResultCode("unsupplemented", c.ItemType)
		c.DecidedAt, c.FinishedAt = &now, &now
		c.PausedAt, c.PauseKind, c.ResumeStatus, c.SupplementDueAt = nil, "", "", nil
		c.Revision++
		c.UpdatedAt = now
		if err := updateCase(ctx, tx, c, read); err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, &eventRow{ID: newID(), CaseID: c.ID, At: now, ActorName: system.DisplayName, Action: "unsupplemented",
			ActionName: "补正期满未补正，办结", From: from, To: c.Status, Comment: "申请人未在补正期限内补正材料，按补正不来办结"}); err != nil {
			return err
		}
		if err := insertOutbox(ctx, tx, TopicUnsupplemented, c.ID, map[string]any{"caseNo": c.no(), "status": c.Status, "result": c.Result, "resultCode": c.ResultCode}, now); err != nil {
			return err
		}
		done = true
		return audit.Append(ctx, tx, now, audit.Entry{Action: "case.unsupplemented", ObjectType: "case", ObjectID: c.ID,
			BeforeRef: string(from), AfterRef: string(c.Status), Detail: map[string]any{"caseNo": c.no(), "resultCode": c.ResultCode}})
	})
	if apperr.Is(err, apperr.Conflict) {
		return false, nil // someone acted on it at the same moment; the next sweep looks again
	}
	return done, err
}

// remind sends one reminder for the 容缺 materials of a case due before
// horizon, and marks them reminded.
func (s *Service) remind(ctx context.Context, id string, now, horizon time.Time) (int, error) {
	n := 0
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		c, err := caseByRef(ctx, tx, id, true)
		if err != nil {
			return err
		}
		deferred, err := caseDeferred(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		var names []string
		due := ""
		for _, d := range deferred {
			if d.ArrivedAt == nil && d.RemindedAt == nil && !d.DueAt.After(horizon) {
				names = append(names, d.Name)
				if due == "" || d.DueDate < due {
					due = d.DueDate
				}
			}
		}
		if len(names) == 0 || !c.Status.Open() && c.Status != StatusClosed {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE case_deferred SET reminded_at = ? WHERE case_id = ? AND arrived_at IS NULL AND reminded_at IS NULL AND due_at <= ?`,
			now, c.ID, horizon); err != nil {
			return err
		}
		n = len(names)
		if err := insertOutbox(ctx, tx, TopicToleranceReminder, c.ID, map[string]any{"caseNo": c.no(), "status": c.Status, "materials": names, "due": due}, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "case.tolerance_reminder", ObjectType: "case", ObjectID: c.ID,
			Detail: map[string]any{"caseNo": c.no(), "materials": names, "due": due}})
	})
	return n, err
}
