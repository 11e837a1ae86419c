package casework

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/db"
)

// Bits of caseRow.Extras: which side tables hold rows for the case.
const (
	extrasProcedures = 1 << iota
	extrasTolerance
	extrasPledge
	extrasLicences // licences given instead of materials (licence_uses)
)

// caseRow is a case as stored.
type caseRow struct {
	ID                 string
	No                 *string
	ItemID             string
	ItemCode           string
	ItemVersion        int
	ItemName           string
	DepartmentID       string
	RegionCode         string
	ItemType           string
	WorkflowID         string
	WorkflowRev        int
	Status             Status
	Result             string
	ResultCode         string
	Channel            string
	ApplicantKind      string
	ApplicantPersonID  *string
	ApplicantCompanyID *string
	ApplicantName      string
	ApplicantIDMasked  string
	AgentPersonID      *string
	AgentName          string
	CreatedBy          string
	Situation          string
	FormEnc            string
	QueryPasswordEnc   string
	PromisedAmount     int
	PromisedUnit       string
	LegalAmount        int
	LegalUnit          string
	SubmittedAt        *time.Time
	AcceptedAt         *time.Time
	DecidedAt          *time.Time
	FinishedAt         *time.Time
	PromisedDueAt      *time.Time
	LegalDueAt         *time.Time
	DueProvisional     bool
	Revision           int
	ListedAt           time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Mode               string // "" or ModePledge
	DeliveryMethod     string
	DeliveryEnc        string
	DeliveryMasked     string
	PausedAt           *time.Time
	PauseKind          string // supplement | special
	ResumeStatus       Status
	SupplementDueAt    *time.Time
	DeferredOpen       int
	ExtendedDays       int
	RevokedAt          *time.Time
	RevokeReason       string
	Extras             int // extrasProcedures | extrasTolerance | extrasPledge

	wf *Workflow // the definition of WorkflowRev, once loaded
}

const caseCols = `id, case_no, item_id, item_code, item_version, item_name, department_id, region_code, item_type, workflow_id, workflow_rev,
	status, result, result_code, channel, applicant_kind, applicant_person_id, applicant_company_id, applicant_name, applicant_id_masked, agent_person_id, agent_name,
	created_by, situation, form_enc, query_password_enc, promised_amount, promised_unit, legal_amount, legal_unit,
	submitted_at, accepted_at, decided_at, finished_at, promised_due_at, legal_due_at, due_provisional, revision, listed_at, created_at, updated_at,
	mode, delivery_method, delivery_enc, delivery_masked, paused_at, pause_kind, resume_status, supplement_due_at, deferred_open, extended_days, revoked_at, revoke_reason, extras`

func scanCase(row interface{ Scan(...any) error }, c *caseRow) error {
	return row.Scan(&c.ID, &c.No, &c.ItemID, &c.ItemCode, &c.ItemVersion, &c.ItemName, &c.DepartmentID, &c.RegionCode, &c.ItemType, &c.WorkflowID, &c.WorkflowRev,
		&c.Status, &c.Result, &c.ResultCode, &c.Channel, &c.ApplicantKind, &c.ApplicantPersonID, &c.ApplicantCompanyID, &c.ApplicantName, &c.ApplicantIDMasked, &c.AgentPersonID, &c.AgentName,
		&c.CreatedBy, &c.Situation, &c.FormEnc, &c.QueryPasswordEnc, &c.PromisedAmount, &c.PromisedUnit, &c.LegalAmount, &c.LegalUnit,
		&c.SubmittedAt, &c.AcceptedAt, &c.DecidedAt, &c.FinishedAt, &c.PromisedDueAt, &c.LegalDueAt, &c.DueProvisional, &c.Revision, &c.ListedAt, &c.CreatedAt, &c.UpdatedAt,
		&c.Mode, &c.DeliveryMethod, &c.DeliveryEnc, &c.DeliveryMasked, &c.PausedAt, &c.PauseKind, &c.ResumeStatus, &c.SupplementDueAt, &c.DeferredOpen, &c.ExtendedDays, &c.RevokedAt, &c.RevokeReason, &c.Extras)
}

