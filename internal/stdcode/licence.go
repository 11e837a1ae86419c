package stdcode

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// 电子证照标识 (electronic licence identifier), GB/T 36904-2018, as used by
// the national integrated government-services platform:
//
//	1.2.156.3005.2.<类型代码>.<颁证机构代码>.<流水号>.<版本号>.<校验位>
//	1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F
//
//	根代码       1.2.156.3005.2 (an OID arc), fixed
//	证照类型代码 21 characters: the 18-character credit code of the body that
//	             defined the licence type plus a 3-digit type number
//	颁证机构代码 18 characters: the issuing body's credit code
//	流水号       the issuer's serial number, digits and capital letters
//	版本号       3 digits, 001 for the first issue
//	校验位       ISO/IEC 7064 MOD 37,36 over 类型代码+颁证机构代码+流水号+
//	             版本号 concatenated without dots (the root is excluded)
//
// The check algorithm was confirmed on six identifiers issued by real
// systems (see the tests). The two embedded credit codes are checked for
// length and character set only, not for their own check character: the
// licence's check character already catches typing errors, and rejecting a
// licence that a real issuer minted with an imperfect issuer code would
// only hurt the holder.

// LicenceRoot is the fixed root code (an OID arc) of every identifier.
const LicenceRoot = "1.2.156.3005.2"

// MaxLicenceSerialLength bounds the 流水号. The standard's text was not
// available when this was written; real serials seen so far run to 32
// characters (a hyphen-less UUID), so 64 leaves room while keeping input
// bounded.
const MaxLicenceSerialLength = 64

const (
	licenceTypeLength    = 21
	licenceIssuerLength  = 18
	licenceVersionLength = 3
)

// licenceAlphabet lists the ISO/IEC 7064 alphanumeric symbols in value
// order (0..35).
const licenceAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// LicenceID is a parsed 电子证照标识.
type LicenceID struct {
	TypeCode   string // 证照类型代码, 21 characters (credit code + 3 digits)
	IssuerCode string // 颁证机构代码, 18 characters (credit code)
	Serial     string // 流水号, 1..MaxLicenceSerialLength digits/capitals
	Version    string // 版本号, 3 digits
	Check      byte   // 校验位, 0-9 or A-Z
}

// String returns the canonical dotted form, root included. A zero Check
// (an unfilled LicenceID) is left empty rather than written as a NUL byte.
func (id LicenceID) String() string {
	check := ""
	if id.Check != 0 {
		check = string(rune(id.Check))
	}
	return LicenceRoot + "." + id.TypeCode + "." + id.IssuerCode + "." + id.Serial + "." + id.Version + "." + check
}

// licenceValue returns the value 0..35 of an alphanumeric symbol, or -1.
func licenceValue(c byte) int {
	return strings.IndexByte(licenceAlphabet, c)
}

// LicenceCheckChar computes the ISO/IEC 7064 MOD 37,36 (hybrid system)
// check character of body, the concatenation of type code, issuer code,
// serial and version without dots. body must be non-empty and consist of
// digits and capital letters.
//
// The procedure, with M = 36: P starts at M; for each symbol of value v,
// S = (P + v) mod M, read as M when 0, and P = 2S mod (M+1). The check
// character is the value C with (P + C) mod M = 1, i.e. C = (M+1 - P) mod M.
func LicenceCheckChar(body string) (byte, error) {
	if body == "" {
		return 0, errors.New("电子证照标识的校验内容不能为空")
	}
	const m = 36
	p := m
	for i := 0; i < len(body); i++ {
		v := licenceValue(body[i])
		if v < 0 {
			return 0, errors.New("电子证照标识的校验内容只能包含数字和大写字母")
		}
		s := (p + v) % m
		if s == 0 {
			s = m
		}
		p = 2 * s % (m + 1)
	}
	return licenceAlphabet[(m+1-p)%m], nil
}

