package seal

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"

	"yiwang/internal/stdcode"
)

const (
	maxCertNameRunes = 64 // X.509 ub-common-name
	maxCertBytes     = 16 << 10
	pemCertificate   = "CERTIFICATE"
)

// Certificate is a parsed X.509 certificate of a seal maker (a CA, 制章者)
// or of a department (a seal holder). Fields are read from DER; changing
// them changes nothing that is checked.
type Certificate struct {
	DER        []byte
	Name       string // subject common name
	CreditCode string // subject serialNumber: the department's 统一社会信用代码; empty for a CA
	NotBefore  time.Time
	NotAfter   time.Time
	IsCA       bool
	Algorithm  Algorithm // of the certified key
	PublicKey  crypto.PublicKey
	// Fingerprint is the SM3 digest of DER, the certificate's identity.
	Fingerprint [32]byte
	cert        *smx509.Certificate
}

// CASpec is the subject and validity of a seal maker's (CA's) certificate.
type CASpec struct {
	Name               string
	ValidFrom, ValidTo time.Time
}

// DepartmentSpec is the subject and validity of a department's certificate.
type DepartmentSpec struct {
	Name       string
	CreditCode string // 统一社会信用代码, upper case, no spaces
	// The certificate is valid from ValidFrom to ValidTo, within the CA's
	// validity, at whole seconds.
	ValidFrom, ValidTo time.Time
}

// certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature BIT STRING }
// (RFC 5280), read only to insist on its DER encoding: the TBS part is
// fixed by the issuer's signature, the rest is not.
type certificateDER struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// CreateCA makes the self-signed certificate of a seal maker's key: a CA
// that may sign only department certificates (path length 0), signed with
// SM2-with-SM3 or ECDSA-SHA256 by the key's algorithm.
func CreateCA(key crypto.Signer, spec CASpec) ([]byte, error) {
	if key == nil || algorithmOf(key.Public()) == 0 {
		return nil, errors.New("制章者的密钥应为SM2或P-256密钥")
	}
	if err := checkCertName(spec.Name); err != nil {
		return nil, err
	}
	from, to, err := certValidity(spec.ValidFrom, spec.ValidTo)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	a := algorithmOf(key.Public())
	tmpl := &smx509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: spec.Name, Organization: []string{spec.Name}},
		NotBefore:             from,
		NotAfter:              to,
		KeyUsage:              smx509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SignatureAlgorithm:    a.x509(),
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("seal: create CA certificate: %w", err)
	}
	return der, nil
}

// CreateDepartmentCert makes a department's certificate for deptKey,
// issued by the CA caCert whose key is caKey: subject CN and O the
// department's name, serialNumber its 统一社会信用代码, key usage digital
// signature and content commitment, a random 128-bit serial number.
func CreateDepartmentCert(caKey crypto.Signer, caCert []byte, deptKey crypto.PublicKey, spec DepartmentSpec) ([]byte, error) {
	ca, err := ParseCertificate(caCert)
	if err != nil {
		return nil, fmt.Errorf("制章者证书：%w", err)
	}
	if !ca.IsCA {
		return nil, errors.New("制章者证书不是CA证书")
	}
	if caKey == nil || !ca.publicKeyEqual(caKey.Public()) {
		return nil, errors.New("制章者的密钥与制章者证书不符")
	}
	if algorithmOf(deptKey) == 0 {
		return nil, errors.New("部门的公钥应为SM2或P-256公钥")
	}
	if err := checkCertName(spec.Name); err != nil {
		return nil, err
	}
	if err := checkCreditCode(spec.CreditCode); err != nil {
		return nil, err
	}
	from, to, err := certValidity(spec.ValidFrom, spec.ValidTo)
	if err != nil {
		return nil, err
	}
	if from.Before(ca.NotBefore) || to.After(ca.NotAfter) {
		return nil, errors.New("部门证书的有效期应在制章者证书的有效期之内")
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &smx509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName: spec.Name, SerialNumber: spec.CreditCode, Organization: []string{spec.Name},
		},
		NotBefore:             from,
		NotAfter:              to,
		KeyUsage:              smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    ca.Algorithm.x509(),
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, ca.cert, deptKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("seal: create department certificate: %w", err)
	}
	return der, nil
}

func randomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
		if err != nil {
			return nil, fmt.Errorf("seal: serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

func certValidity(from, to time.Time) (time.Time, time.Time, error) {
	from, to = from.Truncate(time.Second).UTC(), to.Truncate(time.Second).UTC()
	if from.IsZero() || !to.After(from) {
		return from, to, errors.New("证书有效期的结束时间应晚于开始时间")
	}
	return from, to, nil
}

// checkName checks a printable one-line name of 1 to max characters.
func checkName(s string, max int) bool {
	if !utf8.ValidString(s) || s == "" || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) && r != ' ' {
			return false
		}
	}
	return true
}

func checkCertName(s string) error {
	if !checkName(s, maxCertNameRunes) {
		return fmt.Errorf("证书名称应为1至%d个字，不含控制字符或换行", maxCertNameRunes)
	}
	return nil
}