func (c *caseRow) no() string {
	if c.No == nil {
		return ""
	}
	return *c.No
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

var errCaseNotFound = apperr.New(apperr.NotFound, "未找到该办件")

// caseByRef loads a case by its number or, for drafts, its id. lock takes
// the row lock on PostgreSQL (inside a transaction).
func caseByRef(ctx context.Context, q db.Querier, ref string, lock bool) (*caseRow, error) {
	col := "case_no"
	if len(ref) == 36 && strings.Count(ref, "-") == 4 {
		col = "id"
	}
	suffix := ""
	if lock && q.Dialect() == db.Postgres {
		suffix = " FOR UPDATE"
	}
	c := &caseRow{}
	err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE `+col+` = ?`+suffix, ref), c)
	if db.IsNoRows(err) {
		return nil, errCaseNotFound
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func insertCase(ctx context.Context, q db.Querier, c *caseRow) error {
	return db.ExecLater(ctx, q, nil, `INSERT INTO cases (`+caseCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.No, c.ItemID, c.ItemCode, c.ItemVersion, c.ItemName, c.DepartmentID, c.RegionCode, c.ItemType, c.WorkflowID, c.WorkflowRev,
		c.Status, c.Result, c.ResultCode, c.Channel, c.ApplicantKind, c.ApplicantPersonID, c.ApplicantCompanyID, c.ApplicantName, c.ApplicantIDMasked, c.AgentPersonID, c.AgentName,
		c.CreatedBy, c.Situation, c.FormEnc, c.QueryPasswordEnc, c.PromisedAmount, c.PromisedUnit, c.LegalAmount, c.LegalUnit,
		c.SubmittedAt, c.AcceptedAt, c.DecidedAt, c.FinishedAt, c.PromisedDueAt, c.LegalDueAt, c.DueProvisional, c.Revision, c.ListedAt, c.CreatedAt, c.UpdatedAt,
		c.Mode, c.DeliveryMethod, c.DeliveryEnc, c.DeliveryMasked, c.PausedAt, c.PauseKind, string(c.ResumeStatus), c.SupplementDueAt, c.DeferredOpen, c.ExtendedDays, c.RevokedAt, c.RevokeReason, c.Extras)
}

// updateCase writes every mutable column, guarded by the revision read:
// a concurrent change makes it fail with a Conflict instead of being lost.
func updateCase(ctx context.Context, q db.Querier, c *caseRow, readRevision int) error {
	return db.ExecLater(ctx, q, onlyOne, `UPDATE cases SET case_no = ?, item_version = ?, item_name = ?, item_type = ?, workflow_id = ?, workflow_rev = ?, status = ?, result = ?, result_code = ?,
		situation = ?, form_enc = ?, query_password_enc = ?, promised_amount = ?, promised_unit = ?, legal_amount = ?, legal_unit = ?,
		submitted_at = ?, accepted_at = ?, decided_at = ?, finished_at = ?, promised_due_at = ?, legal_due_at = ?, due_provisional = ?,
		revision = ?, listed_at = ?, updated_at = ?, mode = ?, delivery_method = ?, delivery_enc = ?, delivery_masked = ?, paused_at = ?, pause_kind = ?, resume_status = ?,
		supplement_due_at = ?, deferred_open = ?, extended_days = ?, revoked_at = ?, revoke_reason = ?, extras = ? WHERE id = ? AND revision = ?`,
		c.No, c.ItemVersion, c.ItemName, c.ItemType, c.WorkflowID, c.WorkflowRev, c.Status, c.Result, c.ResultCode,
		c.Situation, c.FormEnc, c.QueryPasswordEnc, c.PromisedAmount, c.PromisedUnit, c.LegalAmount, c.LegalUnit,
		c.SubmittedAt, c.AcceptedAt, c.DecidedAt, c.FinishedAt, c.PromisedDueAt, c.LegalDueAt, c.DueProvisional,
		c.Revision, c.ListedAt, c.UpdatedAt, c.Mode, c.DeliveryMethod, c.DeliveryEnc, c.DeliveryMasked, c.PausedAt, c.PauseKind, string(c.ResumeStatus),
		c.SupplementDueAt, c.DeferredOpen, c.ExtendedDays, c.RevokedAt, c.RevokeReason, c.Extras, c.ID, readRevision)
}

// exactlyOne turns an update that matched no row (someone changed it
// first) into errChanged.
func exactlyOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	return onlyOne(n)
}

// onlyOne is the check of a write that must change exactly one row
// (db.ExecLater's check, and exactlyOne's).
func onlyOne(n int64) error {
	if n != 1 {
		return errChanged
	}
	return nil
}

var errChanged = apperr.New(apperr.Conflict, "该办件刚刚已被他人处理，请刷新后查看最新状态")

// taskRow is a task as stored.
type taskRow struct {
	ID        string
	CaseID    string
	Step      string
	StepName  string
	Queue     string
	Roles     string // ",approver,dept_head,"
	ForkID    string
	Status    string
	CreatedAt time.Time
	DueAt     *time.Time
	DoneAt    *time.Time
	DoneBy    string
	Action    string
}

const taskCols = `id, case_id, step_id, step_name, queue, roles, fork_id, status, created_at, due_at, done_at, done_by, action`

func scanTask(row interface{ Scan(...any) error }, t *taskRow) error {
	return row.Scan(&t.ID, &t.CaseID, &t.Step, &t.StepName, &t.Queue, &t.Roles, &t.ForkID, &t.Status, &t.CreatedAt, &t.DueAt, &t.DoneAt, &t.DoneBy, &t.Action)
}

func openTasks(ctx context.Context, q db.Querier, caseID string) ([]taskRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+taskCols+` FROM case_tasks WHERE case_id = ? AND status = 'open' ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taskRow
	for rows.Next() {
		var t taskRow
		if err := scanTask(rows, &t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func insertTask(ctx context.Context, q db.Querier, t *taskRow) error {
	return db.ExecLater(ctx, q, nil, `INSERT INTO case_tasks (`+taskCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.CaseID, t.Step, t.StepName, t.Queue, t.Roles, t.ForkID, t.Status, t.CreatedAt, t.DueAt, t.DoneAt, t.DoneBy, t.Action)
}

// closeTask marks an open task done or cancelled; a task that is no longer
// open (someone else acted first) is a Conflict.
func closeTask(ctx context.Context, q db.Querier, id, status string, at time.Time, by, action string) error {
	return db.ExecLater(ctx, q, onlyOne, `UPDATE case_tasks SET status = ?, done_at = ?, done_by = ?, action = ? WHERE id = ? AND status = 'open'`,
		status, at, by, action, id)
}

// eventRow is a timeline entry as stored.
type eventRow struct {
	ID, CaseID              string
	At                      time.Time
	ActorID, ActorName, Org string
	Step, StepName          string
	Action, ActionName      string
	From, To                Status
	Comment                 string
}

func insertEvent(ctx context.Context, q db.Querier, e *eventRow) error {
	return db.ExecLater(ctx, q, nil, `INSERT INTO case_events (id, case_id, at, actor_id, actor_name, actor_org, step_id, step_name, action, action_name, from_status, to_status, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.CaseID, e.At, e.ActorID, e.ActorName, e.Org, e.Step, e.StepName, e.Action, e.ActionName, string(e.From), string(e.To), e.Comment)
}

const selectEvents = `SELECT at, actor_name, actor_org, step_id, step_name, action, action_name, from_status, to_status, comment
		FROM case_events WHERE case_id = ? ORDER BY at, id`

func caseEvents(ctx context.Context, q db.Querier, caseID string) ([]Event, error) {
	rows, err := q.QueryContext(ctx, selectEvents, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanEvents(rows)
}

func scanEvents(rows db.Rows) ([]Event, error) {
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Actor, &e.Org, &e.Step, &e.StepName, &e.Action, &e.ActionName, &e.From, &e.To, &e.Comment); err != nil {
			return nil, err
		}
		e.ToName = StatusNames[e.To]
		out = append(out, e)
	}
	return out, rows.Err()
}

// outboxEvent is written in the transaction of the change it announces.
func insertOutbox(ctx context.Context, q db.Querier, topic, objectID string, payload any, at time.Time) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return db.ExecLater(ctx, q, nil, `INSERT INTO outbox (id, topic, object_id, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
		newID(), topic, objectID, string(b), at)
}

// materialRow is one file given for one material of a case.
type materialRow struct {
	Material string
	FileID   string
}

const selectMaterials = `SELECT material_id, file_id FROM case_materials WHERE case_id = ? ORDER BY material_id, added_at, file_id`

func caseMaterials(ctx context.Context, q db.Querier, caseID string) ([]materialRow, error) {
	rows, err := q.QueryContext(ctx, selectMaterials, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanMaterials(rows)
}

func scanMaterials(rows db.Rows) ([]materialRow, error) {
	var out []materialRow
	for rows.Next() {
		var m materialRow
		if err := rows.Scan(&m.Material, &m.FileID); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// replaceMaterials makes the case's materials exactly refs (a new case
// has none to delete), in one INSERT.
func replaceMaterials(ctx context.Context, q db.Querier, caseID string, refs []MaterialRef, at time.Time, by string, isNew bool) error {
	if !isNew {
		if _, err := q.ExecContext(ctx, `DELETE FROM case_materials WHERE case_id = ?`, caseID); err != nil {
			return err
		}
	}
	if len(refs) == 0 {
		return nil
	}
	args := make([]any, 0, 5*len(refs))
	for _, m := range refs {
		args = append(args, caseID, m.Material, m.File, at, by)
	}
	return db.ExecLater(ctx, q, nil, `INSERT INTO case_materials (case_id, material_id, file_id, added_at, added_by) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(refs)), ", "), args...)
}

// answerReads are the reads an action's answer needs beyond the
// transaction's own (the timeline, the materials). On PostgreSQL they are
// queued at the end of the action's transaction (db.QueryLater), so they
// see its writes and go to the server with its last batch instead of
// costing round trips of their own after the commit; elsewhere (nil) the
// answer reads them itself.
type answerReads struct {
	events []Event
	mats   []materialRow
}

func prefetchAnswer(ctx context.Context, tx *db.Tx, c *caseRow) (*answerReads, error) {
	if tx.Dialect() != db.Postgres {
		return nil, nil
	}
	pre := &answerReads{}
	if c.Status != StatusDraft {
		if err := db.QueryLater(ctx, tx, func(r db.Rows) (err error) {
			pre.events, err = scanEvents(r)
			return err
		}, selectEvents, c.ID); err != nil {
			return nil, err
		}
	}
	err := db.QueryLater(ctx, tx, func(r db.Rows) (err error) {
		pre.mats, err = scanMaterials(r)
		return err
	}, selectMaterials, c.ID)
	return pre, err
}
