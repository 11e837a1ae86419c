package identity

import (
	"context"
	"strings"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/stdcode"
)

// Regions lists the children of parent ("" lists the provinces).
func (s *Service) Regions(ctx context.Context, parent string) ([]Region, error) {
	q := `SELECT code, name, full_name, level, parent_code FROM regions WHERE parent_code = ? ORDER BY code`
	args := []any{parent}
	if parent == "" {
		q = `SELECT code, name, full_name, level, parent_code FROM regions WHERE parent_code IS NULL ORDER BY code`
		args = nil
	} else if _, err := stdcode.ParseRegionCode(parent); err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err.Error(), err)
	}
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Region
	for rows.Next() {
		var r Region
		var p *string
		if err := rows.Scan(&r.Code, &r.Name, &r.FullName, &r.Level, &p); err != nil {
			return nil, err
		}
		r.ParentCode = deref(p)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Region returns one region.
func (s *Service) Region(ctx context.Context, code string) (*Region, error) {
	if _, err := stdcode.ParseRegionCode(code); err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err.Error(), err)
	}
	var r Region
	var p *string
	err := s.DB.QueryRowContext(ctx, `SELECT code, name, full_name, level, parent_code FROM regions WHERE code = ?`, code).Scan(&r.Code, &r.Name, &r.FullName, &r.Level, &p)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该行政区划")
	}
	r.ParentCode = deref(p)
	return &r, err
}

// InsertRegion adds a region under an existing parent; the level and parent
// come from the code itself.
func InsertRegion(ctx context.Context, q db.Querier, code, name string) error {
	rc, err := stdcode.ParseRegionCode(code)
	if err != nil {
		return apperr.Wrap(apperr.Invalid, err.Error(), err)
	}
	parent := stdcode.RegionParent(rc.String())
	full := name
	if parent != "" {
		var pf string
		if err := q.QueryRowContext(ctx, `SELECT full_name FROM regions WHERE code = ?`, parent).Scan(&pf); err != nil {
			if db.IsNoRows(err) {
				return apperr.Newf(apperr.Invalid, "上级区划 %s 不存在", parent)
			}
			return err
		}
		full = pf + name
	}
	_, err = q.ExecContext(ctx, `INSERT INTO regions (code, name, full_name, level, parent_code) VALUES (?, ?, ?, ?, ?)`,
		rc.String(), name, full, stdcode.RegionLevel(rc.String()), nullable(parent))
	return err
}

const deptCols = `d.id, d.code, d.name, d.short_name, d.credit_code, d.region_code, r.full_name, d.phone, d.address, d.created_at`

func scanDept(row interface{ Scan(...any) error }, d *Department) error {
	return row.Scan(&d.ID, &d.Code, &d.Name, &d.ShortName, &d.CreditCode, &d.RegionCode, &d.RegionName, &d.Phone, &d.Address, &d.CreatedAt)
}

// Departments lists all departments, by region then code. The list is
// cached (see refTTL); callers must not modify it.
func (s *Service) Departments(ctx context.Context) ([]Department, error) {
	return s.depts.get(ctx, s.loadDepartments)
}

