package licence

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// TopicRevoked is the outbox event of a licence revoked by its department.
const TopicRevoked = "licence.revoked"

// Status values of a licence. Expiry is not stored: a licence is expired
// when its validity has passed (Licence.State says which).
const (
	StatusValid   = "valid"
	StatusRevoked = "revoked"
)

// States as people see them.
const (
	StateValid   = "valid"
	StateRevoked = "revoked"
	StateExpired = "expired"
)

// StateNames are the Chinese names of the states.
var StateNames = map[string]string{StateValid: "有效", StateRevoked: "已注销", StateExpired: "已过期"}

// Licence is an issued licence as its holder and staff see it.
type Licence struct {
	ID              string            `json:"id"`
	Identifier      string            `json:"identifier"`
	TypeCode        string            `json:"typeCode"`
	TypeName        string            `json:"typeName"`
	Number          string            `json:"number"`
	HolderKind      string            `json:"holderKind"`
	HolderName      string            `json:"holderName"`
	HolderIDType    string            `json:"holderIdType"`
	HolderIDMasked  string            `json:"holderIdMasked"`
	IssuerName      string            `json:"issuerName"`
	IssuerCode      string            `json:"issuerCode"`
	IssuedOn        string            `json:"issuedOn"`
	ValidFrom       string            `json:"validFrom"`
	ValidTo         string            `json:"validTo,omitempty"`
	CaseNo          string            `json:"caseNo,omitempty"`
	ItemCode        string            `json:"itemCode,omitempty"`
	Status          string            `json:"status"`
	State           string            `json:"state"` // valid | revoked | expired, as of now
	StateName       string            `json:"stateName"`
	RevokedAt       *time.Time        `json:"revokedAt,omitempty"`
	RevokeReason    string            `json:"revokeReason,omitempty"`
	DataHash        string            `json:"dataHash"`
	QR              string            `json:"qr"`        // the payload text
	VerifyURL       string            `json:"verifyUrl"` // what the QR code holds
	Fields          []FieldValue      `json:"fields,omitempty"`
	Annotations     []Annotation      `json:"annotations"`
	Uses            []Use             `json:"uses,omitempty"`
	CreatedAt       time.Time         `json:"createdAt"`
	CaseID          string            `json:"-"`
	HolderPersonID  string            `json:"-"`
	HolderCompanyID string            `json:"-"`
	IssuerID        string            `json:"-"`
	FieldMap        map[string]string `json:"-"`

	dataEnc string
	data    *Data
	file    []byte
}

// FieldValue is one type field of a licence with its label.
type FieldValue struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// Annotation is a 加注 on a licence.
type Annotation struct {
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	ByName    string    `json:"byName"`
	ByOrg     string    `json:"byOrg"`
	CreatedAt time.Time `json:"createdAt"`
}

// ValidityText is the validity for people.
func (l *Licence) ValidityText() string {
	d := Data{ValidFrom: l.ValidFrom, ValidTo: l.ValidTo}
	return d.ValidityText()
}

// state works out the state at now.
func (l *Licence) setState(now time.Time) {
	l.State = StateValid
	switch {
	case l.Status == StatusRevoked:
		l.State = StateRevoked
	case l.ValidTo != "" && now.In(calendar.Shanghai).Format(time.DateOnly) > l.ValidTo:
		l.State = StateExpired
	}
	l.StateName = StateNames[l.State]
}

const licenceCols = `id, identifier, type_code, type_name, number, holder_kind, COALESCE(holder_person_id, ''), COALESCE(holder_company_id, ''),
	holder_name, holder_id_type, holder_id_masked, issuer_id, issuer_name, issuer_code, COALESCE(case_id, ''), case_no, item_code,
	issued_on, valid_from, valid_to, data_enc, data_hash, qr_payload, status, revoked_at, revoke_reason, created_at`

func scanLicence(sc interface{ Scan(...any) error }) (*Licence, error) {
	l := &Licence{Annotations: []Annotation{}}
	var revoked sql.NullTime
	err := sc.Scan(&l.ID, &l.Identifier, &l.TypeCode, &l.TypeName, &l.Number, &l.HolderKind, &l.HolderPersonID, &l.HolderCompanyID,
		&l.HolderName, &l.HolderIDType, &l.HolderIDMasked, &l.IssuerID, &l.IssuerName, &l.IssuerCode, &l.CaseID, &l.CaseNo, &l.ItemCode,
		&l.IssuedOn, &l.ValidFrom, &l.ValidTo, &l.dataEnc, &l.DataHash, &l.QR, &l.Status, &revoked, &l.RevokeReason, &l.CreatedAt)
	if err != nil {
		return nil, err
	}
	if revoked.Valid {
		t := revoked.Time.UTC()
		l.RevokedAt = &t
	}
	return l, nil
}

