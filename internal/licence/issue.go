package licence

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/db"
	"yiwang/internal/identity"
	"yiwang/internal/licence/ident"
	"yiwang/internal/pdf"
	"yiwang/internal/seal"
	"yiwang/internal/stdcode"
)

// Issuer is what issuing needs from outside the transaction, loaded
// before it begins (nothing inside a transaction may wait for a second
// pooled connection): the keys, the types and the departments.
type Issuer struct {
	s     *Service
	ring  *keyring
	types *typeSet
	depts map[string]identity.Department // by id
}

// Prepare loads what IssueIn needs. It is cheap when the caches are warm.
func (s *Service) Prepare(ctx context.Context) (*Issuer, error) {
	ring, err := s.keys(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := s.typeSet(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.Identity.Departments(ctx)
	if err != nil {
		return nil, err
	}
	depts := make(map[string]identity.Department, len(list))
	for _, d := range list {
		depts[d.ID] = d
	}
	return &Issuer{s: s, ring: ring, types: ts, depts: depts}, nil
}

// Yields reports whether an item whose result names licenceType issues a
// licence here (the type is defined).
func (is *Issuer) Yields(licenceType string) bool {
	_, ok := is.types.byName[licenceType]
	return licenceType != "" && ok
}

// IssueInput is an approved case's licence to issue.
type IssueInput struct {
	TypeName     string // the item's result.licenceType
	DepartmentID string // the issuing department (the item's)
	RegionCode   string
	CaseID       string
	CaseNo       string
	ItemCode     string
	PersonID     string // the holder: a person …
	CompanyID    string // … or a company
	Form         map[string][]string
	By           *identity.Principal
	// IssuedOn is the licence's issue date when it is not today: a licence
	// issued on paper before and registered now (存量证照电子化). Its
	// signatures are made now.
	IssuedOn time.Time
}

// IssueIn issues a licence inside the approving transaction: its number
// and identifier, its data, the department's signatures over the QR
// payload and over the PDF, all stored sealed, with an audit record.
func (is *Issuer) IssueIn(ctx context.Context, tx *db.Tx, in IssueInput, now time.Time) (*Licence, error) {
	s := is.s
	t, ok := is.types.byName[in.TypeName]
	if !ok {
		return nil, apperr.Newf(apperr.Conflict, "证照类型“%s”尚未定义，不能签发", in.TypeName)
	}
	dept, ok := is.depts[in.DepartmentID]
	if !ok {
		return nil, apperr.New(apperr.Conflict, "发证部门不存在")
	}
	sg, err := is.ring.departmentSigner(&dept)
	if err != nil {
		return nil, err
	}
	if !sg.seal.ValidAt(now.Truncate(time.Second)) {
		return nil, apperr.Newf(apperr.Conflict, "发证部门“%s”的电子印章不在有效期内，不能签发", dept.Name)
	}
	h, err := holderIn(ctx, tx, s, in)
	if err != nil {
		return nil, err
	}
	fields, err := fieldsFrom(t, in.Form)
	if err != nil {
		return nil, err
	}
	local := now.In(calendar.Shanghai)
	if !in.IssuedOn.IsZero() {
		local = in.IssuedOn.In(calendar.Shanghai)
	}
	year := local.Year()
	seq, err := nextSerial(ctx, s.DB, tx, t.Code, dept.ID, year)
	if err != nil {
		return nil, err
	}
	region := in.RegionCode
	if region == "" {
		region = dept.RegionCode
	}
	if len(region) > 6 {
		region = region[:6] // the county's 6-digit code in the number
	}
	serial := fmt.Sprintf("%d%06d", year, seq)
	identifier, err := ident.Build(t.Code, dept.CreditCode, serial, "001")
	if err != nil {
		return nil, fmt.Errorf("licence: identifier for %s/%s: %w", t.Code, dept.Code, err)
	}
	d := &Data{Format: dataFormat, Identifier: identifier, TypeCode: t.Code, TypeName: t.Name,
		Number: fmt.Sprintf("%s%s%d%06d", t.NumberPrefix, region, year, seq), Version: "001",
		HolderKind: h.kind, HolderName: h.name, HolderIDType: h.idType, HolderID: h.id,
		IssuerName: dept.Name, IssuerCode: dept.CreditCode, DefinedBy: t.DefinedBy, RegionCode: region,
		IssuedOn: local.Format(time.DateOnly), ValidFrom: local.Format(time.DateOnly),
		ItemCode: in.ItemCode, CaseNo: in.CaseNo, Fields: fields}
	if !t.Validity.Long() {
		d.ValidTo = local.AddDate(t.Validity.Years, t.Validity.Months, -1).Format(time.DateOnly)
	}
	l, err := is.make(ctx, tx, t, d, sg, now)
	if err != nil {
		return nil, err
	}
	l.CaseID, l.HolderPersonID, l.HolderCompanyID = in.CaseID, in.PersonID, in.CompanyID
	if err := db.ExecLater(ctx, tx, nil, `INSERT INTO licences (id, identifier, type_code, type_name, number, holder_kind, holder_person_id, holder_company_id,
		holder_name, holder_id_type, holder_id_masked, issuer_id, issuer_name, issuer_code, seal_key_id, case_id, case_no, item_code,
		issued_on, valid_from, valid_to, data_enc, data_hash, qr_payload, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'valid', ?, ?)`,
		l.ID, l.Identifier, t.Code, t.Name, d.Number, h.kind, nullable(in.PersonID), nullable(in.CompanyID),
		h.name, h.idType, l.HolderIDMasked, dept.ID, dept.Name, dept.CreditCode, sg.keyID, nullable(in.CaseID), in.CaseNo, in.ItemCode,
		d.IssuedOn, d.ValidFrom, d.ValidTo, l.dataEnc, l.DataHash, l.QR, now, now); err != nil {
		return nil, db.MapError(err)
	}
	if err := l.storeDocument(ctx, tx, s, now); err != nil {
		return nil, err
	}
	return l, audit.Append(ctx, tx, now, audit.Entry{Action: "licence.issue", ObjectType: "licence", ObjectID: l.ID,
		AfterRef: "valid", Detail: map[string]any{"identifier": identifier, "type": t.Name, "number": d.Number, "caseNo": in.CaseNo,
			"sealKey": sg.keyID, "dataHash": l.DataHash, "holderIdRead": h.kind == HolderPerson}})
}

// make signs the data's QR payload and renders and signs the PDF.
func (is *Issuer) make(ctx context.Context, tx *db.Tx, t *Type, d *Data, sg *signer, now time.Time) (*Licence, error) {
	s := is.s
	hashHex, sum, err := d.hash()
	if err != nil {
		return nil, err
	}
	masked := maskHolderID(d.HolderKind, d.HolderID)
	p := &Payload{Identifier: d.Identifier, TypeName: d.TypeName, Number: d.Number, HolderName: d.HolderName, HolderID: masked,
		IssuerCode: d.IssuerCode, IssuedOn: d.IssuedOn, ValidTo: d.ValidTo, SignedAt: now.Truncate(time.Second), DataHash: sum}
	text, err := signPayload(p, sg.key, sg.cert.Fingerprint)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	dataEnc, err := s.Box.Seal(fieldData, string(plain))
	if err != nil {
		return nil, err
	}
	l := &Licence{ID: newID(), Identifier: d.Identifier, TypeCode: d.TypeCode, TypeName: d.TypeName, Number: d.Number,
		HolderKind: d.HolderKind, HolderName: d.HolderName, HolderIDType: d.HolderIDType, HolderIDMasked: masked,
		IssuerName: d.IssuerName, IssuerCode: d.IssuerCode, IssuedOn: d.IssuedOn, ValidFrom: d.ValidFrom, ValidTo: d.ValidTo,
		CaseNo: d.CaseNo, ItemCode: d.ItemCode, Status: StatusValid, DataHash: hashHex, QR: text, CreatedAt: now,
		dataEnc: dataEnc, data: d}
	l.file, err = s.render(t, d, nil, sg, text, now)
	return l, err
}

// render lays out and signs the licence PDF.
func (s *Service) render(t *Type, d *Data, notes []Annotation, sg *signer, qrText string, now time.Time) ([]byte, error) {
	doc := pdf.LicenceDoc{Title: d.TypeName, Subtitle: "电子证照", Issuer: d.IssuerName, IssueDate: chineseDate(d.IssuedOn),
		Identifier: d.Identifier, SealPNG: sg.seal.Picture.PNG, QRText: s.VerifyURL(qrText), VerifyURL: s.PublicURL + "/verify"}
	if t != nil && t.Subtitle != "" {
		doc.Subtitle = t.Subtitle
	}
	doc.Fields = append(doc.Fields, pdf.Field{Label: "证照编号", Value: d.Number})
	holderLabel, idLabel := "持证人", "公民身份号码"
	if d.HolderKind == HolderCompany {
		holderLabel, idLabel = "持证主体", "统一社会信用代码"
	}
	doc.Fields = append(doc.Fields, pdf.Field{Label: holderLabel, Value: d.HolderName}, pdf.Field{Label: idLabel, Value: d.HolderID})
	for _, f := range fieldOrder(t, d) {
		doc.Fields = append(doc.Fields, pdf.Field{Label: f.label, Value: f.value})
	}
	doc.Fields = append(doc.Fields, pdf.Field{Label: "有效期限", Value: d.ValidityText()})
	for _, n := range notes {
		doc.Annotations = append(doc.Annotations, fmt.Sprintf("%s %s：%s", chineseDate(n.CreatedAt.In(calendar.Shanghai).Format(time.DateOnly)), n.ByOrg, n.Text))
	}
	body, err := pdf.Licence(doc)
	if err != nil {
		return nil, fmt.Errorf("licence: render PDF: %w", err)
	}
	sig, err := seal.Sign(sg.key, sg.seal, body, d.Identifier, now)
	if err != nil {
		return nil, err
	}
	return attachSignature(body, sig.Marshal()), nil
}

// VerifyURL is the public verification link that a QR code holds.
func (s *Service) VerifyURL(payload string) string {
	return s.PublicURL + "/verify?p=" + payload
}

type labelled struct{ label, value string }

// fieldOrder is the type's fields in print order with their values (the
// type as it is now; a field the data lacks is left out).
func fieldOrder(t *Type, d *Data) []labelled {
	var out []labelled
	if t == nil {
		for _, k := range slices.Sorted(maps.Keys(d.Fields)) {
			out = append(out, labelled{k, d.Fields[k]})
		}
		return out
	}
	for _, f := range t.Fields {
		if v, ok := d.Fields[f.Key]; ok {
			out = append(out, labelled{f.Label, v})
		}
	}
	return out
}

// fieldsFrom fills a type's fields from an application form.
func fieldsFrom(t *Type, form map[string][]string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range t.Fields {
		v := ""
		for _, src := range f.From {
			if vals := form[src]; len(vals) > 0 {
				v = strings.TrimSpace(strings.Join(vals, "、"))
				if v != "" {
					break
				}
			}
		}
		if v == "" {
			v = f.Default
		}
		if v == "" && f.Required {
			return nil, apperr.Newf(apperr.Invalid, "申请表中没有证照字段“%s”所需的内容，不能签发%s", f.Label, t.Name)
		}
		if v != "" {
			out[f.Key] = v
		}
	}
	return out, nil
}

type holder struct{ kind, name, idType, id string }

// holderIn reads the holder's name and id inside the transaction (the
// person's id number is read for the licence; the issue audit says so).
func holderIn(ctx context.Context, tx *db.Tx, s *Service, in IssueInput) (*holder, error) {
	if in.CompanyID != "" {
		c, err := s.Identity.CompanyIn(ctx, tx, in.CompanyID)
		if err != nil {
			return nil, err
		}
		return &holder{kind: HolderCompany, idType: IDTypeCredit, name: c.Name, id: c.CreditCode}, nil
	}
	if in.PersonID == "" {
		return nil, apperr.New(apperr.Conflict, "办件没有可持证的申请人")
	}
	p, err := s.Identity.UnmaskedIn(ctx, tx, in.PersonID)
	if err != nil {
		return nil, err
	}
	return &holder{kind: HolderPerson, name: p.Name, idType: IDTypeCitizen, id: p.IDNumber}, nil
}

// maskHolderID masks a person's id number; a company's credit code is
// public and shown in full.
func maskHolderID(kind, id string) string {
	if kind == HolderCompany {
		return id
	}
	return stdcode.MaskIDNumber(id)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const (
	fieldData = "licence.data"
	fieldPDF  = "licence.pdf"
)

func (l *Licence) storeDocument(ctx context.Context, tx *db.Tx, s *Service, now time.Time) error {
	enc, err := s.Box.Seal(fieldPDF, string(l.file))
	if err != nil {
		return err
	}
	sum := seal.Digest(l.file)
	return db.ExecLater(ctx, tx, nil, `INSERT INTO licence_documents (licence_id, pdf_enc, pdf_sm3, made_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (licence_id) DO UPDATE SET pdf_enc = excluded.pdf_enc, pdf_sm3 = excluded.pdf_sm3, made_at = excluded.made_at`,
		l.ID, enc, hex.EncodeToString(sum[:]), now)
}

// IssueDirect issues a licence outside a case (a licence the department
// issued before the platform, registered into the holder's wallet: the
// demo's identity cards), at now, in its own transaction.
func (s *Service) IssueDirect(ctx context.Context, in IssueInput, now time.Time) (*Licence, error) {
	is, err := s.Prepare(ctx)
	if err != nil {
		return nil, err
	}
	var l *Licence
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		l, err = is.IssueIn(ctx, tx, in, now)
		return err
	})
	return l, err
}

// nextSerial takes the next serial number of a licence type, issuing
// department and year. On PostgreSQL it is taken in a statement of its
// own that commits at once, so the approvals of one department do not
// queue on each other's counter row while their PDFs are made and their
// transactions commit; a number taken by an approval that then fails is
// not given again (a gap, as with any database sequence; numbers stay
// unique and rising). On SQLite, which has one writer, it is taken inside
// the approving transaction, whose connection is the only writer.
func nextSerial(ctx context.Context, d *db.DB, tx *db.Tx, typeCode, issuerID string, year int) (int, error) {
	var q db.Querier = tx
	if tx.Dialect() == db.Postgres {
		q = d
	}
	var seq int
	err := q.QueryRowContext(ctx, `INSERT INTO licence_counters (type_code, issuer_id, year, last) VALUES (?, ?, ?, 1)
		ON CONFLICT (type_code, issuer_id, year) DO UPDATE SET last = licence_counters.last + 1 RETURNING last`,
		typeCode, issuerID, year).Scan(&seq)
	return seq, err
}
