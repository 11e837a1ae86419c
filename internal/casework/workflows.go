package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// WorkflowInfo is one row of the workflow list.
type WorkflowInfo struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Steps       int       `json:"steps"`
	Revision    int       `json:"revision"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// StoredWorkflow is a workflow with its revision.
type StoredWorkflow struct {
	Workflow
	Revision  int       `json:"revision"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// LoadShipped writes each shipped workflow the database does not have yet
// (an administrator's edit is never overwritten). Safe at every start.
func (s *Service) LoadShipped(ctx context.Context) ([]string, error) {
	wfs, err := ShippedWorkflows()
	if err != nil {
		return nil, err
	}
	var loaded []string
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		for _, w := range wfs {
			data, err := json.Marshal(w)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO workflows (id, name, data, revision, updated_at, updated_by) VALUES (?, ?, ?, 1, ?, 'yiwang')
				ON CONFLICT (id) DO NOTHING`, w.ID, w.Name, string(data), now)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO workflow_revisions (workflow_id, revision, data, created_at, created_by) VALUES (?, 1, ?, ?, 'yiwang')`,
					w.ID, string(data), now); err != nil {
					return err
				}
				loaded = append(loaded, w.ID)
				if err := audit.Append(ctx, tx, now, audit.Entry{Action: "workflow.load", ObjectType: "workflow", ObjectID: w.ID, AfterRef: "r1"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return loaded, err
}

// Workflows lists every workflow.
func (s *Service) Workflows(ctx context.Context) ([]WorkflowInfo, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT data, revision, updated_at FROM workflows ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WorkflowInfo
	for rows.Next() {
		var data string
		var info WorkflowInfo
		if err := rows.Scan(&data, &info.Revision, &info.UpdatedAt); err != nil {
			return nil, err
		}
		var w Workflow
		if err := json.Unmarshal([]byte(data), &w); err != nil {
			return nil, err
		}
		info.ID, info.Name, info.Description, info.Steps = w.ID, w.Name, w.Description, len(w.Steps)
		out = append(out, info)
	}
	return out, rows.Err()
}

// WorkflowNames maps every workflow id to its name (for the catalogue's
// validation and editor).
func (s *Service) WorkflowNames(ctx context.Context) (map[string]string, error) {
	list, err := s.Workflows(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, w := range list {
		out[w.ID] = w.Name
	}
	return out, nil
}

// GetWorkflow returns one workflow.
func (s *Service) GetWorkflow(ctx context.Context, id string) (*StoredWorkflow, error) {
	return workflowByID(ctx, s.DB, id)
}

func workflowByID(ctx context.Context, q db.Querier, id string) (*StoredWorkflow, error) {
	var data string
	out := &StoredWorkflow{}
	err := q.QueryRowContext(ctx, `SELECT data, revision, updated_at FROM workflows WHERE id = ?`, id).Scan(&data, &out.Revision, &out.UpdatedAt)
	if db.IsNoRows(err) {
		return nil, apperr.Newf(apperr.NotFound, "办理流程 %q 不存在", id)
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &out.Workflow); err != nil {
		return nil, err
	}
	return out, nil
}

// SaveWorkflow creates or replaces a workflow (platform administrators).
// The definition is validated first and refused with every problem named;
// cases already submitted keep the definition they were submitted under.
func (s *Service) SaveWorkflow(ctx context.Context, actor *identity.Principal, w Workflow) (*StoredWorkflow, error) {
	if !actor.HasRole(identity.RoleAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有平台管理员可以维护办理流程")
	}
	deps, err := s.Identity.Departments(ctx)
	if err != nil {
		return nil, err
	}
	codes := map[string]bool{}
	for _, d := range deps {
		codes[d.Code] = true
	}
	if err := ProblemsError("办理流程", Validate(&w, func(c string) bool { return codes[c] })); err != nil {
		return nil, err
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		var rev int
		err := tx.QueryRowContext(ctx, `SELECT revision FROM workflows WHERE id = ?`, w.ID).Scan(&rev)
		switch {
		case db.IsNoRows(err):
			_, err = tx.ExecContext(ctx, `INSERT INTO workflows (id, name, data, revision, updated_at, updated_by) VALUES (?, ?, ?, 1, ?, ?)`,
				w.ID, w.Name, string(data), now, actor.AccountID)
		case err == nil:
			_, err = tx.ExecContext(ctx, `UPDATE workflows SET name = ?, data = ?, revision = revision + 1, updated_at = ?, updated_by = ? WHERE id = ?`,
				w.Name, string(data), now, actor.AccountID, w.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO workflow_revisions (workflow_id, revision, data, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
			w.ID, rev+1, string(data), now, actor.AccountID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "workflow.save", ObjectType: "workflow", ObjectID: w.ID,
			BeforeRef: revRef(rev), AfterRef: revRef(rev + 1), Detail: map[string]any{"steps": len(w.Steps)}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetWorkflow(ctx, w.ID)
}

func revRef(r int) string {
	if r == 0 {
		return ""
	}
	return "r" + itoa(r)
}

type wfKey struct {
	id  string
	rev int
}

// workflowRev is revision rev of workflow id. Revisions never change once
// written, so each is parsed once and kept.
func (s *Service) workflowRev(ctx context.Context, q db.Querier, id string, rev int) (*Workflow, error) {
	k := wfKey{id, rev}
	if w, ok := s.revisions.Load(k); ok {
		return w.(*Workflow), nil
	}
	var data string
	err := q.QueryRowContext(ctx, `SELECT data FROM workflow_revisions WHERE workflow_id = ? AND revision = ?`, id, rev).Scan(&data)
	if db.IsNoRows(err) {
		return nil, fmt.Errorf("workflow %s revision %d is missing", id, rev)
	}
	if err != nil {
		return nil, err
	}
	w := &Workflow{}
	if err := json.Unmarshal([]byte(data), w); err != nil {
		return nil, err
	}
	s.revisions.Store(k, w)
	return w, nil
}

// caseWorkflow is the definition case c runs under.
func (s *Service) caseWorkflow(ctx context.Context, q db.Querier, c *caseRow) (*Workflow, error) {
	if c.wf == nil {
		w, err := s.workflowRev(ctx, q, c.WorkflowID, c.WorkflowRev)
		if err != nil {
			return nil, err
		}
		c.wf = w
	}
	return c.wf, nil
}