var errNotFound = apperr.New(apperr.NotFound, "未找到该电子证照")

// holds reports whether actor holds l (the person, or an agent of the
// company that holds it).
func holds(actor *identity.Principal, l *Licence) bool {
	return actor != nil && l.HeldBy(actor.PersonID, actor.CompanyID)
}

// HeldByCaller reports whether actor holds l: the licence page shows them 亮证.
func (l *Licence) HeldByCaller(actor *identity.Principal) bool { return holds(actor, l) }

// ManagedBy reports whether actor may revoke and annotate l.
func (l *Licence) ManagedBy(actor *identity.Principal) bool { return mayManage(actor, l) }

// staffOf reports whether actor is staff of the issuing department (or an
// administrator).
func staffOf(actor *identity.Principal, l *Licence) bool {
	return actor.IsStaff() && (actor.HasRole(identity.RoleAdmin) || actor.DepartmentID == l.IssuerID)
}

// mayManage: approvers and heads of the issuing department revoke and
// annotate its licences.
func mayManage(actor *identity.Principal, l *Licence) bool {
	return actor.IsStaff() && actor.DepartmentID == l.IssuerID && (actor.HasRole(identity.RoleApprover) || actor.HasRole(identity.RoleDeptHead))
}

// Mine lists the licences the caller holds (as a person and for their
// company), newest first.
func (s *Service) Mine(ctx context.Context, actor *identity.Principal) ([]Licence, error) {
	if actor == nil {
		return nil, apperr.New(apperr.Unauthenticated, "请先登录")
	}
	if actor.IsStaff() {
		return []Licence{}, nil
	}
	q := `SELECT ` + licenceCols + ` FROM licences WHERE holder_person_id = ? ORDER BY created_at DESC, id DESC LIMIT 500`
	args := []any{actor.PersonID}
	if actor.CompanyID != "" {
		q = `SELECT ` + licenceCols + ` FROM licences WHERE holder_person_id = ? UNION ALL SELECT ` + licenceCols +
			` FROM licences WHERE holder_company_id = ? ORDER BY 27 DESC, 1 DESC LIMIT 500`
		args = append(args, actor.CompanyID)
	}
	return s.list(ctx, s.DB, q, args...)
}

// list reads licences with their state as of now.
func (s *Service) list(ctx context.Context, q db.Querier, query string, args ...any) ([]Licence, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Licence{}
	now := s.now()
	for rows.Next() {
		l, err := scanLicence(rows)
		if err != nil {
			return nil, err
		}
		l.setState(now)
		l.VerifyURL = s.VerifyURL(l.QR)
		out = append(out, *l)
	}
	return out, rows.Err()
}

// byID reads a licence by id or identifier.
func (s *Service) byID(ctx context.Context, q db.Querier, ref string) (*Licence, error) {
	col := "id"
	if strings.HasPrefix(ref, "1.2.156.") {
		col = "identifier"
	}
	l, err := scanLicence(q.QueryRowContext(ctx, `SELECT `+licenceCols+` FROM licences WHERE `+col+` = ?`, ref))
	if db.IsNoRows(err) {
		return nil, errNotFound
	}
	return l, err
}

// Get returns a licence its holder, or staff of its issuing department,
// may see, with its fields, annotations and uses; anyone else gets 404.
func (s *Service) Get(ctx context.Context, actor *identity.Principal, ref string) (*Licence, error) {
	l, err := s.byID(ctx, s.DB, ref)
	if err != nil {
		return nil, err
	}
	if !holds(actor, l) && !staffOf(actor, l) {
		return nil, errNotFound
	}
	if err := s.fill(ctx, l); err != nil {
		return nil, err
	}
	return l, nil
}

