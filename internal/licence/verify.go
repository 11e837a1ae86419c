package licence

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"yiwang/internal/calendar"
	"yiwang/internal/db"
	"yiwang/internal/seal"
)

// Result is the answer to "is this licence genuine and valid?". Valid is
// true only when the signature is genuine, by a trusted department, over
// exactly what was presented, and the licence is neither revoked nor
// expired (as far as the verifier can know: offline, without the
// installation's database, revocation is unknown and Reason says so).
type Result struct {
	Valid   bool   `json:"valid"`
	Genuine bool   `json:"genuine"` // the signature is good and trusted
	Reason  string `json:"reason"`  // for the person, in Chinese
	// Checked is what was verified: "qr" or "pdf".
	Checked string  `json:"checked"`
	Licence *Public `json:"licence,omitempty"`
	Seal    *Sealer `json:"seal,omitempty"`
}

// Public is what verification tells anyone about a licence.
type Public struct {
	Identifier   string       `json:"identifier"`
	TypeName     string       `json:"typeName"`
	Number       string       `json:"number"`
	HolderName   string       `json:"holderName"`
	HolderID     string       `json:"holderId"` // masked for people
	IssuerName   string       `json:"issuerName,omitempty"`
	IssuerCode   string       `json:"issuerCode"`
	IssuedOn     string       `json:"issuedOn"`
	ValidTo      string       `json:"validTo,omitempty"`
	State        string       `json:"state,omitempty"`
	StateName    string       `json:"stateName,omitempty"`
	RevokedAt    *time.Time   `json:"revokedAt,omitempty"`
	RevokeReason string       `json:"revokeReason,omitempty"`
	Annotations  []Annotation `json:"annotations,omitempty"`
}

// Sealer says who sealed it.
type Sealer struct {
	Department string     `json:"department"` // the certificate's subject
	CreditCode string     `json:"creditCode"`
	SealName   string     `json:"sealName,omitempty"`
	SealCode   string     `json:"sealCode,omitempty"`
	SignedAt   *time.Time `json:"signedAt,omitempty"`
}

// Verify verifies what a person scanned, pasted or uploaded: the QR
// content (URL or payload text) or a licence PDF, against the
// installation's keys and its register of licences.
func (s *Service) Verify(ctx context.Context, qrText string, pdfFile []byte) (*Result, error) {
	ring, err := s.keys(ctx)
	if err != nil {
		return nil, err
	}
	v := &verifier{ring: ring, lookup: s.registered, now: s.now()}
	if pdfFile != nil {
		return v.pdf(ctx, pdfFile), nil
	}
	return v.qr(ctx, qrText), nil
}

// verifier checks against a keyring and, when lookup is set, a register.
type verifier struct {
	ring   *keyring
	lookup func(ctx context.Context, identifier string) (*Licence, error)
	now    time.Time
}

func invalid(checked, reason string) *Result {
	return &Result{Checked: checked, Reason: reason}
}

func (v *verifier) qr(ctx context.Context, in string) *Result {
	text, err := PayloadText(in)
	if err != nil {
		return invalid("qr", err.Error())
	}
	p, err := ParsePayload(text)
	if err != nil {
		return invalid("qr", err.Error())
	}
	r := &Result{Checked: "qr", Licence: &Public{Identifier: p.Identifier, TypeName: p.TypeName, Number: p.Number,
		HolderName: p.HolderName, HolderID: p.HolderID, IssuerCode: p.IssuerCode, IssuedOn: p.IssuedOn, ValidTo: p.ValidTo}}
	cert, ok := v.ring.byFingerprint[p.Signer]
	if !ok {
		r.Reason = "签发部门的证书不在所信任的证书中，无法确认真伪"
		return r
	}
	r.Seal = &Sealer{Department: cert.Name, CreditCode: cert.CreditCode}
	if !p.verifySignature(cert) {
		r.Reason = "签名验证失败：二维码内容已被改动或不是本平台签发"
		return r
	}
	if cert.CreditCode != p.IssuerCode {
		r.Reason = "签名证书的持有单位与证照所载发证机关不符"
		return r
	}
	if p.SignedAt.Before(cert.NotBefore) || p.SignedAt.After(cert.NotAfter) {
		r.Reason = "签章时间不在签名证书的有效期内"
		return r
	}
	at := p.SignedAt
	r.Seal.SignedAt = &at
	r.Genuine = true
	r.Licence.IssuerName = cert.Name
	return v.finish(ctx, r, p.Identifier, hex.EncodeToString(p.DataHash[:]))
}

func (v *verifier) pdf(ctx context.Context, file []byte) *Result {
	doc, sigDER, err := splitSignature(file)
	if err != nil {
		return invalid("pdf", err.Error())
	}
	if v.ring.trust == nil {
		return invalid("pdf", "本平台尚未建立制章机构，无法核验")
	}
	sig, err := seal.Verify(sigDER, doc, v.ring.trust)
	r := &Result{Checked: "pdf"}
	if sig != nil {
		at := sig.SignedAt
		r.Seal = &Sealer{SealName: sig.Seal.Name, SealCode: sig.Seal.ID, CreditCode: sig.Seal.Department, SignedAt: &at}
		if sig.Seal.HolderCert != nil {
			r.Seal.Department = sig.Seal.HolderCert.Name
		}
	}
	if err != nil {
		var reason string
		switch {
		case errors.Is(err, seal.ErrDocument):
			reason = "文件内容与电子签章不符：文件已被改动"
		case errors.Is(err, seal.ErrSealMaker):
			reason = "印章不是由所信任的制章机构制作的，或签章数据已被改动"
		case errors.Is(err, seal.ErrSignature):
			reason = "签名验证失败：签章数据已被改动"
		case errors.Is(err, seal.ErrFormat):
			reason = "电子签章已损坏：文件已被改动或不完整"
		default:
			reason = err.Error()
		}
		r.Reason = reason
		return r
	}
	r.Genuine = true
	r.Licence = &Public{Identifier: sig.Property, IssuerCode: sig.Seal.Department}
	return v.finish(ctx, r, sig.Property, "")
}