func (s *Service) loadDepartments(ctx context.Context) ([]Department, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+deptCols+` FROM departments d JOIN regions r ON r.code = d.region_code ORDER BY d.region_code, d.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Department
	for rows.Next() {
		var d Department
		if err := scanDept(rows, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Department returns one department by id or code.
func (s *Service) Department(ctx context.Context, idOrCode string) (*Department, error) {
	var d Department
	err := scanDept(s.DB.QueryRowContext(ctx, `SELECT `+deptCols+` FROM departments d JOIN regions r ON r.code = d.region_code WHERE d.id = ? OR d.code = ?`, idOrCode, idOrCode), &d)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "未找到该部门")
	}
	return &d, err
}

// NewDepartment is the input for creating a department.
type NewDepartment struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	ShortName  string `json:"shortName"`
	CreditCode string `json:"creditCode"`
	RegionCode string `json:"regionCode"`
	Phone      string `json:"phone"`
	Address    string `json:"address"`
}

func (in *NewDepartment) validate() error {
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	in.ShortName = strings.TrimSpace(in.ShortName)
	in.CreditCode = stdcode.NormalizeCreditCode(in.CreditCode)
	in.RegionCode = strings.TrimSpace(in.RegionCode)
	in.Phone = strings.TrimSpace(in.Phone)
	in.Address = strings.TrimSpace(in.Address)
	f := apperr.FieldErrors{}
	if in.Code == "" {
		f.Add("code", "请填写部门代码（如 scjg）")
	} else if len(in.Code) > 16 || strings.Trim(in.Code, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		f.Add("code", "部门代码只能是16位以内的小写字母和数字")
	}
	if in.Name == "" {
		f.Add("name", "请填写部门名称")
	} else if utf8.RuneCountInString(in.Name) > 60 {
		f.Add("name", "部门名称不能超过60个字")
	}
	if in.ShortName == "" {
		in.ShortName = in.Name
	}
	if utf8.RuneCountInString(in.ShortName) > 20 {
		f.Add("shortName", "简称不能超过20个字")
	}
	if in.CreditCode == "" {
		f.Add("creditCode", "请填写统一社会信用代码")
	} else if err := stdcode.ValidateCreditCode(in.CreditCode); err != nil {
		f.Add("creditCode", err.Error())
	}
	if in.RegionCode == "" {
		f.Add("regionCode", "请选择所属行政区划")
	} else if _, err := stdcode.ParseRegionCode(in.RegionCode); err != nil {
		f.Add("regionCode", err.Error())
	}
	if utf8.RuneCountInString(in.Phone) > 40 {
		f.Add("phone", "电话不能超过40个字符")
	}
	if utf8.RuneCountInString(in.Address) > 120 {
		f.Add("address", "地址不能超过120个字")
	}
	return f.Err()
}

// CreateDepartment adds a department (administrators only).
func (s *Service) CreateDepartment(ctx context.Context, actor *Principal, in NewDepartment) (*Department, error) {
	if !actor.HasRole(RoleAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有平台管理员可以新增部门")
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	id := newID()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM regions WHERE code = ?`, in.RegionCode).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &apperr.Error{Code: apperr.Invalid, Message: "所属行政区划不存在", Fields: map[string]string{"regionCode": "该行政区划不存在"}}
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM departments WHERE code = ? OR credit_code = ?`, in.Code, in.CreditCode).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &apperr.Error{Code: apperr.Conflict, Message: "部门代码或统一社会信用代码已被使用", Fields: map[string]string{"code": "部门代码或统一社会信用代码已被使用"}}
		}
		if err := insertDepartment(ctx, tx, id, in, s.now()); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Entry{Action: "department.create", ObjectType: "department", ObjectID: id, AfterRef: in.Code})
	})
	if err != nil {
		return nil, err
	}
	s.depts.reset()
	return s.Department(ctx, id)
}

func insertDepartment(ctx context.Context, q db.Querier, id string, in NewDepartment, now any) error {
	_, err := q.ExecContext(ctx, `INSERT INTO departments (id, code, name, short_name, credit_code, region_code, phone, address, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, in.Code, in.Name, in.ShortName, in.CreditCode, in.RegionCode, in.Phone, in.Address, now)
	return err
}

// Centres lists the service centres with their windows (cached like
// Departments; callers must not modify it).
func (s *Service) Centres(ctx context.Context) ([]Centre, error) {
	return s.centres.get(ctx, s.loadCentres)
}

// loadCentres reads centres and windows in two queries, not one per centre.
func (s *Service) loadCentres(ctx context.Context) ([]Centre, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, name, region_code, address, hours, phone FROM service_centres ORDER BY region_code, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Centre
	idx := map[string]int{}
	for rows.Next() {
		var c Centre
		if err := rows.Scan(&c.ID, &c.Name, &c.RegionCode, &c.Address, &c.Hours, &c.Phone); err != nil {
			return nil, err
		}
		idx[c.ID] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	wrows, err := s.DB.QueryContext(ctx, `SELECT w.centre_id, w.id, w.number, w.name, w.kind, w.department_id, d.short_name
		FROM service_windows w LEFT JOIN departments d ON d.id = w.department_id ORDER BY w.centre_id, w.number`)
	if err != nil {
		return nil, err
	}
	defer wrows.Close()
	for wrows.Next() {
		var centre string
		var w Window
		var dep, depName *string
		if err := wrows.Scan(&centre, &w.ID, &w.Number, &w.Name, &w.Kind, &dep, &depName); err != nil {
			return nil, err
		}
		w.DepartmentID, w.DepartmentName = deref(dep), deref(depName)
		if i, ok := idx[centre]; ok {
			out[i].Windows = append(out[i].Windows, w)
		}
	}
	return out, wrows.Err()
}
