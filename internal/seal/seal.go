package seal

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"image/png"
	"time"
)

// Verification failures, one per step of Verify, in its order. Each
// returned error wraps exactly one of them (errors.Is) and carries a
// detail that never echoes the input.
var (
	ErrFormat       = errors.New("签章数据格式不正确")
	ErrSealMaker    = errors.New("印章不是由所信任的制章者制作的")
	ErrCertificate  = errors.New("印章持有者的证书无效")
	ErrSealValidity = errors.New("签章时印章不在有效期内")
	ErrSignature    = errors.New("签名无效，签章数据已被改动")
	ErrDocument     = errors.New("文件与签章不符，文件已被改动")
)

const (
	headerID      = "ES" // as in GB/T 38540's SES_Header
	formatVersion = 2    // of this package's format, not of the standard
	vendor        = "yiwang"
	pictureType   = "PNG"

	maxIDLength      = 64
	maxNameRunes     = 100
	maxPictureBytes  = 1 << 20
	maxPictureMM     = 200
	maxPropertyRunes = 200
)

// Type is the seal type; the values follow GM/T 0031 and GB/T 38540.
type Type int

const (
	TypeOrganisation Type = 1 // 单位印章: every department seal
	TypePersonal     Type = 2 // 个人印章
)

// Picture is the seal's image and its printed size.
type Picture struct {
	PNG      []byte
	WidthMM  int
	HeightMM int
}

// Spec is what a seal maker is asked to make.
type Spec struct {
	ID         string // 印章编码: 1-64 characters of 0-9 A-Z a-z - _ .
	Name       string // 印章名称, e.g. "某某市行政审批局电子证照专用章"
	Type       Type
	Department string // the holding department's 统一社会信用代码, as in HolderCert
	Picture    Picture
	// The seal is valid from ValidFrom to ValidTo, both included, at
	// whole seconds (Make truncates; the format has no fractions).
	ValidFrom, ValidTo time.Time
	// HolderCert is the DER X.509 certificate of the seal holder (the
	// department), issued by the seal maker's CA.
	HolderCert []byte
}

// Seal is a made seal: the Spec signed by its maker. MakerCert and
// HolderCert are the parsed certificates (HolderCert shadows
// Spec.HolderCert, its DER).
type Seal struct {
	Spec
	Created        time.Time
	MakerCert      *Certificate // the CA whose key signed the seal info
	HolderCert     *Certificate // the department's certificate, inside the seal info
	MakerSignature []byte       // by MakerCert's key, with its algorithm, over the DER seal info
	info           []byte       // the signed DER seal info
	der            []byte       // the whole seal, canonical DER
}

// Seal ::= SEQUENCE {
//
//	info       SealInfo,
//	maker      Certificate,           -- the maker's (CA's) X.509 certificate
//	algorithm  OBJECT IDENTIFIER,     -- 1.2.156.10197.1.501 (SM2-with-SM3) or
//	                                  -- 1.2.840.10045.4.3.2 (ECDSA-SHA256), as maker's key
//	signature  OCTET STRING }         -- by the maker's key over DER(info)
type sealDER struct {
	Info      asn1.RawValue
	Maker     asn1.RawValue
	Algorithm asn1.ObjectIdentifier
	Signature []byte
}

// SealInfo ::= SEQUENCE {
//
//	header   SEQUENCE { id IA5String ("ES"), version INTEGER (2), vendor UTF8String },
//	sealID   UTF8String,
//	property SEQUENCE { type INTEGER, name UTF8String, department UTF8String,
//	                    created GeneralizedTime, validFrom GeneralizedTime, validTo GeneralizedTime },
//	picture  SEQUENCE { type UTF8String ("PNG"), data OCTET STRING,
//	                    widthMM INTEGER, heightMM INTEGER },
//	holder   Certificate }   -- the seal holder's (department's) X.509 certificate
type sealInfoDER struct {
	Header   headerDER
	SealID   string `asn1:"utf8"`
	Property propertyDER
	Picture  pictureDER
	Holder   asn1.RawValue
}

type headerDER struct {
	ID      string `asn1:"ia5"`
	Version int
	Vendor  string `asn1:"utf8"`
}

type propertyDER struct {
	Type       int
	Name       string    `asn1:"utf8"`
	Department string    `asn1:"utf8"`
	Created    time.Time `asn1:"generalized"`
	ValidFrom  time.Time `asn1:"generalized"`
	ValidTo    time.Time `asn1:"generalized"`
}

type pictureDER struct {
	Type     string `asn1:"utf8"`
	Data     []byte
	WidthMM  int
	HeightMM int
}

