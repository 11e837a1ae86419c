package identity

import (
	"context"
	"strings"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/db"
)

type newAccount struct {
	Username     string
	Kind         Kind
	DisplayName  string
	PasswordHash string
	PersonID     string
	CompanyID    string
	DepartmentID string
}

func (s *Service) insertAccount(ctx context.Context, tx *db.Tx, a newAccount) (string, error) {
	id := newID()
	_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, username, kind, display_name, password_hash, person_id, company_id, department_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, a.Username, a.Kind, a.DisplayName, a.PasswordHash, nullable(a.PersonID), nullable(a.CompanyID), nullable(a.DepartmentID), s.now())
	if apperr.Is(err, apperr.Conflict) {
		return "", &apperr.Error{Code: apperr.Conflict, Message: "该用户名已被使用", Fields: map[string]string{"username": "该用户名已被使用，请换一个"}, Err: err}
	}
	return id, err
}

// Seeder creates reference data and accounts directly (demo data, tests,
// installation). It runs in one transaction given by the caller.
type Seeder struct {
	S  *Service
	Tx *db.Tx
}

func (sd Seeder) Region(ctx context.Context, code, name string) error {
	return InsertRegion(ctx, sd.Tx, code, name)
}

func (sd Seeder) Department(ctx context.Context, in NewDepartment) (string, error) {
	if err := in.validate(); err != nil {
		return "", err
	}
	id := newID()
	// Whoever read the departments before (the sweeper at start-up) sees
	// these at once, not after the cache's ten seconds.
	sd.Tx.AfterCommit(sd.S.depts.reset)
	return id, insertDepartment(ctx, sd.Tx, id, in, sd.S.now())
}