// fill adds the fields (opened from the sealed data), annotations and uses.
func (s *Service) fill(ctx context.Context, l *Licence) error {
	l.setState(s.now())
	l.VerifyURL = s.VerifyURL(l.QR)
	d, err := s.openData(l)
	if err != nil {
		return err
	}
	ts, err := s.typeSet(ctx)
	if err != nil {
		return err
	}
	t := ts.byCode[l.TypeCode]
	l.FieldMap = d.Fields
	if t != nil {
		for _, f := range t.Fields {
			if v, ok := d.Fields[f.Key]; ok {
				l.Fields = append(l.Fields, FieldValue{Key: f.Key, Label: f.Label, Value: v})
			}
		}
	}
	if l.Annotations, err = s.annotations(ctx, s.DB, l.ID); err != nil {
		return err
	}
	l.Uses, err = s.uses(ctx, l.ID)
	return err
}

func (s *Service) openData(l *Licence) (*Data, error) {
	if l.data != nil {
		return l.data, nil
	}
	plain, err := s.Box.Open(fieldData, l.dataEnc)
	if err != nil {
		return nil, err
	}
	d := &Data{}
	if err := json.Unmarshal([]byte(plain), d); err != nil {
		return nil, err
	}
	l.data = d
	return d, nil
}

func (s *Service) annotations(ctx context.Context, q db.Querier, licenceID string) ([]Annotation, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, text, by_name, by_org, created_at FROM licence_annotations WHERE licence_id = ? ORDER BY created_at, id`, licenceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Annotation{}
	for rows.Next() {
		var a Annotation
		if err := rows.Scan(&a.ID, &a.Text, &a.ByName, &a.ByOrg, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PDF returns the signed PDF of a licence its holder or issuing staff may
// see. Each download by staff is audited (it shows the full id number).
func (s *Service) PDF(ctx context.Context, actor *identity.Principal, ref string) (name string, file []byte, err error) {
	l, err := s.byID(ctx, s.DB, ref)
	if err != nil {
		return "", nil, err
	}
	if !holds(actor, l) && !staffOf(actor, l) {
		return "", nil, errNotFound
	}
	var enc string
	if err := s.DB.QueryRowContext(ctx, `SELECT pdf_enc FROM licence_documents WHERE licence_id = ?`, l.ID).Scan(&enc); err != nil {
		if db.IsNoRows(err) {
			return "", nil, errNotFound
		}
		return "", nil, err
	}
	plain, err := s.Box.Open(fieldPDF, enc)
	if err != nil {
		return "", nil, err
	}
	if !holds(actor, l) {
		now := s.now()
		if err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			return audit.Append(ctx, tx, now, audit.Entry{Action: "licence.pdf.read", ObjectType: "licence", ObjectID: l.ID,
				Detail: map[string]any{"identifier": l.Identifier}})
		}); err != nil {
			return "", nil, err
		}
	}
	return l.TypeName + "-" + l.Number + ".pdf", []byte(plain), nil
}

const maxReasonRunes = 500

func reasonOf(field, text string) (string, error) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n < 2:
		return "", &apperr.Error{Code: apperr.Invalid, Message: "请写明理由（至少2个字）", Fields: map[string]string{field: "请写明理由"}}
	case n > maxReasonRunes:
		return "", &apperr.Error{Code: apperr.Invalid, Message: "理由不能超过500字", Fields: map[string]string{field: "过长"}}
	}
	return text, nil
}

// managed reads a licence in tx for a change by actor: not found unless
// they may see it, forbidden unless they may manage it.
func (s *Service) managed(ctx context.Context, tx *db.Tx, actor *identity.Principal, ref, what string) (*Licence, error) {
	l, err := s.byID(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	if !holds(actor, l) && !staffOf(actor, l) {
		return nil, errNotFound
	}
	if !mayManage(actor, l) {
		return nil, apperr.New(apperr.Forbidden, "只有发证部门的审批人员或负责人可以"+what)
	}
	return l, nil
}

// Revoke revokes (注销) a licence with a reason: verification says so at
// once. Only approvers and heads of the issuing department may.
func (s *Service) Revoke(ctx context.Context, actor *identity.Principal, ref, reason string) (*Licence, error) {
	reason, err := reasonOf("reason", reason)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Licence
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		l, err := s.managed(ctx, tx, actor, ref, "注销电子证照")
		if err != nil {
			return err
		}
		if err := revokeIn(ctx, tx, l, actor, reason, now, true); err != nil {
			return err
		}
		out = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.fill(ctx, out)
}

// revokeIn revokes l inside tx (also used when casework revokes the
// decision that issued it). tell writes the outbox event that tells the
// holder (for a licence issued by a case: the notices follow cases).
func revokeIn(ctx context.Context, tx *db.Tx, l *Licence, actor *identity.Principal, reason string, now time.Time, tell bool) error {
	if l.Status == StatusRevoked {
		return apperr.New(apperr.Conflict, "该电子证照已经注销")
	}
	by := "system"
	if actor != nil {
		by = actor.AccountID
	}
	res, err := tx.ExecContext(ctx, `UPDATE licences SET status = 'revoked', revoked_at = ?, revoked_by = ?, revoke_reason = ?, updated_at = ? WHERE id = ? AND status = 'valid'`,
		now, by, reason, now, l.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.New(apperr.Conflict, "该电子证照已经注销")
	}
	l.Status, l.RevokedAt, l.RevokeReason = StatusRevoked, &now, reason
	if tell && l.CaseID != "" {
		ev, err := json.Marshal(map[string]any{"caseNo": l.CaseNo, "licence": l.TypeName, "number": l.Number, "issuer": l.IssuerName, "reason": reason})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, topic, object_id, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
			newID(), TopicRevoked, l.CaseID, string(ev), now); err != nil {
			return err
		}
	}
	return audit.Append(ctx, tx, now, audit.Entry{Action: "licence.revoke", ObjectType: "licence", ObjectID: l.ID,
		BeforeRef: StatusValid, AfterRef: StatusRevoked, Detail: map[string]any{"identifier": l.Identifier, "reason": reason}})
}

// RevokeForCaseIn revokes the valid licences a case issued, inside the
// transaction that revokes the case's decision.
func (s *Service) RevokeForCaseIn(ctx context.Context, tx *db.Tx, caseID, reason string, actor *identity.Principal, now time.Time) (int, error) {
	ls, err := s.list(ctx, tx, `SELECT `+licenceCols+` FROM licences WHERE case_id = ? AND status = 'valid'`, caseID)
	if err != nil {
		return 0, err
	}
	for i := range ls {
		// The case's own revocation event tells the applicant.
		if err := revokeIn(ctx, tx, &ls[i], actor, "办件决定被撤销："+reason, now, false); err != nil {
			return 0, err
		}
	}
	return len(ls), nil
}

// Annotate adds a 加注 to a licence and re-renders its PDF with the note,
// sealed again by the issuing department. Earlier PDFs stay genuine (they
// were); online verification lists every note.
func (s *Service) Annotate(ctx context.Context, actor *identity.Principal, ref, text string) (*Licence, error) {
	text, err := reasonOf("text", text)
	if err != nil {
		return nil, err
	}
	is, err := s.Prepare(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Licence
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		l, err := s.managed(ctx, tx, actor, ref, "对电子证照加注")
		if err != nil {
			return err
		}
		if l.Status == StatusRevoked {
			return apperr.New(apperr.Conflict, "已注销的电子证照不能加注")
		}
		a := Annotation{ID: newID(), Text: text, ByName: actor.DisplayName, ByOrg: actor.Department, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO licence_annotations (id, licence_id, text, by_account, by_name, by_org, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, l.ID, a.Text, actor.AccountID, a.ByName, a.ByOrg, now); err != nil {
			return err
		}
		notes, err := s.annotations(ctx, tx, l.ID)
		if err != nil {
			return err
		}
		d, err := s.openData(l)
		if err != nil {
			return err
		}
		dept := is.depts[l.IssuerID]
		sg, err := is.ring.departmentSigner(&dept)
		if err != nil {
			return err
		}
		if l.file, err = s.render(is.types.byCode[l.TypeCode], d, notes, sg, l.QR, now); err != nil {
			return err
		}
		if err := l.storeDocument(ctx, tx, s, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE licences SET updated_at = ? WHERE id = ?`, now, l.ID); err != nil {
			return err
		}
		out = l
		return audit.Append(ctx, tx, now, audit.Entry{Action: "licence.annotate", ObjectType: "licence", ObjectID: l.ID,
			Detail: map[string]any{"identifier": l.Identifier, "text": text}})
	})
	if err != nil {
		return nil, err
	}
	return out, s.fill(ctx, out)
}

// ForCase lists the licences a case issued (for the case view), for
// anyone who may see the case (the caller checked).
func (s *Service) ForCase(ctx context.Context, caseID string) ([]Licence, error) {
	return s.list(ctx, s.DB, `SELECT `+licenceCols+` FROM licences WHERE case_id = ? ORDER BY created_at, id`, caseID)
}