// finish adds what the register knows: state, annotations; and whether
// the payload's data is the registered one.
func (v *verifier) finish(ctx context.Context, r *Result, identifier, dataHash string) *Result {
	now := v.now
	if now.IsZero() {
		now = time.Now()
	}
	if v.lookup == nil {
		today := now.In(calendar.Shanghai).Format(time.DateOnly)
		if r.Licence.ValidTo != "" && today > r.Licence.ValidTo {
			r.Reason = "签章真实，但证照已过有效期（" + r.Licence.ValidTo + "）"
			return r
		}
		r.Valid = true
		r.Reason = "签章真实有效，由所信任的部门签发；离线核验无法查询证照是否已被注销"
		return r
	}
	l, err := v.lookup(ctx, identifier)
	if err != nil {
		r.Reason = "签章真实，但本平台的证照登记中没有该证照"
		if !errors.Is(err, errNotFound) {
			r.Reason = "暂时无法查询证照登记，请稍后再试"
		}
		return r
	}
	if dataHash != "" && l.DataHash != dataHash {
		r.Genuine = false
		r.Reason = "二维码所载数据与登记的证照数据不符"
		return r
	}
	l.setState(now)
	pub := r.Licence
	pub.TypeName, pub.Number, pub.HolderName, pub.HolderID = l.TypeName, l.Number, l.HolderName, l.HolderIDMasked
	pub.IssuerName, pub.IssuerCode, pub.IssuedOn, pub.ValidTo = l.IssuerName, l.IssuerCode, l.IssuedOn, l.ValidTo
	pub.State, pub.StateName, pub.RevokedAt, pub.RevokeReason, pub.Annotations = l.State, l.StateName, l.RevokedAt, l.RevokeReason, l.Annotations
	switch l.State {
	case StateRevoked:
		r.Reason = fmt.Sprintf("签章真实，但该证照已于%s被注销：%s", l.RevokedAt.In(calendar.Shanghai).Format("2006年01月02日"), l.RevokeReason)
	case StateExpired:
		r.Reason = "签章真实，但该证照已过有效期（" + l.ValidTo + "）"
	default:
		r.Valid = true
		r.Reason = "真实有效：由" + l.IssuerName + "签发，签章验证通过，证照状态有效"
		if len(l.Annotations) > 0 {
			r.Reason += fmt.Sprintf("（有%d条加注）", len(l.Annotations))
		}
	}
	return r
}

// registered reads a licence from the register for verification, with
// its annotations.
func (s *Service) registered(ctx context.Context, identifier string) (*Licence, error) {
	l, err := scanLicence(s.DB.QueryRowContext(ctx, `SELECT `+licenceCols+` FROM licences WHERE identifier = ?`, identifier))
	if db.IsNoRows(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if l.Annotations, err = s.annotations(ctx, s.DB, l.ID); err != nil {
		return nil, err
	}
	return l, nil
}

// Offline verifies without a database, against PEM trusted certificates
// (seal makers and department certificates): `yiwang licence verify
// --trust`. input is a licence PDF, or a file holding the QR content.
func Offline(trustPEM, input []byte, now time.Time) (*Result, error) {
	v, err := NewOfflineVerifier(trustPEM)
	if err != nil {
		return nil, err
	}
	return v.Verify(input, now), nil
}

// OfflineVerifier verifies against trusted certificates only.
type OfflineVerifier struct{ ring *keyring }

// NewOfflineVerifier reads PEM trusted certificates once, for many
// verifications.
func NewOfflineVerifier(trustPEM []byte) (*OfflineVerifier, error) {
	ring, err := newOfflineKeyring(trustPEM)
	if err != nil {
		return nil, fmt.Errorf("所信任的证书：%w", err)
	}
	return &OfflineVerifier{ring: ring}, nil
}

// Verify verifies a licence PDF or QR content as of now.
func (o *OfflineVerifier) Verify(input []byte, now time.Time) *Result {
	v := &verifier{ring: o.ring, now: now}
	if IsPDF(input) {
		return v.pdf(context.Background(), input)
	}
	return v.qr(context.Background(), string(input))
}

// VerifyFile verifies a licence PDF or a file holding QR content against
// this installation (its keys and register), as `yiwang licence verify
// --data` does.
func (s *Service) VerifyFile(ctx context.Context, input []byte) (*Result, error) {
	if IsPDF(input) {
		return s.Verify(ctx, "", input)
	}
	return s.Verify(ctx, string(input), nil)
}

// IsPDF reports whether b starts as a PDF does (verification takes a PDF
// or, otherwise, QR content).
func IsPDF(b []byte) bool { return bytes.HasPrefix(b, pdfMagic) }

var pdfMagic = []byte("%PDF-")
