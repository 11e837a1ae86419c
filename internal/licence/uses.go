package licence

import (
	"context"
	"strings"
	"time"

	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/catalog"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// 免提交: a material that a licence type satisfies (the catalogue says so)
// may be given as one of the applicant's licences instead of a file. The
// applicant consents to each use; each is recorded with its cause (用证事由)
// and shown to the holder.

// Use is one recorded use of a licence.
type Use struct {
	ID           string    `json:"id"`
	LicenceID    string    `json:"licenceId"`
	CaseNo       string    `json:"caseNo"`
	MaterialID   string    `json:"materialId"`
	MaterialName string    `json:"materialName"`
	Cause        string    `json:"cause"`   // 用证事由
	UserOrg      string    `json:"userOrg"` // the department that uses it
	UsedByName   string    `json:"usedByName"`
	Consent      string    `json:"consent"` // how the holder consented
	UsedAt       time.Time `json:"usedAt"`
}

// Consent ways.
const (
	ConsentOnline = "本人在线授权"
	ConsentWindow = "本人在窗口当面授权"
)

// Holding is a licence offered for use: the holder's, valid now.
type Holding struct {
	ID       string `json:"id"`
	TypeName string `json:"typeName"`
	Number   string `json:"number"`
	Issuer   string `json:"issuer"`
	ValidTo  string `json:"validTo,omitempty"`
}

// Usable lists the valid licences of the given types held by any of the
// people or by the company, by type name (for the apply page: 免提交
// choices; a company's agent may also use their own identity card).
func (s *Service) Usable(ctx context.Context, personIDs []string, companyID string, typeNames []string) (map[string][]Holding, error) {
	out := map[string][]Holding{}
	if len(typeNames) == 0 {
		return out, nil
	}
	want := map[string]bool{}
	for _, t := range typeNames {
		want[t] = true
	}
	today := s.now().In(calendar.Shanghai).Format(time.DateOnly)
	read := func(col, id string) error {
		if id == "" {
			return nil
		}
		rows, err := s.DB.QueryContext(ctx, `SELECT id, type_name, number, issuer_name, valid_to FROM licences WHERE `+col+` = ? AND status = 'valid' ORDER BY created_at DESC, id DESC LIMIT 200`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h Holding
			if err := rows.Scan(&h.ID, &h.TypeName, &h.Number, &h.Issuer, &h.ValidTo); err != nil {
				return err
			}
			if want[h.TypeName] && (h.ValidTo == "" || h.ValidTo >= today) {
				out[h.TypeName] = append(out[h.TypeName], h)
			}
		}
		return rows.Err()
	}
	if err := read("holder_company_id", companyID); err != nil {
		return nil, err
	}
	for _, p := range personIDs {
		if err := read("holder_person_id", p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Load reads licences by id for the checks of an application (before its
// transaction): a missing id is simply absent from the map.
func (s *Service) Load(ctx context.Context, ids []string) (map[string]*Licence, error) {
	out := map[string]*Licence{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	ls, err := s.list(ctx, s.DB, `SELECT `+licenceCols+` FROM licences WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	for i := range ls {
		out[ls[i].ID] = &ls[i]
	}
	return out, nil
}

// HeldBy reports whether the licence is held by the person or company.
func (l *Licence) HeldBy(personID, companyID string) bool {
	return (personID != "" && l.HolderPersonID == personID) || (companyID != "" && l.HolderCompanyID == companyID)
}

// UseRecord is one use to record.
type UseRecord struct {
	LicenceID    string
	MaterialID   string
	MaterialName string
}

// RecordUsesIn records the uses of licences for a case, inside its
// transaction, replacing those recorded earlier for the case's draft. cause
// is the 用证事由 ("办理<事项>"), org the department the case goes to.
func (s *Service) RecordUsesIn(ctx context.Context, tx *db.Tx, actor *identity.Principal, caseID, caseNo, cause, org, consent string, uses []UseRecord, now time.Time) error {
	keep := map[string]bool{}
	for _, u := range uses {
		keep[u.MaterialID+"\x00"+u.LicenceID] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, material_id, licence_id FROM licence_uses WHERE case_id = ?`, caseID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	var drop []string
	for rows.Next() {
		var id, m, l string
		if err := rows.Scan(&id, &m, &l); err != nil {
			rows.Close()
			return err
		}
		if keep[m+"\x00"+l] {
			have[m+"\x00"+l] = true
		} else {
			drop = append(drop, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range drop {
		if _, err := tx.ExecContext(ctx, `DELETE FROM licence_uses WHERE id = ?`, id); err != nil {
			return err
		}
	}
	for _, u := range uses {
		if have[u.MaterialID+"\x00"+u.LicenceID] {
			continue
		}
		id := newID()
		if err := db.ExecLater(ctx, tx, nil, `INSERT INTO licence_uses (id, licence_id, case_id, case_no, material_id, material_name, cause, user_org, used_by, used_by_name, consent, used_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, u.LicenceID, caseID, caseNo, u.MaterialID, u.MaterialName, cause, org, actor.AccountID, actor.DisplayName, consent, now); err != nil {
			return db.MapError(err)
		}
		if err := audit.Append(ctx, tx, now, audit.Entry{Action: "licence.use", ObjectType: "licence", ObjectID: u.LicenceID,
			Detail: map[string]any{"caseNo": caseNo, "material": u.MaterialID, "cause": cause, "consent": consent}}); err != nil {
			return err
		}
	}
	return nil
}

// SetCaseNoIn fills in the case number of uses recorded while the case was
// a draft (it has a number once submitted).
func (s *Service) SetCaseNoIn(ctx context.Context, tx *db.Tx, caseID, caseNo string) error {
	return db.ExecLater(ctx, tx, nil, `UPDATE licence_uses SET case_no = ? WHERE case_id = ? AND case_no = ''`, caseNo, caseID)
}

func (s *Service) uses(ctx context.Context, licenceID string) ([]Use, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, licence_id, case_no, material_id, material_name, cause, user_org, used_by_name, consent, used_at
		FROM licence_uses WHERE licence_id = ? ORDER BY used_at DESC, id DESC LIMIT 200`, licenceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Use{}
	for rows.Next() {
		var u Use
		if err := rows.Scan(&u.ID, &u.LicenceID, &u.CaseNo, &u.MaterialID, &u.MaterialName, &u.Cause, &u.UserOrg, &u.UsedByName, &u.Consent, &u.UsedAt); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CaseUse is a licence given for a material of a case, as the approver
// sees it: the licence's data, its state now and whether its signature
// verifies.
type CaseUse struct {
	MaterialID string       `json:"materialId"`
	Licence    Licence      `json:"licence"`
	Verified   bool         `json:"verified"` // genuine and valid now
	Reason     string       `json:"reason"`
	Fields     []FieldValue `json:"fields"`
	Consent    string       `json:"consent"`
	UsedAt     time.Time    `json:"usedAt"`
}

// ForCaseUses lists the licences given for a case's materials, each
// verified against the keys (its QR payload signature and the register).
func (s *Service) ForCaseUses(ctx context.Context, caseID string) ([]CaseUse, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT material_id, consent, used_at, licence_id FROM licence_uses WHERE case_id = ? ORDER BY material_id, used_at`, caseID)
	if err != nil {
		return nil, err
	}
	var out []CaseUse
	var ids []string
	for rows.Next() {
		var cu CaseUse
		var id string
		if err := rows.Scan(&cu.MaterialID, &cu.Consent, &cu.UsedAt, &id); err != nil {
			rows.Close()
			return nil, err
		}
		cu.Licence.ID = id
		out = append(out, cu)
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ls, err := s.Load(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		l, ok := ls[out[i].Licence.ID]
		if !ok {
			continue
		}
		if err := s.fill(ctx, l); err != nil {
			return nil, err
		}
		out[i].Licence, out[i].Fields = *l, l.Fields
		res, err := s.Verify(ctx, l.QR, nil)
		if err != nil {
			return nil, err
		}
		out[i].Verified, out[i].Reason = res.Valid, res.Reason
	}
	return out, nil
}

// PrefillValues reads, for 免填写, the values of licence fields named by
// prefill sources ("licence:营业执照.residence", "licence:…​.number") from
// the newest valid licence of each type held by the company or any of the
// people (the caller's own data). q may be the caller's transaction. It
// returns the values by source and the licences read.
func (s *Service) PrefillValues(ctx context.Context, q db.Querier, personIDs []string, companyID string, sources []string) (map[string]string, []string, error) {
	out := map[string]string{}
	byType := map[string][]string{} // type → sources
	for _, src := range sources {
		if t, _, ok := catalog.LicencePrefill(src); ok {
			byType[t] = append(byType[t], src)
		}
	}
	if len(byType) == 0 {
		return out, nil, nil
	}
	today := s.now().In(calendar.Shanghai).Format(time.DateOnly)
	var read []string
	holders := [][2]string{{"holder_company_id", companyID}}
	for _, p := range personIDs {
		holders = append(holders, [2]string{"holder_person_id", p})
	}
	for typ, srcs := range byType {
		var l *Licence
		for _, h := range holders {
			if h[1] == "" {
				continue
			}
			ls, err := s.list(ctx, q, `SELECT `+licenceCols+` FROM licences WHERE `+h[0]+` = ? AND type_name = ? AND status = 'valid' ORDER BY created_at DESC, id DESC LIMIT 5`, h[1], typ)
			if err != nil {
				return nil, nil, err
			}
			for i := range ls {
				if ls[i].ValidTo == "" || ls[i].ValidTo >= today {
					l = &ls[i]
					break
				}
			}
			if l != nil {
				break
			}
		}
		if l == nil {
			continue
		}
		d, err := s.openData(l)
		if err != nil {
			return nil, nil, err
		}
		read = append(read, l.ID)
		for _, src := range srcs {
			_, key, _ := catalog.LicencePrefill(src)
			v := d.Fields[key]
			if key == "number" {
				v = d.Number
			}
			if v != "" {
				out[src] = v
			}
		}
	}
	return out, read, nil
}