// Make validates spec and returns the seal signed by makerKey, the key of
// the CA certificate makerCert, created at now. It makes only seals that
// Verify would accept at some time: the maker certificate must be a CA
// valid at now, the holder certificate issued by it for spec.Department,
// and the seal's validity within the holder certificate's.
func Make(makerKey crypto.Signer, makerCert []byte, spec Spec, now time.Time) (*Seal, error) {
	spec.ValidFrom = spec.ValidFrom.Truncate(time.Second).UTC()
	spec.ValidTo = spec.ValidTo.Truncate(time.Second).UTC()
	now = now.Truncate(time.Second).UTC()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	maker, err := ParseCertificate(makerCert)
	if err != nil {
		return nil, fmt.Errorf("制章者%w", err)
	}
	if !maker.IsCA || !maker.ValidAt(now) {
		return nil, errors.New("制章者证书应为制章时有效的CA证书")
	}
	if makerKey == nil || !maker.publicKeyEqual(makerKey.Public()) {
		return nil, errors.New("制章者的密钥与制章者证书不符")
	}
	holder, err := ParseCertificate(spec.HolderCert)
	if err != nil {
		return nil, fmt.Errorf("印章持有者%w", err)
	}
	if err := checkHolder(maker, holder, spec.Department); err != nil {
		return nil, err
	}
	if spec.ValidFrom.Before(holder.NotBefore) || spec.ValidTo.After(holder.NotAfter) {
		return nil, errors.New("印章有效期应在印章持有者证书的有效期之内")
	}
	return makeSeal(makerKey, maker, spec, now)
}

// makeSeal encodes and signs the seal without Make's checks.
func makeSeal(makerKey crypto.Signer, maker *Certificate, spec Spec, now time.Time) (*Seal, error) {
	info, err := asn1.Marshal(sealInfoDER{
		Header: headerDER{ID: headerID, Version: formatVersion, Vendor: vendor},
		SealID: spec.ID,
		Property: propertyDER{
			Type: int(spec.Type), Name: spec.Name, Department: spec.Department,
			Created: now, ValidFrom: spec.ValidFrom, ValidTo: spec.ValidTo,
		},
		Picture: pictureDER{Type: pictureType, Data: spec.Picture.PNG, WidthMM: spec.Picture.WidthMM, HeightMM: spec.Picture.HeightMM},
		Holder:  asn1.RawValue{FullBytes: spec.HolderCert},
	})
	if err != nil {
		return nil, fmt.Errorf("seal: encode seal info: %w", err)
	}
	sig, alg, err := sign(makerKey, info)
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(sealDER{
		Info:      asn1.RawValue{FullBytes: info},
		Maker:     asn1.RawValue{FullBytes: maker.DER},
		Algorithm: alg.oid(),
		Signature: sig,
	})
	if err != nil {
		return nil, fmt.Errorf("seal: encode seal: %w", err)
	}
	// Parsing what was made keeps one code path for made and read seals.
	return ParseSeal(der)
}

// checkHolder is the part of ErrCertificate that does not depend on time:
// the maker's CA issued the holder's certificate, for the seal's department.
func checkHolder(maker, holder *Certificate, department string) error {
	if holder.IsCA || !maker.issued(holder) {
		return fmt.Errorf("%w：不是由制章者签发的部门证书", ErrCertificate)
	}
	if holder.CreditCode != department {
		return fmt.Errorf("%w：证书的统一社会信用代码与印章的用章部门不同", ErrCertificate)
	}
	return nil
}

// validate checks what a maker may put in a seal. The messages are for the
// operator making the seal.
func (s Spec) validate() error {
	if s.ID == "" || len(s.ID) > maxIDLength {
		return fmt.Errorf("印章编码应为1至%d个字符", maxIDLength)
	}
	for i := 0; i < len(s.ID); i++ {
		c := s.ID[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("印章编码第%d位无效：只能使用字母、数字和“-_.”", i+1)
		}
	}
	if !checkName(s.Name, maxNameRunes) {
		return fmt.Errorf("印章名称应为1至%d个字，不含控制字符或换行", maxNameRunes)
	}
	if s.Type != TypeOrganisation && s.Type != TypePersonal {
		return errors.New("印章类型应为单位印章（1）或个人印章（2）")
	}
	if err := checkCreditCode(s.Department); err != nil {
		return fmt.Errorf("用章部门：%w", err)
	}
	p := s.Picture
	if len(p.PNG) == 0 || len(p.PNG) > maxPictureBytes {
		return fmt.Errorf("印章图像应为不超过%d KB的PNG图片", maxPictureBytes>>10)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(p.PNG)); err != nil {
		return errors.New("印章图像不是有效的PNG图片")
	}
	if p.WidthMM < 1 || p.WidthMM > maxPictureMM || p.HeightMM < 1 || p.HeightMM > maxPictureMM {
		return fmt.Errorf("印章图像的宽和高应为1至%d毫米", maxPictureMM)
	}
	if s.ValidFrom.IsZero() || !s.ValidTo.After(s.ValidFrom) {
		return errors.New("印章有效期的结束时间应晚于开始时间")
	}
	if len(s.HolderCert) == 0 {
		return errors.New("缺少印章持有者的证书")
	}
	return nil
}