func (sd Seeder) Centre(ctx context.Context, c Centre) (string, error) {
	id := newID()
	sd.Tx.AfterCommit(sd.S.centres.reset)
	_, err := sd.Tx.ExecContext(ctx, `INSERT INTO service_centres (id, name, region_code, address, hours, phone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, c.Name, c.RegionCode, c.Address, c.Hours, c.Phone, sd.S.now())
	if err != nil {
		return "", err
	}
	for _, w := range c.Windows {
		if _, err := sd.Tx.ExecContext(ctx, `INSERT INTO service_windows (id, centre_id, number, name, kind, department_id) VALUES (?, ?, ?, ?, ?, ?)`,
			newID(), id, w.Number, w.Name, w.Kind, nullable(w.DepartmentID)); err != nil {
			return "", err
		}
	}
	return id, nil
}

// Person creates a person (validated like a registration).
func (sd Seeder) Person(ctx context.Context, in NewPerson) (string, error) {
	f := apperr.FieldErrors{}
	sd.S.validatePerson(&in, f)
	if err := f.Err(); err != nil {
		return "", err
	}
	return sd.S.insertPerson(ctx, sd.Tx, in)
}

// PersonAccount creates the login of an existing person.
func (sd Seeder) PersonAccount(ctx context.Context, username, passwordHash, personID, name string) (string, error) {
	return sd.S.insertAccount(ctx, sd.Tx, newAccount{Username: username, Kind: KindPerson, DisplayName: name, PasswordHash: passwordHash, PersonID: personID})
}

// Company creates a company with its legal representative as an agent.
func (sd Seeder) Company(ctx context.Context, c Company, legalRepPersonID string) (string, error) {
	id := newID()
	if _, err := sd.Tx.ExecContext(ctx, `INSERT INTO companies (id, name, credit_code, legal_rep_name, region_code, address, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, c.Name, c.CreditCode, c.LegalRepName, c.RegionCode, c.Address, sd.S.now()); err != nil {
		return "", err
	}
	return id, sd.Agent(ctx, id, legalRepPersonID, "legal_rep", nil)
}

// Agent authorises a person to act for a company until validTo (nil: no end).
func (sd Seeder) Agent(ctx context.Context, companyID, personID, role string, validTo *time.Time) error {
	var to any
	if validTo != nil {
		to = validTo.UTC()
	}
	_, err := sd.Tx.ExecContext(ctx, `INSERT INTO company_agents (company_id, person_id, role, valid_from, valid_to) VALUES (?, ?, ?, ?, ?)`,
		companyID, personID, role, sd.S.now(), to)
	return err
}

// CompanyAccount creates the login an agent uses for a company.
func (sd Seeder) CompanyAccount(ctx context.Context, username, passwordHash, companyID, agentPersonID, displayName string) (string, error) {
	return sd.S.insertAccount(ctx, sd.Tx, newAccount{Username: username, Kind: KindCompany, DisplayName: displayName, PasswordHash: passwordHash, PersonID: agentPersonID, CompanyID: companyID})
}

// Staff creates a staff account with roles and data scope.
func (sd Seeder) Staff(ctx context.Context, username, passwordHash, name, departmentID string, roles []Role, scopes []Scope) (string, error) {
	id, err := sd.S.insertAccount(ctx, sd.Tx, newAccount{Username: username, Kind: KindStaff, DisplayName: name, PasswordHash: passwordHash, DepartmentID: departmentID})
	if err != nil {
		return "", err
	}
	for _, r := range roles {
		if _, ok := RoleNames[r]; !ok {
			return "", apperr.Newf(apperr.Invalid, "未知角色 %q", r)
		}
		if _, err := sd.Tx.ExecContext(ctx, `INSERT INTO staff_roles (account_id, role) VALUES (?, ?)`, id, r); err != nil {
			return "", err
		}
	}
	for _, sc := range scopes {
		if _, err := sd.Tx.ExecContext(ctx, `INSERT INTO staff_scopes (id, account_id, region_code, department_id) VALUES (?, ?, ?, ?)`,
			newID(), id, nullable(sc.RegionCode), nullable(sc.DepartmentID)); err != nil {
			return "", err
		}
	}
	return id, nil
}

// Accounts lists accounts for administrators, masked, with roles gathered
// in one extra query rather than one per row.
func (s *Service) Accounts(ctx context.Context, actor *Principal, kind Kind) ([]AccountSummary, error) {
	if !actor.HasRole(RoleAdmin) {
		return nil, apperr.New(apperr.Forbidden, "只有平台管理员可以查看账号列表")
	}
	q := `SELECT a.id, a.username, a.kind, a.display_name, d.short_name, c.name, a.person_id, p.id_number_masked, a.disabled, a.created_at
		FROM accounts a
		LEFT JOIN departments d ON d.id = a.department_id
		LEFT JOIN companies c ON c.id = a.company_id
		LEFT JOIN people p ON p.id = a.person_id`
	var args []any
	if kind != "" {
		if kind != KindPerson && kind != KindCompany && kind != KindStaff {
			return nil, apperr.New(apperr.Invalid, "账号类型只能是 person、company 或 staff")
		}
		q += ` WHERE a.kind = ?`
		args = append(args, kind)
	}
	q += ` ORDER BY a.kind, a.username LIMIT 500`
	rows, err := s.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AccountSummary
	idx := map[string]int{}
	for rows.Next() {
		var a AccountSummary
		var dep, comp, pid, masked *string
		if err := rows.Scan(&a.ID, &a.Username, &a.Kind, &a.DisplayName, &dep, &comp, &pid, &masked, &a.Disabled, &a.CreatedAt); err != nil {
			return nil, err
		}
		a.Department, a.Company, a.PersonID, a.IDMasked = deref(dep), deref(comp), deref(pid), deref(masked)
		idx[a.ID] = len(out)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rrows, err := s.DB.QueryContext(ctx, `SELECT account_id, role FROM staff_roles ORDER BY account_id, role`)
	if err != nil {
		return nil, err
	}
	defer rrows.Close()
	for rrows.Next() {
		var id string
		var r Role
		if err := rrows.Scan(&id, &r); err != nil {
			return nil, err
		}
		if i, ok := idx[id]; ok {
			out[i].Roles = append(out[i].Roles, r)
		}
	}
	return out, rrows.Err()
}

// RoleLabels renders roles in Chinese, joined.
func RoleLabels(roles []Role) string {
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		if n, ok := RoleNames[r]; ok {
			names = append(names, n)
		} else {
			names = append(names, string(r))
		}
	}
	return strings.Join(names, "、")
}
