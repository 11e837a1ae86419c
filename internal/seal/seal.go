package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"image/png"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm2"

	"yiwang/internal/stdcode"
)

// Verification failures, one per step of Verify, in its order. Each
// returned error wraps exactly one of them (errors.Is) and carries a
// detail that never echoes the input.
var (
	ErrFormat       = errors.New("签章数据格式不正确")
	ErrSealMaker    = errors.New("印章不是由所信任的制章者制作的")
	ErrSealValidity = errors.New("签章时印章不在有效期内")
	ErrSignature    = errors.New("签名无效，签章数据已被改动")
	ErrDocument     = errors.New("文件与签章不符，文件已被改动")
)

// oidSM2WithSM3 is the SM2-with-SM3 signature algorithm (GB/T 33560).
var oidSM2WithSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}

const (
	headerID      = "ES" // as in GB/T 38540's SES_Header
	formatVersion = 1    // of this package's format, not of the standard
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
	Department string // the holding department's 统一社会信用代码
	Picture    Picture
	// The seal is valid from ValidFrom to ValidTo, both included, at
	// whole seconds (Make truncates; the format has no fractions).
	ValidFrom, ValidTo time.Time
	Holder             crypto.PublicKey // the seal holder's SM2 public key
}

// Seal is a made seal: the Spec signed by its maker.
type Seal struct {
	Spec
	Created        time.Time
	Maker          *ecdsa.PublicKey // the key that signed the seal info
	MakerSignature []byte           // SM2-with-SM3 over the DER seal info
	info           []byte           // the signed DER seal info
	der            []byte           // the whole seal, canonical DER
}

// Seal ::= SEQUENCE {
//
//	info       SealInfo,
//	maker      SubjectPublicKeyInfo,  -- the maker's SM2 key
//	algorithm  OBJECT IDENTIFIER,     -- 1.2.156.10197.1.501
//	signature  OCTET STRING }         -- SM2-with-SM3 over DER(info)
type sealDER struct {
	Info      asn1.RawValue
	Maker     asn1.RawValue
	Algorithm asn1.ObjectIdentifier
	Signature []byte
}

// SealInfo ::= SEQUENCE {
//
//	header   SEQUENCE { id IA5String ("ES"), version INTEGER (1), vendor UTF8String },
//	sealID   UTF8String,
//	property SEQUENCE { type INTEGER, name UTF8String, department UTF8String,
//	                    created GeneralizedTime, validFrom GeneralizedTime, validTo GeneralizedTime },
//	picture  SEQUENCE { type UTF8String ("PNG"), data OCTET STRING,
//	                    widthMM INTEGER, heightMM INTEGER },
//	holder   SubjectPublicKeyInfo }   -- the seal holder's SM2 key
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

// Make validates spec and returns the seal signed by maker, created at now.
func Make(maker crypto.Signer, spec Spec, now time.Time) (*Seal, error) {
	spec.ValidFrom = spec.ValidFrom.Truncate(time.Second).UTC()
	spec.ValidTo = spec.ValidTo.Truncate(time.Second).UTC()
	if err := spec.validate(); err != nil {
		return nil, err
	}
	holder, err := MarshalPublicKey(spec.Holder)
	if err != nil {
		return nil, err
	}
	makerKey, err := MarshalPublicKey(maker.Public())
	if err != nil {
		return nil, fmt.Errorf("seal: maker: %w", err)
	}
	info, err := asn1.Marshal(sealInfoDER{
		Header: headerDER{ID: headerID, Version: formatVersion, Vendor: vendor},
		SealID: spec.ID,
		Property: propertyDER{
			Type: int(spec.Type), Name: spec.Name, Department: spec.Department,
			Created: now.Truncate(time.Second).UTC(), ValidFrom: spec.ValidFrom, ValidTo: spec.ValidTo,
		},
		Picture: pictureDER{Type: pictureType, Data: spec.Picture.PNG, WidthMM: spec.Picture.WidthMM, HeightMM: spec.Picture.HeightMM},
		Holder:  asn1.RawValue{FullBytes: holder},
	})
	if err != nil {
		return nil, fmt.Errorf("seal: encode seal info: %w", err)
	}
	sig, err := signSM2(maker, info)
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(sealDER{
		Info:      asn1.RawValue{FullBytes: info},
		Maker:     asn1.RawValue{FullBytes: makerKey},
		Algorithm: oidSM2WithSM3,
		Signature: sig,
	})
	if err != nil {
		return nil, fmt.Errorf("seal: encode seal: %w", err)
	}
	// Parsing what was made keeps one code path for made and read seals.
	return ParseSeal(der)
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
	if !utf8.ValidString(s.Name) || s.Name == "" || utf8.RuneCountInString(s.Name) > maxNameRunes {
		return fmt.Errorf("印章名称应为1至%d个字", maxNameRunes)
	}
	for _, r := range s.Name {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) && r != ' ' {
			return errors.New("印章名称不能包含控制字符或换行")
		}
	}
	if s.Type != TypeOrganisation && s.Type != TypePersonal {
		return errors.New("印章类型应为单位印章（1）或个人印章（2）")
	}
	if stdcode.NormalizeCreditCode(s.Department) != s.Department {
		return errors.New("用章部门的统一社会信用代码应使用大写字母，不含空格")
	}
	if err := stdcode.ValidateCreditCode(s.Department); err != nil {
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
	if !sealKey(s.Holder) {
		return errors.New("印章持有者的公钥应为SM2公钥")
	}
	return nil
}