// FormatLicenceID validates the four parts and returns the identifier with
// its check character. The parts must already be in canonical form (capital
// letters); nothing is normalised, so what is stored is what was given.
func FormatLicenceID(typeCode, issuer, serial, version string) (string, error) {
	if err := checkLicenceParts(typeCode, issuer, serial, version); err != nil {
		return "", err
	}
	c, err := LicenceCheckChar(typeCode + issuer + serial + version)
	if err != nil {
		return "", err
	}
	id := LicenceID{TypeCode: typeCode, IssuerCode: issuer, Serial: serial, Version: version, Check: c}
	return id.String(), nil
}

// ParseLicenceID parses and validates an identifier, check character
// included. Like the other parsers here it tolerates white space,
// full-width characters and lower-case letters (the check is
// case-insensitive); the returned parts are upper-case and String gives the
// canonical form.
func ParseLicenceID(s string) (LicenceID, error) {
	n := cleanCode(s, true)
	if n == "" {
		return LicenceID{}, errors.New("电子证照标识不能为空")
	}
	rest, ok := strings.CutPrefix(n, LicenceRoot+".")
	if !ok {
		return LicenceID{}, errors.New("电子证照标识应以“1.2.156.3005.2.”开头")
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 5 {
		return LicenceID{}, errors.New("电子证照标识应由根代码和证照类型代码、颁证机构代码、流水号、版本号、校验位五部分组成，各部分以“.”分隔")
	}
	id := LicenceID{TypeCode: parts[0], IssuerCode: parts[1], Serial: parts[2], Version: parts[3]}
	if err := checkLicenceParts(id.TypeCode, id.IssuerCode, id.Serial, id.Version); err != nil {
		return LicenceID{}, err
	}
	if len(parts[4]) != 1 || licenceValue(parts[4][0]) < 0 {
		return LicenceID{}, errors.New("电子证照标识的校验位应为1位数字或大写字母")
	}
	id.Check = parts[4][0]
	want, err := LicenceCheckChar(id.TypeCode + id.IssuerCode + id.Serial + id.Version)
	if err != nil {
		return LicenceID{}, err
	}
	if want != id.Check {
		return LicenceID{}, errors.New("电子证照标识校验位不正确")
	}
	return id, nil
}

// checkLicenceParts validates the four parts covered by the check.
func checkLicenceParts(typeCode, issuer, serial, version string) error {
	if utf8.RuneCountInString(typeCode) != licenceTypeLength {
		return fmt.Errorf("电子证照标识的证照类型代码应为21位（18位统一社会信用代码加3位数字），当前为%d位", utf8.RuneCountInString(typeCode))
	}
	if !isCreditChars(typeCode[:creditCodeLength]) {
		return errors.New("电子证照标识的证照类型代码前18位应为统一社会信用代码")
	}
	if !allDigits(typeCode[creditCodeLength:]) {
		return errors.New("电子证照标识的证照类型代码后3位应为数字")
	}
	if utf8.RuneCountInString(issuer) != licenceIssuerLength || !isCreditChars(issuer) {
		return errors.New("电子证照标识的颁证机构代码应为18位统一社会信用代码")
	}
	if serial == "" {
		return errors.New("电子证照标识的流水号不能为空")
	}
	if utf8.RuneCountInString(serial) > MaxLicenceSerialLength {
		return fmt.Errorf("电子证照标识的流水号不能超过%d位", MaxLicenceSerialLength)
	}
	for i := 0; i < len(serial); i++ {
		if licenceValue(serial[i]) < 0 {
			return errors.New("电子证照标识的流水号只能包含数字和大写字母")
		}
	}
	if len(version) != licenceVersionLength || !allDigits(version) {
		return errors.New("电子证照标识的版本号应为3位数字")
	}
	return nil
}

// isCreditChars reports whether s consists of credit-code symbols only.
func isCreditChars(s string) bool {
	for _, r := range s {
		if creditValue(r) < 0 {
			return false
		}
	}
	return true
}
