package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// Draft is an item being edited in the browser.
type Draft struct {
	ID           string    `json:"id"`
	ItemID       string    `json:"itemId,omitempty"`
	DepartmentID string    `json:"departmentId"`
	Item         Item      `json:"item"`
	UpdatedAt    time.Time `json:"updatedAt"`
	UpdatedBy    string    `json:"updatedBy"`
}

// DraftSummary is a row of the drafts list.
type DraftSummary struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Code      string    `json:"code"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// deptCodeOf returns the code of the actor's department.
func (s *Service) deptOf(ctx context.Context, actor *identity.Principal) (code string, err error) {
	err = s.DB.QueryRowContext(ctx, `SELECT code FROM departments WHERE id = ?`, actor.DepartmentID).Scan(&code)
	if db.IsNoRows(err) {
		return "", apperr.New(apperr.Forbidden, "您不属于任何部门")
	}
	return code, err
}

func (s *Service) mayEdit(ctx context.Context, actor *identity.Principal, deptID string) error {
	if !actor.HasRole(identity.RoleAdmin) && !actor.HasRole(identity.RoleMaintainer) {
		return apperr.New(apperr.Forbidden, "只有平台管理员和事项维护人员可以编辑事项")
	}
	if !canMaintain(actor, deptID) {
		// Another department's item: as far as this maintainer is concerned it does not exist.
		return apperr.New(apperr.NotFound, "未找到该事项")
	}
	return nil
}

// editableEntry finds a published item the actor may maintain.
func (s *Service) editableEntry(ctx context.Context, actor *identity.Principal, code string) (*Entry, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	e, ok := snap.ByCode(code)
	if !ok {
		return nil, apperr.New(apperr.NotFound, "未找到该事项")
	}
	return e, s.mayEdit(ctx, actor, e.DeptID)
}

// Drafts lists the drafts the actor may edit.
func (s *Service) Drafts(ctx context.Context, actor *identity.Principal) ([]DraftSummary, error) {
	if !actor.HasRole(identity.RoleAdmin) && !actor.HasRole(identity.RoleMaintainer) {
		return nil, apperr.New(apperr.Forbidden, "只有平台管理员和事项维护人员可以编辑事项")
	}
	q := `SELECT d.id, d.name, COALESCE(i.code, ''), d.updated_at FROM catalog_drafts d LEFT JOIN catalog_items i ON i.id = d.item_id`
	var args []any
	if !actor.HasRole(identity.RoleAdmin) {
		q += ` WHERE d.department_id = ?`
		args = append(args, actor.DepartmentID)
	}
	q += ` ORDER BY d.updated_at DESC LIMIT 200`
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DraftSummary
	for rows.Next() {
		var d DraftSummary
		if err := rows.Scan(&d.ID, &d.Name, &d.Code, &d.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Draft returns one draft the actor may edit.
func (s *Service) Draft(ctx context.Context, actor *identity.Principal, id string) (*Draft, error) {
	d := &Draft{}
	var itemID *string
	var data string
	err := s.DB.QueryRowContext(ctx, `SELECT id, item_id, department_id, data, updated_at, updated_by FROM catalog_drafts WHERE id = ?`, id).
		Scan(&d.ID, &itemID, &d.DepartmentID, &data, &d.UpdatedAt, &d.UpdatedBy)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该草稿")
	}
	if err != nil {
		return nil, err
	}
	if err := s.mayEdit(ctx, actor, d.DepartmentID); err != nil {
		return nil, apperr.New(apperr.NotFound, "未找到该草稿")
	}
	if itemID != nil {
		d.ItemID = *itemID
	}
	return d, json.Unmarshal([]byte(data), &d.Item)
}

// EditItem returns the draft of a published item, starting one from the
// published version when there is none.
func (s *Service) EditItem(ctx context.Context, actor *identity.Principal, code string) (*Draft, error) {
	e, err := s.editableEntry(ctx, actor, code)
	if err != nil {
		return nil, err
	}
	var id string
	err = s.DB.QueryRowContext(ctx, `SELECT id FROM catalog_drafts WHERE item_id = ?`, e.ID).Scan(&id)
	if err == nil {
		return s.Draft(ctx, actor, id)
	}
	if !db.IsNoRows(err) {
		return nil, err
	}
	it := e.Item
	it.Version = 0
	return s.createDraft(ctx, actor, e.ID, e.DeptID, it)
}

// NewDraft starts a draft for a new item of the actor's department.
func (s *Service) NewDraft(ctx context.Context, actor *identity.Principal) (*Draft, error) {
	if err := s.mayEdit(ctx, actor, actor.DepartmentID); err != nil {
		return nil, err
	}
	code, err := s.deptOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	it := Item{Name: "新事项", Department: code, Type: "01", Level: "4", PowerSource: "1", HandlingType: "2",
		LegalLimit: Limit{Unit: "1"}, PromisedLimit: Limit{Unit: "1"}, Visits: 1, Scope: "county"}
	return s.createDraft(ctx, actor, "", actor.DepartmentID, it)
}

func (s *Service) createDraft(ctx context.Context, actor *identity.Principal, itemID, deptID string, it Item) (*Draft, error) {
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	b, err := json.Marshal(&it)
	if err != nil {
		return nil, err
	}
	d := &Draft{ID: newID(), ItemID: itemID, DepartmentID: deptID, Item: it, UpdatedAt: now, UpdatedBy: actor.DisplayName}
	var item any
	if itemID != "" {
		item = itemID
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_drafts (id, item_id, department_id, name, data, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, item, deptID, it.Name, string(b), now, now, actor.DisplayName); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "catalog.draft.create", ObjectType: "catalog_draft", ObjectID: d.ID, AfterRef: it.Code})
	})
	return d, err
}

// SaveDraft stores the edited item and returns what would stop it from
// being published (saving never fails on those: a draft may be unfinished).
func (s *Service) SaveDraft(ctx context.Context, actor *identity.Principal, id string, it Item) ([]Problem, error) {
	d, err := s.Draft(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	depts, deptIDs, err := s.departmentEnv(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	deptID, ok := deptIDs[it.Department]
	if !ok {
		deptID = d.DepartmentID
	}
	if deptID != d.DepartmentID && !actor.HasRole(identity.RoleAdmin) {
		return nil, &apperr.Error{Code: apperr.Forbidden, Message: "事项维护人员只能维护本部门的事项", Fields: map[string]string{"department": "只能选择本部门"}}
	}
	if d.ItemID != "" {
		// The codes of a published item do not change in the editor.
		it.Code, it.ImplCode, it.BaseCode = d.Item.Code, d.Item.ImplCode, d.Item.BaseCode
	}
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	b, err := json.Marshal(&it)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE catalog_drafts SET data = ?, name = ?, department_id = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			string(b), it.Name, deptID, now, actor.DisplayName, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "catalog.draft.save", ObjectType: "catalog_draft", ObjectID: id})
	})
	if err != nil {
		return nil, err
	}
	forms, err := s.loadForms(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	probe := []Item{it}
	if d.ItemID == "" {
		probe[0].ImplCode, probe[0].Code = "", ""
		deriveCodes(probe, depts)
	}
	env, err := s.env(ctx, depts, forms)
	if err != nil {
		return nil, err
	}
	return Validate(&probe[0], env), nil
}

// PublishDraft validates the draft and, when it is complete and right,
// publishes it as the item's next version and deletes the draft. Problems
// come back as field errors, nothing changed.
func (s *Service) PublishDraft(ctx context.Context, actor *identity.Principal, id string) (*Item, error) {
	d, err := s.Draft(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return s.publishOne(ctx, actor, d.Item, d.ItemID == "", func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM catalog_drafts WHERE id = ?`, id)
		return err
	})
}