func checkCreditCode(s string) error {
	if stdcode.NormalizeCreditCode(s) != s {
		return errors.New("统一社会信用代码应使用大写字母，不含空格")
	}
	return stdcode.ValidateCreditCode(s)
}

// ParseCertificate reads a DER X.509 certificate as this package makes
// them: version 3, an SM2 or P-256 key, signed with SM2-with-SM3 or
// ECDSA-SHA256, a CA (basic constraints, certificate signing) or a
// department (a valid 统一社会信用代码 as subject serialNumber, digital
// signature), no unknown critical extension, in DER. It does not check
// who issued it; that is Trust's.
func ParseCertificate(der []byte) (*Certificate, error) {
	c, err := parseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("证书%s", err)
	}
	return c, nil
}

// parseCertificate gives a detail to prefix with what the certificate is.
func parseCertificate(der []byte) (*Certificate, error) {
	if len(der) == 0 || len(der) > maxCertBytes {
		return nil, fmt.Errorf("应为1至%d KB的DER数据", maxCertBytes>>10)
	}
	// The parsed certificate keeps slices of what it read: a copy of
	// its own, so that nobody else's buffer changes it.
	der = bytes.Clone(der)
	if _, err := unmarshalCanonical[certificateDER](der); err != nil {
		return nil, err
	}
	x, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, errors.New("无法解析")
	}
	a := algorithmOf(x.PublicKey)
	switch {
	case x.Version != 3:
		return nil, errors.New("不是X.509第3版证书")
	case a == 0:
		return nil, errors.New("的公钥不是SM2或P-256公钥")
	case x.SignatureAlgorithm != smx509.SM2WithSM3 && x.SignatureAlgorithm != smx509.ECDSAWithSHA256:
		return nil, errors.New("的签名算法不是SM2-with-SM3或ECDSA-SHA256")
	case len(x.UnhandledCriticalExtensions) > 0:
		return nil, errors.New("含有无法识别的关键扩展")
	case !x.BasicConstraintsValid:
		return nil, errors.New("没有基本约束扩展")
	case !checkName(x.Subject.CommonName, maxCertNameRunes):
		return nil, errors.New("的名称无效")
	}
	if x.IsCA {
		if x.KeyUsage&smx509.KeyUsageCertSign == 0 {
			return nil, errors.New("是CA证书，但不能签发证书")
		}
	} else {
		if x.KeyUsage&smx509.KeyUsageDigitalSignature == 0 {
			return nil, errors.New("不能用于数字签名")
		}
		if checkCreditCode(x.Subject.SerialNumber) != nil {
			return nil, errors.New("的统一社会信用代码无效")
		}
	}
	return &Certificate{
		DER:         der,
		Name:        x.Subject.CommonName,
		CreditCode:  x.Subject.SerialNumber,
		NotBefore:   x.NotBefore.UTC(),
		NotAfter:    x.NotAfter.UTC(),
		IsCA:        x.IsCA,
		Algorithm:   a,
		PublicKey:   x.PublicKey,
		Fingerprint: sm3.Sum(der),
		cert:        x,
	}, nil
}

// ValidAt reports whether t lies in the certificate's validity (both ends
// included).
func (c *Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// issued reports whether ca issued c: c names ca as issuer and ca's key
// signed c with ca's algorithm.
func (ca *Certificate) issued(c *Certificate) bool {
	return ca.IsCA && bytes.Equal(c.cert.RawIssuer, ca.cert.RawSubject) &&
		c.cert.SignatureAlgorithm == ca.Algorithm.x509() &&
		c.cert.CheckSignatureFrom(ca.cert) == nil
}

// publicKeyEqual reports whether the certificate certifies pub.
func (c *Certificate) publicKeyEqual(pub crypto.PublicKey) bool {
	k, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub != nil && k.Equal(pub)
}

// EncodePEM encodes DER certificates as PEM "CERTIFICATE" blocks.
func EncodePEM(certs ...[]byte) []byte {
	var b bytes.Buffer
	for _, der := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: pemCertificate, Bytes: der})
	}
	return b.Bytes()
}

// DecodePEM reads PEM "CERTIFICATE" blocks and returns their DER. Any other
// content, a block of another type (a private key above all), headers, text
// around the blocks, or no block at all is refused. Errors name a block by
// its position, never by its content.
func DecodePEM(b []byte) ([][]byte, error) {
	var ders [][]byte
	begin := []byte("-----BEGIN ")
	for rest := b; ; {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			break
		}
		n := len(ders) + 1
		// pem.Decode skips text before a block and malformed blocks, and
		// here nothing may be skipped.
		block, after := pem.Decode(rest)
		if !bytes.HasPrefix(rest, begin) || block == nil ||
			bytes.Count(rest[:len(rest)-len(after)], begin) != 1 {
			return nil, fmt.Errorf("证书文件第%d段不是PEM格式", n)
		}
		if block.Type != pemCertificate || len(block.Headers) != 0 || len(block.Bytes) == 0 {
			return nil, fmt.Errorf("证书文件第%d段不是证书（CERTIFICATE）", n)
		}
		ders = append(ders, block.Bytes)
		rest = after
	}
	if len(ders) == 0 {
		return nil, errors.New("证书文件中没有证书")
	}
	return ders, nil
}