// sealKey reports whether k is a usable SM2 public key (a nil pointer is not).
func sealKey(k crypto.PublicKey) bool {
	pub, ok := k.(*ecdsa.PublicKey)
	return ok && pub != nil && sm2.IsSM2PublicKey(pub)
}

// ParseSeal decodes a seal and checks its format, not its maker: that is
// VerifyMaker, which needs the trusted maker key. Failures wrap ErrFormat.
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
	if !sd.Algorithm.Equal(oidSM2WithSM3) {
		return nil, fmt.Errorf("%w：制章签名算法不是SM2-with-SM3", ErrFormat)
	}
	if info.Picture.Type != pictureType {
		return nil, fmt.Errorf("%w：印章图像类型不是PNG", ErrFormat)
	}
	maker, err := parseCanonicalKey(sd.Maker.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("%w：制章者公钥%s", ErrFormat, err)
	}
	holder, err := parseCanonicalKey(info.Holder.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("%w：印章持有者公钥%s", ErrFormat, err)
	}
	s := &Seal{
		Spec: Spec{
			ID: info.SealID, Name: info.Property.Name, Type: Type(info.Property.Type),
			Department: info.Property.Department,
			Picture:    Picture{PNG: info.Picture.Data, WidthMM: info.Picture.WidthMM, HeightMM: info.Picture.HeightMM},
			ValidFrom:  info.Property.ValidFrom.UTC(), ValidTo: info.Property.ValidTo.UTC(),
			Holder: holder,
		},
		Created:        info.Property.Created.UTC(),
		Maker:          maker,
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

// VerifyMaker checks that the trusted maker key made this seal. Failures
// wrap ErrSealMaker.
func (s *Seal) VerifyMaker(maker crypto.PublicKey) error {
	if !sealKey(maker) {
		return fmt.Errorf("%w：所信任的制章者公钥不是SM2公钥", ErrSealMaker)
	}
	trusted := maker.(*ecdsa.PublicKey)
	if !trusted.Equal(s.Maker) {
		return fmt.Errorf("%w：印章的制章者不是所信任的制章者", ErrSealMaker)
	}
	if !verifySM2(trusted, s.info, s.MakerSignature) {
		return fmt.Errorf("%w：制章签名无效", ErrSealMaker)
	}
	return nil
}

// ValidAt reports whether t lies in the seal's validity period (both ends
// included).
func (s *Seal) ValidAt(t time.Time) bool {
	return !t.Before(s.ValidFrom) && !t.After(s.ValidTo)
}

func (s *Seal) holder() *ecdsa.PublicKey { return s.Holder.(*ecdsa.PublicKey) }

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

func parseCanonicalKey(der []byte) (*ecdsa.PublicKey, error) {
	k, err := ParsePublicKey(der)
	if err != nil {
		return nil, errors.New("不是SM2公钥")
	}
	again, err := MarshalPublicKey(k)
	if err != nil || !bytes.Equal(again, der) {
		return nil, errors.New("不是规范的DER编码")
	}
	return k, nil
}