// PublishItem publishes one item straight from the API: a new version of
// the item with code (its codes stay), or a new item when code is "". The
// actor must maintain the item's department.
func (s *Service) PublishItem(ctx context.Context, actor *identity.Principal, code string, it Item) (*Item, error) {
	_, deptIDs, err := s.departmentEnv(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	if code != "" {
		e, err := s.editableEntry(ctx, actor, code)
		if err != nil {
			return nil, err
		}
		it.Code, it.ImplCode, it.BaseCode = e.Item.Code, e.Item.ImplCode, e.Item.BaseCode
	}
	deptID, ok := deptIDs[it.Department]
	if !ok {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("实施机关 %q 不存在", it.Department), Fields: map[string]string{"department": "不存在"}}
	}
	if err := s.mayEdit(ctx, actor, deptID); err != nil {
		return nil, &apperr.Error{Code: apperr.Forbidden, Message: "事项维护人员只能维护本部门的事项", Fields: map[string]string{"department": "只能选择本部门"}}
	}
	return s.publishOne(ctx, actor, it, code == "", nil)
}

// publishOne validates one item and publishes it in one transaction with
// whatever else must happen then (deleting its draft).
func (s *Service) publishOne(ctx context.Context, actor *identity.Principal, item Item, isNew bool, also func(*db.Tx) error) (*Item, error) {
	depts, deptIDs, err := s.departmentEnv(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	forms, err := s.loadForms(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	items := []Item{item}
	items[0].Version = 0
	if isNew {
		items[0].ImplCode, items[0].Code = "", ""
		deriveCodes(items, depts)
		// A new item takes the next free sequence under its 实施编码.
		var last string
		if err := s.DB.QueryRowContext(ctx, `SELECT COALESCE(MAX(code), '') FROM catalog_items WHERE impl_code = ?`, items[0].ImplCode).Scan(&last); err != nil {
			return nil, err
		}
		if len(last) == 33 && len(items[0].ImplCode) == 31 {
			seq, _ := strconv.Atoi(last[31:])
			if seq >= 99 {
				return nil, apperr.New(apperr.Conflict, "该实施编码下的业务办理项已满99项")
			}
			items[0].Code = items[0].ImplCode + fmt.Sprintf("%02d", seq+1)
		}
	}
	it := &items[0]
	env, err := s.env(ctx, depts, forms)
	if err != nil {
		return nil, err
	}
	if probs := Validate(it, env); len(probs) > 0 {
		return nil, problemsError("事项还有问题，不能发布：", probs)
	}
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := s.publish(ctx, tx, it, forms[it.Form], deptIDs[it.Department], actor, now); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return it, nil
}

// DiscardDraft deletes a draft.
func (s *Service) DiscardDraft(ctx context.Context, actor *identity.Principal, id string) error {
	if _, err := s.Draft(ctx, actor, id); err != nil {
		return err
	}
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM catalog_drafts WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "catalog.draft.discard", ObjectType: "catalog_draft", ObjectID: id})
	})
}
