package catalog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// MaxImportBytes bounds an import file.
const MaxImportBytes = 32 << 20

// RowProblem is one problem of an import, located by row (1-based item or
// form number in the file) and field.
type RowProblem struct {
	Kind    string `json:"kind"` // "item" | "form" | "file"
	Row     int    `json:"row"`
	Name    string `json:"name"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportReport says what an import did, or every reason it did nothing.
type ImportReport struct {
	Items     int          `json:"items"`
	Forms     int          `json:"forms"`
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Problems  []RowProblem `json:"problems,omitempty"`
}

// ErrImportRejected is returned (wrapped in an Invalid error) when any row
// has a problem; the report lists them all and nothing was saved.
var ErrImportRejected = errors.New("import rejected")

// DecodeFile reads a JSON exchange file strictly: known fields only, one
// document, the right format marker, at most MaxImportBytes.
func DecodeFile(r io.Reader) (*File, error) {
	lr := &io.LimitedReader{R: r, N: MaxImportBytes + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		if lr.N <= 0 {
			return nil, apperr.Newf(apperr.TooLarge, "导入文件不能超过 %d MB", MaxImportBytes>>20)
		}
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, apperr.Newf(apperr.Invalid, "导入文件不是有效的 JSON（第 %d 字节附近）", syn.Offset)
		case errors.As(err, &typ):
			return nil, apperr.Newf(apperr.Invalid, "导入文件中 %s 的类型不正确，应为 %s", typ.Field, typ.Type.Kind())
		case errors.Is(err, io.EOF):
			return nil, apperr.New(apperr.Invalid, "导入文件为空")
		}
		return nil, apperr.Wrap(apperr.Invalid, "导入文件无法解析："+err.Error(), err)
	}
	if lr.N <= 0 {
		return nil, apperr.Newf(apperr.TooLarge, "导入文件不能超过 %d MB", MaxImportBytes>>20)
	}
	if f.Format != Format {
		return nil, apperr.Newf(apperr.Invalid, "导入文件格式应为 %q，而不是 %q", Format, f.Format)
	}
	return &f, nil
}

// deriveCodes fills in 实施编码 and 业务办理项编码 where the file left them
// empty: the department's credit code + level + base code, and a two-digit
// sequence in file order among items sharing an 实施编码.
func deriveCodes(items []Item, depts map[string]DeptInfo) {
	seq := map[string]int{}
	for i := range items {
		it := &items[i]
		if it.ImplCode == "" {
			if d, ok := depts[it.Department]; ok && len(it.BaseCode) == 12 && len(it.Level) == 1 {
				it.ImplCode = d.CreditCode + it.Level + it.BaseCode
			}
		}
		if it.Code == "" && len(it.ImplCode) == 31 {
			seq[it.ImplCode]++
			it.Code = fmt.Sprintf("%s%02d", it.ImplCode, seq[it.ImplCode])
		}
		if it.Region == "" {
			if d, ok := depts[it.Department]; ok {
				it.Region = d.RegionCode
			}
		}
	}
}

// Import validates the whole file and, only when every form and item is
// right, publishes it in one transaction: new items are created, changed
// ones get a new version, identical ones are left alone.
func (s *Service) Import(ctx context.Context, actor *identity.Principal, f *File) (*ImportReport, error) {
	if !actor.HasRole(identity.RoleAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有平台管理员可以导入事项库")
	}
	rep := &ImportReport{Items: len(f.Items), Forms: len(f.Forms)}
	depts, deptIDs, err := s.departmentEnv(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	forms, err := s.loadForms(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	seenForm := map[string]bool{}
	for i := range f.Forms {
		fm := &f.Forms[i]
		for _, p := range ValidateForm(fm) {
			rep.Problems = append(rep.Problems, RowProblem{Kind: "form", Row: i + 1, Name: fm.Name, Field: p.Field, Message: p.Message})
		}
		if seenForm[fm.ID] {
			rep.Problems = append(rep.Problems, RowProblem{Kind: "form", Row: i + 1, Name: fm.Name, Field: "id", Message: fmt.Sprintf("申请表标识 %q 在文件中重复", fm.ID)})
		}
		seenForm[fm.ID] = true
		forms[fm.ID] = fm
	}
	deriveCodes(f.Items, depts)
	env, err := s.env(ctx, depts, forms)
	if err != nil {
		return nil, err
	}
	seenCode := map[string]int{}
	for i := range f.Items {
		it := &f.Items[i]
		it.Version = 0
		for _, p := range Validate(it, env) {
			rep.Problems = append(rep.Problems, RowProblem{Kind: "item", Row: i + 1, Name: it.Name, Field: p.Field, Message: p.Message})
		}
		if prev, dup := seenCode[it.Code]; dup && it.Code != "" {
			rep.Problems = append(rep.Problems, RowProblem{Kind: "item", Row: i + 1, Name: it.Name, Field: "code", Message: fmt.Sprintf("业务办理项编码与第 %d 行重复", prev)})
		}
		seenCode[it.Code] = i + 1
	}
	if len(rep.Problems) > 0 {
		sort.SliceStable(rep.Problems, func(a, b int) bool {
			if rep.Problems[a].Kind != rep.Problems[b].Kind {
				return rep.Problems[a].Kind == "form"
			}
			return rep.Problems[a].Row < rep.Problems[b].Row
		})
		return rep, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("导入文件有 %d 处问题，未导入任何内容", len(rep.Problems)), Err: ErrImportRejected}
	}
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		for i := range f.Forms {
			b, err := json.Marshal(&f.Forms[i])
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_forms (id, name, data, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data, updated_at = excluded.updated_at`,
				f.Forms[i].ID, f.Forms[i].Name, string(b), now); err != nil {
				return err
			}
		}
		for i := range f.Items {
			it := &f.Items[i]
			outcome, err := s.publish(ctx, tx, it, forms[it.Form], deptIDs[it.Department], actor, now)
			if err != nil {
				return fmt.Errorf("item %d (%s): %w", i+1, it.Name, err)
			}
			switch outcome {
			case "created":
				rep.Created++
			case "updated":
				rep.Updated++
			default:
				rep.Unchanged++
			}
		}
		if err := bumpRevision(ctx, tx); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "catalog.import", ObjectType: "catalog", ObjectID: "catalog",
			Detail: map[string]any{"items": rep.Items, "forms": rep.Forms, "created": rep.Created, "updated": rep.Updated, "unchanged": rep.Unchanged}})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return rep, nil
}

// Export writes every form and the published version of every item.
func (s *Service) Export(ctx context.Context) (*File, error) {
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	forms, err := s.loadForms(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	f := &File{Format: Format, Forms: []Form{}, Items: []Item{}}
	ids := make([]string, 0, len(forms))
	for id := range forms {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		f.Forms = append(f.Forms, *forms[id])
	}
	for _, e := range snap.Entries {
		f.Items = append(f.Items, e.Item)
	}
	return f, nil
}

// DecodeAny reads an exchange file in either form, telling them apart by
// content (an .xlsx is a ZIP archive), not by name. Cell problems of a
// workbook come back as a report with ErrImportRejected.
func DecodeAny(r io.Reader) (*File, *ImportReport, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(4)
	if string(head) != "PK\x03\x04" {
		f, err := DecodeFile(br)
		return f, nil, err
	}
	f, probs, err := ReadXLSX(br)
	if err != nil {
		return nil, nil, err
	}
	if len(probs) > 0 {
		rep := &ImportReport{Items: len(f.Items), Forms: len(f.Forms), Problems: probs}
		return nil, rep, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("导入文件有 %d 处无法读取的单元格，未导入任何内容", len(probs)), Err: ErrImportRejected}
	}
	return f, nil, nil
}