// ParseSeal decodes a seal and checks its format, not its maker: that is
// VerifyMaker, which needs the trusted certificates. Failures wrap
// ErrFormat.
func ParseSeal(der []byte) (*Seal, error) {
	sd, err := unmarshalCanonical[sealDER](der)
	if err != nil {
		return nil, fmt.Errorf("%w：印章%s", ErrFormat, err)
	}
	info, err := unmarshalCanonical[sealInfoDER](sd.Info.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("%w：印章信息%s", ErrFormat, err)
	}
	if info.Header.ID != headerID || info.Header.Version != formatVersion || info.Header.Vendor != vendor {
		return nil, fmt.Errorf("%w：印章头不是本系统第%d版格式", ErrFormat, formatVersion)
	}
	if info.Picture.Type != pictureType {
		return nil, fmt.Errorf("%w：印章图像类型不是PNG", ErrFormat)
	}
	maker, err := parseCertificate(sd.Maker.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("%w：制章者证书%s", ErrFormat, err)
	}
	if !maker.IsCA {
		return nil, fmt.Errorf("%w：制章者证书不是CA证书", ErrFormat)
	}
	if algorithmOfOID(sd.Algorithm) != maker.Algorithm {
		return nil, fmt.Errorf("%w：制章签名算法与制章者证书的密钥不符", ErrFormat)
	}
	holder, err := parseCertificate(info.Holder.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("%w：印章持有者证书%s", ErrFormat, err)
	}
	s := &Seal{
		Spec: Spec{
			ID: info.SealID, Name: info.Property.Name, Type: Type(info.Property.Type),
			Department: info.Property.Department,
			Picture:    Picture{PNG: info.Picture.Data, WidthMM: info.Picture.WidthMM, HeightMM: info.Picture.HeightMM},
			ValidFrom:  info.Property.ValidFrom.UTC(), ValidTo: info.Property.ValidTo.UTC(),
			HolderCert: holder.DER,
		},
		Created:        info.Property.Created.UTC(),
		MakerCert:      maker,
		HolderCert:     holder,
		MakerSignature: sd.Signature,
		info:           sd.Info.FullBytes,
		der:            der,
	}
	if err := s.Spec.validate(); err != nil {
		return nil, fmt.Errorf("%w：%s", ErrFormat, err)
	}
	return s, nil
}

// Marshal returns the seal's canonical DER encoding.
func (s *Seal) Marshal() []byte { return bytes.Clone(s.der) }

// VerifyMaker checks that a trusted seal maker made this seal: its maker
// certificate is byte-equal to a CA certificate of trust, and that CA's
// key signed the seal info. Failures wrap ErrSealMaker.
func (s *Seal) VerifyMaker(trust *Trust) error {
	ca := trust.maker(s.MakerCert)
	if ca == nil {
		return fmt.Errorf("%w：印章的制章者证书不是所信任的制章者证书", ErrSealMaker)
	}
	// A verifier sees the same few seals again and again (one per
	// department): their maker signatures are checked once per trust,
	// remembered by the SHA-256 of the seal's exact bytes.
	key := sha256.Sum256(s.der)
	if trust.sealVerified(key) {
		return nil
	}
	if !verify(ca.Algorithm, ca.PublicKey, s.info, s.MakerSignature) {
		return fmt.Errorf("%w：制章签名无效", ErrSealMaker)
	}
	trust.rememberSeal(key)
	return nil
}

// VerifyHolder checks, for a seal whose maker is verified, that the
// maker's CA issued the holder certificate for the seal's department and
// that the certificate was valid at t. Failures wrap ErrCertificate.
func (s *Seal) VerifyHolder(t time.Time) error {
	if err := checkHolder(s.MakerCert, s.HolderCert, s.Department); err != nil {
		return err
	}
	if !s.HolderCert.ValidAt(t) {
		return fmt.Errorf("%w：签章时间%s，证书有效期%s至%s", ErrCertificate, t.Format(time.RFC3339),
			s.HolderCert.NotBefore.Format(time.RFC3339), s.HolderCert.NotAfter.Format(time.RFC3339))
	}
	return nil
}

// ValidAt reports whether t lies in the seal's validity period (both ends
// included).
func (s *Seal) ValidAt(t time.Time) bool {
	return !t.Before(s.ValidFrom) && !t.After(s.ValidTo)
}

// unmarshalCanonical decodes der into v and insists that der is exactly the
// DER encoding of what was decoded: nothing trailing, no alternative
// string types or lengths.
func unmarshalCanonical[T any](der []byte) (T, error) {
	var v T
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil {
		return v, errors.New("无法解析")
	}
	if len(rest) != 0 {
		return v, errors.New("之后有多余的数据")
	}
	again, err := asn1.Marshal(v)
	if err != nil || !bytes.Equal(again, der) {
		return v, errors.New("不是规范的DER编码")
	}
	return v, nil
}
