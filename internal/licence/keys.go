package licence

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/identity"
	"yiwang/internal/seal"
	"yiwang/internal/sealimg"
)

// Keys. The seal maker (制章者) is the installation's certificate
// authority: its certificate is what verifiers trust. Each department has a
// certificate issued by it and a seal (电子证照专用章) made by it; the
// department's private key signs the licences it issues. Private keys are
// PKCS#8 sealed with the data key (secret.Box), opened only in memory and
// never logged.

const (
	fieldMakerKey = "seal.maker.key"
	fieldSealKey  = "seal.department.key"
)

// Maker is a seal maker as listed.
type Maker struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Algorithm string    `json:"algorithm"`
	NotAfter  time.Time `json:"notAfter"`
	CreatedAt time.Time `json:"createdAt"`
}

// SealKey is a department seal as listed (no key material).
type SealKey struct {
	ID             string    `json:"id"`
	DepartmentID   string    `json:"departmentId"`
	DepartmentName string    `json:"departmentName"`
	SealCode       string    `json:"sealCode"`
	SealName       string    `json:"sealName"`
	Algorithm      string    `json:"algorithm"`
	Fingerprint    string    `json:"fingerprint"`
	ValidFrom      time.Time `json:"validFrom"`
	ValidTo        time.Time `json:"validTo"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"createdAt"`
}

// signer is a department's active seal, ready to sign.
type signer struct {
	keyID string
	key   crypto.Signer
	cert  *seal.Certificate
	seal  *seal.Seal
}

func (s *Service) sealPrivate(field string, key crypto.Signer) (string, error) {
	der, err := seal.MarshalPrivateKey(key)
	if err != nil {
		return "", err
	}
	return s.Box.Seal(field, base64.StdEncoding.EncodeToString(der))
}

func (s *Service) openPrivate(field, enc string) (crypto.Signer, error) {
	b64, err := s.Box.Open(field, enc)
	if err != nil {
		return nil, fmt.Errorf("licence: open private key: %w", err)
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("licence: private key: %w", err)
	}
	return seal.ParsePrivateKey(der)
}

// CreateMaker makes a new seal maker (the installation's CA) valid for
// years. Made by an operator on the command line (`yiwang seal init`).
func (s *Service) CreateMaker(ctx context.Context, name string, alg seal.Algorithm, years int) (*Maker, error) {
	return s.createMaker(ctx, name, alg, years, time.Time{})
}

// createMaker makes a seal maker valid from from (zero: now).
func (s *Service) createMaker(ctx context.Context, name string, alg seal.Algorithm, years int, from time.Time) (*Maker, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "请给出制章机构名称", Fields: map[string]string{"name": "必填"}}
	}
	if years < 1 || years > 30 {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "制章机构证书有效期应为1至30年", Fields: map[string]string{"years": "1–30"}}
	}
	now := s.now()
	key, err := seal.NewKey(alg)
	if err != nil {
		return nil, err
	}
	m := &Maker{ID: newID(), Name: name, Algorithm: alg.String(), NotAfter: now.AddDate(years, 0, 0).Truncate(time.Second), CreatedAt: now}
	if from.IsZero() {
		from = now.Add(-time.Hour)
	}
	cert, err := seal.CreateCA(key, seal.CASpec{Name: name, ValidFrom: from, ValidTo: m.NotAfter})
	if err != nil {
		return nil, err
	}
	enc, err := s.sealPrivate(fieldMakerKey, key)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO seal_makers (id, name, algorithm, cert_der, key_enc, not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.Name, m.Algorithm, cert, enc, m.NotAfter, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "seal.maker.create", ObjectType: "seal_maker", ObjectID: m.ID,
			Detail: map[string]any{"name": m.Name, "algorithm": m.Algorithm}})
	})
	if err != nil {
		return nil, err
	}
	s.forget()
	return m, nil
}

