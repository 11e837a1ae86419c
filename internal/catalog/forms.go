package catalog

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// FormUse is a form with the published items that use it.
type FormUse struct {
	Form  Form
	Items []string // item names
}

// Forms lists every application form with the items using it.
func (s *Service) Forms(ctx context.Context) ([]FormUse, error) {
	forms, err := s.loadForms(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	uses := map[string][]string{}
	for _, e := range snap.Entries {
		if e.Item.Form != "" {
			uses[e.Item.Form] = append(uses[e.Item.Form], e.Item.Name)
		}
	}
	out := make([]FormUse, 0, len(forms))
	for id, f := range forms {
		out = append(out, FormUse{Form: *f, Items: uses[id]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Form.ID < out[j].Form.ID })
	return out, nil
}

// Form returns one form.
func (s *Service) Form(ctx context.Context, id string) (*Form, error) {
	var data string
	err := s.DB.QueryRowContext(ctx, `SELECT data FROM catalog_forms WHERE id = ?`, id).Scan(&data)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该申请表")
	}
	if err != nil {
		return nil, err
	}
	f := &Form{}
	return f, json.Unmarshal([]byte(data), f)
}

// SaveForm stores a form (administrators only: forms are shared across
// departments) and republishes every item that uses it, so their guides
// and new applications get the new form while cases already applied keep
// the version they were made with. It returns how many items got a new
// version.
func (s *Service) SaveForm(ctx context.Context, actor *identity.Principal, f Form) (int, error) {
	if !actor.HasRole(identity.RoleAdmin) {
		return 0, apperr.New(apperr.Forbidden, "只有平台管理员可以修改申请表（申请表由多个部门的事项共用）")
	}
	if probs := ValidateForm(&f); len(probs) > 0 {
		return 0, problemsError("申请表有问题，未保存：", probs)
	}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	var users []*Entry
	for _, e := range snap.Entries {
		if e.Item.Form == f.ID {
			users = append(users, e)
		}
	}
	// Every item using the form must stay valid with the new one (a field's
	// situation must exist in each item).
	depts, _, err := s.departmentEnv(ctx, s.DB)
	if err != nil {
		return 0, err
	}
	env := Env{Departments: depts, Forms: map[string]*Form{f.ID: &f}}
	for _, e := range users {
		it := e.Item
		for _, p := range Validate(&it, env) {
			if len(p.Field) > 5 && p.Field[:5] == "form." {
				return 0, &apperr.Error{Code: apperr.Invalid, Message: "事项“" + it.Name + "”使用此表，修改后不再有效：" + p.Message,
					Fields: map[string]string{p.Field[len("form."):]: p.Message}}
			}
		}
	}
	b, err := json.Marshal(&f)
	if err != nil {
		return 0, err
	}
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	republished := 0
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_forms (id, name, data, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, updated_at = excluded.updated_at`,
			f.ID, f.Name, string(b), now); err != nil {
			return err
		}
		for _, e := range users {
			it := e.Item
			outcome, err := s.publish(ctx, tx, &it, &f, e.DeptID, actor, now)
			if err != nil {
				return err
			}
			if outcome != "unchanged" {
				republished++
			}
		}
		if err := bumpRevision(ctx, tx); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "catalog.form.save", ObjectType: "catalog_form", ObjectID: f.ID,
			Detail: map[string]any{"fields": len(f.Fields), "republished": republished}})
	})
	if err != nil {
		return 0, err
	}
	s.invalidate()
	return republished, nil
}