// Makers lists the seal makers, newest first.
func (s *Service) Makers(ctx context.Context) ([]Maker, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id, name, algorithm, not_after, created_at FROM seal_makers ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Maker
	for rows.Next() {
		var m Maker
		if err := rows.Scan(&m.ID, &m.Name, &m.Algorithm, &m.NotAfter, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// CreateSeal makes a department's certificate and seal with a new key,
// signed by the newest seal maker, valid for years; it becomes the
// department's active seal (an earlier one is retired, and what it signed
// still verifies).
func (s *Service) CreateSeal(ctx context.Context, departmentIDOrCode string, alg seal.Algorithm, years int) (*SealKey, error) {
	return s.createSeal(ctx, departmentIDOrCode, alg, years, time.Time{})
}

// createSeal makes a department seal valid from from (zero: now).
func (s *Service) createSeal(ctx context.Context, departmentIDOrCode string, alg seal.Algorithm, years int, validFrom time.Time) (*SealKey, error) {
	if years < 1 || years > 10 {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "印章有效期应为1至10年", Fields: map[string]string{"years": "1–10"}}
	}
	dept, err := s.Identity.Department(ctx, departmentIDOrCode)
	if err != nil {
		return nil, err
	}
	if dept.CreditCode == "" {
		return nil, apperr.Newf(apperr.Invalid, "部门“%s”没有统一社会信用代码，不能制作电子印章", dept.Name)
	}
	var makerID, makerEnc string
	var makerCert []byte
	err = s.DB.QueryRowContext(ctx, `SELECT id, cert_der, key_enc FROM seal_makers ORDER BY created_at DESC, id DESC LIMIT 1`).Scan(&makerID, &makerCert, &makerEnc)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.Conflict, "尚未建立制章机构：请先运行 yiwang seal init")
	}
	if err != nil {
		return nil, err
	}
	makerKey, err := s.openPrivate(fieldMakerKey, makerEnc)
	if err != nil {
		return nil, err
	}
	now := s.now()
	from, to := now.Add(-time.Minute).Truncate(time.Second), now.AddDate(years, 0, 0).Truncate(time.Second)
	if !validFrom.IsZero() {
		from = validFrom.Truncate(time.Second)
	}
	key, err := seal.NewKey(alg)
	if err != nil {
		return nil, err
	}
	certDER, err := seal.CreateDepartmentCert(makerKey, makerCert, key.Public(), seal.DepartmentSpec{Name: dept.Name, CreditCode: dept.CreditCode, ValidFrom: from, ValidTo: to})
	if err != nil {
		return nil, err
	}
	cert, err := seal.ParseCertificate(certDER)
	if err != nil {
		return nil, err
	}
	sealName := "电子证照专用章"
	picture, err := sealimg.Draw(dept.Name, sealName, 480)
	if err != nil {
		return nil, err
	}
	id := newID()
	code := "YW" + dept.CreditCode + "-" + strings.ToUpper(id[len(id)-8:])
	made, err := seal.Make(makerKey, makerCert, seal.Spec{ID: code, Name: dept.Name + sealName, Type: seal.TypeOrganisation,
		Department: dept.CreditCode, Picture: seal.Picture{PNG: picture, WidthMM: 42, HeightMM: 42},
		ValidFrom: from, ValidTo: to, HolderCert: certDER}, now)
	if err != nil {
		return nil, err
	}
	enc, err := s.sealPrivate(fieldSealKey, key)
	if err != nil {
		return nil, err
	}
	sk := &SealKey{ID: id, DepartmentID: dept.ID, DepartmentName: dept.Name, SealCode: code, SealName: made.Name, Algorithm: alg.String(),
		Fingerprint: hex.EncodeToString(cert.Fingerprint[:]), ValidFrom: from, ValidTo: to, Active: true, CreatedAt: now}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE seal_keys SET active = FALSE WHERE department_id = ? AND active`, dept.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO seal_keys (id, department_id, maker_id, seal_code, seal_name, algorithm, cert_der, fingerprint, seal_der, key_enc, valid_from, valid_to, active, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?)`,
			sk.ID, dept.ID, makerID, code, sk.SealName, sk.Algorithm, certDER, sk.Fingerprint, made.Marshal(), enc, from, to, now); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "seal.create", ObjectType: "seal_key", ObjectID: sk.ID,
			Detail: map[string]any{"department": dept.Code, "sealCode": code, "algorithm": sk.Algorithm, "fingerprint": sk.Fingerprint}})
	})
	if err != nil {
		return nil, err
	}
	s.forget()
	return sk, nil
}

// Seals lists the department seals, newest first.
func (s *Service) Seals(ctx context.Context) ([]SealKey, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT k.id, k.department_id, d.name, k.seal_code, k.seal_name, k.algorithm, k.fingerprint, k.valid_from, k.valid_to, k.active, k.created_at
		FROM seal_keys k JOIN departments d ON d.id = k.department_id ORDER BY k.created_at DESC, k.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SealKey
	for rows.Next() {
		var k SealKey
		if err := rows.Scan(&k.ID, &k.DepartmentID, &k.DepartmentName, &k.SealCode, &k.SealName, &k.Algorithm, &k.Fingerprint, &k.ValidFrom, &k.ValidTo, &k.Active, &k.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// EnsureSeals gives every department that has a 统一社会信用代码 and no
// active seal one, creating the seal maker first when there is none (the
// demo, and a first start). It returns how many seals it made. validFrom,
// when not zero, dates the validity of what it makes back (the demo, whose
// sample cases were decided over the past months); otherwise it starts now.
func (s *Service) EnsureSeals(ctx context.Context, makerName string, alg seal.Algorithm, validFrom time.Time) (int, error) {
	makers, err := s.Makers(ctx)
	if err != nil {
		return 0, err
	}
	if len(makers) == 0 {
		if _, err := s.createMaker(ctx, makerName, alg, 20, validFrom); err != nil {
			return 0, err
		}
	}
	depts, err := s.Identity.Departments(ctx)
	if err != nil {
		return 0, err
	}
	have := map[string]bool{}
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT department_id FROM seal_keys WHERE active`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		have[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range depts {
		if have[d.ID] || d.CreditCode == "" {
			continue
		}
		if _, err := s.createSeal(ctx, d.ID, alg, 5, validFrom); err != nil {
			return n, fmt.Errorf("seal for %s: %w", d.Code, err)
		}
		n++
	}
	return n, nil
}

// TrustPEM is the installation's trusted certificates (seal makers and
// department certificates) in PEM, for offline verifiers (--trust).
func (s *Service) TrustPEM(ctx context.Context) ([]byte, error) {
	k, err := s.keys(ctx)
	if err != nil {
		return nil, err
	}
	var ders [][]byte
	if k.trust == nil {
		return nil, apperr.New(apperr.NotFound, "本平台尚未建立制章机构，没有可信任的证书")
	}
	for _, c := range k.trust.Certificates() {
		ders = append(ders, c.DER)
	}
	return seal.EncodePEM(ders...), nil
}

// loadKeys reads the trust store (every maker and department certificate,
// retired ones too: what they signed stays verifiable) and the active
// signer of each department.
func (s *Service) loadKeys(ctx context.Context) (*keyring, error) {
	k := &keyring{signers: map[string]*signer{}, byFingerprint: map[[signerIDSize]byte]*seal.Certificate{}}
	var makers [][]byte
	rows, err := s.DB.QueryContext(ctx, `SELECT cert_der FROM seal_makers`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var der []byte
		if err := rows.Scan(&der); err != nil {
			rows.Close()
			return nil, err
		}
		makers = append(makers, der)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(makers) == 0 {
		// No seal maker yet: nothing can be issued or verified, and
		// everything else works as before.
		k.trust = nil
		return k, nil
	}
	if k.trust, err = seal.NewTrust(makers...); err != nil {
		return nil, err
	}
	rows, err = s.DB.QueryContext(ctx, `SELECT id, department_id, cert_der, seal_der, key_enc, active FROM seal_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, dept, enc string
		var certDER, sealDER []byte
		var active bool
		if err := rows.Scan(&id, &dept, &certDER, &sealDER, &enc, &active); err != nil {
			return nil, err
		}
		if err := k.trust.AddHolder(certDER); err != nil {
			return nil, fmt.Errorf("licence: seal %s: %w", id, err)
		}
		cert, err := seal.ParseCertificate(certDER)
		if err != nil {
			return nil, err
		}
		k.byFingerprint[shortFingerprint(cert.Fingerprint)] = cert
		if !active {
			continue
		}
		key, err := s.openPrivate(fieldSealKey, enc)
		if err != nil {
			return nil, err
		}
		sl, err := seal.ParseSeal(sealDER)
		if err != nil {
			return nil, err
		}
		k.signers[dept] = &signer{keyID: id, key: key, cert: cert, seal: sl}
	}
	return k, rows.Err()
}

func shortFingerprint(fp [32]byte) (out [signerIDSize]byte) {
	copy(out[:], fp[:signerIDSize])
	return out
}

// keyring is the keys in memory.
type keyring struct {
	trust         *seal.Trust
	signers       map[string]*signer // by department id
	byFingerprint map[[signerIDSize]byte]*seal.Certificate
	loaded        time.Time
}

// NewTrustFromPEM builds a keyring for offline verification from PEM
// certificates: seal makers (CA certificates) and the department
// certificates they issued.
func newOfflineKeyring(pemBytes []byte) (*keyring, error) {
	ders, err := seal.DecodePEM(pemBytes)
	if err != nil {
		return nil, err
	}
	var cas, holders [][]byte
	for _, d := range ders {
		c, err := seal.ParseCertificate(d)
		if err != nil {
			return nil, err
		}
		if c.IsCA {
			cas = append(cas, d)
		} else {
			holders = append(holders, d)
		}
	}
	if len(cas) == 0 {
		return nil, fmt.Errorf("所信任的证书中没有制章机构（CA）证书")
	}
	k := &keyring{signers: map[string]*signer{}, byFingerprint: map[[signerIDSize]byte]*seal.Certificate{}}
	if k.trust, err = seal.NewTrust(cas...); err != nil {
		return nil, err
	}
	for _, d := range holders {
		if err := k.trust.AddHolder(d); err != nil {
			return nil, err
		}
		c, _ := seal.ParseCertificate(d)
		k.byFingerprint[shortFingerprint(c.Fingerprint)] = c
	}
	return k, nil
}

// departmentSigner is the active signer of a department.
func (k *keyring) departmentSigner(d *identity.Department) (*signer, error) {
	sg, ok := k.signers[d.ID]
	if !ok {
		return nil, apperr.Newf(apperr.Conflict, "发证部门“%s”尚未配置电子印章，不能签发电子证照（管理员可运行 yiwang seal create --dept %s）", d.Name, d.Code)
	}
	return sg, nil
}
