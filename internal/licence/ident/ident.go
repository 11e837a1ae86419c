// Package ident builds and parses the identifiers of the electronic
// licences that yiwang issues: the GB/T 36904-2018 电子证照标识
//
//	1.2.156.3005.2.<证照类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>
//	1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F
//
// 证照类型代码 is the 统一社会信用代码 of the body that defined the licence
// type plus a 3-digit number, 颁发机构代码 the credit code of the issuer,
// 流水号 the issuer's serial (digits and capitals), 版本号 three digits and
// 校验位 the ISO/IEC 7064 MOD 37,36 check character over the four parts
// joined without dots (domain.md §4).
//
// The arithmetic (the check character, the credit code's own check) lives
// in internal/stdcode and is reused here, not written again. What this
// package adds is the licence context's stricter contract:
//
//   - Parse accepts only the canonical form (capitals, no white space), the
//     form Build writes and QR payloads carry. A verifier must judge exactly
//     the bytes it was given; stdcode.ParseLicenceID is the lenient reader
//     for identifiers people type.
//   - Both embedded credit codes must be valid 统一社会信用代码, their own
//     check character included (stdcode.ValidateCreditCode). The platform
//     mints identifiers only for departments whose codes it validated, and
//     every real identifier seen so far passes this.
//   - Errors are *Error values naming the part that is wrong, with a
//     message for the person; a wrong check character says which one is
//     expected. Messages never echo the input beyond validated characters.
package ident

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"yiwang/internal/stdcode"
)

// Root is the fixed root (an OID arc) of every identifier.
const Root = stdcode.LicenceRoot

// MaxSerialLength bounds the 流水号, so input stays bounded.
const MaxSerialLength = stdcode.MaxLicenceSerialLength

// Part names the part of an identifier that an *Error is about.
type Part string

const (
	PartRoot    Part = "root"    // 根代码 missing or different
	PartLayout  Part = "layout"  // not five dot-separated parts after the root
	PartType    Part = "type"    // 证照类型代码
	PartIssuer  Part = "issuer"  // 颁发机构代码
	PartSerial  Part = "serial"  // 流水号
	PartVersion Part = "version" // 版本号
	PartCheck   Part = "check"   // 校验位
)

// Error is an invalid identifier or identifier part.
type Error struct {
	Part    Part
	Message string // in Chinese, for the person
}

func (e *Error) Error() string { return e.Message }

func invalid(p Part, format string, args ...any) *Error {
	return &Error{Part: p, Message: fmt.Sprintf(format, args...)}
}

// ID is a parsed, valid identifier.
type ID struct {
	TypeCode   string // 证照类型代码: 18-character credit code + 3 digits
	IssuerCode string // 颁发机构代码: 18-character credit code
	Serial     string // 流水号
	Version    string // 版本号: 3 digits
	Check      byte   // 校验位: 0-9 or A-Z
}

// String returns the canonical dotted form, root included.
func (id ID) String() string {
	return strings.Join([]string{Root, id.TypeCode, id.IssuerCode, id.Serial, id.Version, string(rune(id.Check))}, ".")
}

// Build validates the four parts and returns the identifier with its check
// character. Nothing is normalised: the parts must be canonical already.
func Build(typeCode, issuerCode, serial, version string) (string, error) {
	check, err := checkParts(typeCode, issuerCode, serial, version)
	if err != nil {
		return "", err
	}
	return ID{typeCode, issuerCode, serial, version, check}.String(), nil
}

// Parse validates s, check character included, and returns its parts. A
// failure is an *Error.
func Parse(s string) (ID, error) {
	rest, ok := strings.CutPrefix(s, Root+".")
	if !ok {
		return ID{}, invalid(PartRoot, "电子证照标识应以“%s.”开头", Root)
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 5 {
		return ID{}, invalid(PartLayout, "电子证照标识在根代码之后应有证照类型代码、颁发机构代码、流水号、版本号、校验位五部分，以“.”分隔，当前为%d部分", len(parts))
	}
	want, err := checkParts(parts[0], parts[1], parts[2], parts[3])
	if err != nil {
		return ID{}, err
	}
	if got := parts[4]; got != string(rune(want)) {
		if len(got) != 1 || !isAlnum(got[0]) {
			return ID{}, invalid(PartCheck, "电子证照标识的校验位应为1位数字或大写字母，应为“%c”", want)
		}
		return ID{}, invalid(PartCheck, "电子证照标识的校验位不正确：应为“%c”，实为“%s”", want, got)
	}
	return ID{parts[0], parts[1], parts[2], parts[3], want}, nil
}

// checkParts validates the four checked parts and returns their check
// character.
func checkParts(typeCode, issuerCode, serial, version string) (byte, error) {
	if len(typeCode) != 21 {
		return 0, invalid(PartType, "证照类型代码应为21位（18位统一社会信用代码加3位数字），当前为%d位", utf8.RuneCountInString(typeCode))
	}
	if err := creditCode(typeCode[:18]); err != nil {
		return 0, invalid(PartType, "证照类型代码的前18位应为定义证照类型机构的统一社会信用代码：%s", err)
	}
	if !isDigits(typeCode[18:]) {
		return 0, invalid(PartType, "证照类型代码的后3位应为数字")
	}
	if err := creditCode(issuerCode); err != nil {
		return 0, invalid(PartIssuer, "颁发机构代码应为颁发机构的统一社会信用代码：%s", err)
	}
	if serial == "" {
		return 0, invalid(PartSerial, "流水号不能为空")
	}
	if len(serial) > MaxSerialLength {
		return 0, invalid(PartSerial, "流水号不能超过%d位", MaxSerialLength)
	}
	for i := 0; i < len(serial); i++ {
		if !isAlnum(serial[i]) {
			return 0, invalid(PartSerial, "流水号只能包含数字和大写字母，第%d位不是", i+1)
		}
	}
	if len(version) != 3 || !isDigits(version) {
		return 0, invalid(PartVersion, "版本号应为3位数字")
	}
	c, err := stdcode.LicenceCheckChar(typeCode + issuerCode + serial + version)
	if err != nil {
		// Unreachable: every part was checked to be digits and capitals.
		return 0, fmt.Errorf("ident: %w", err)
	}
	return c, nil
}

// creditCode validates a credit code in its canonical form only:
// stdcode.ValidateCreditCode alone would accept lower case and spaces.
func creditCode(s string) error {
	if stdcode.NormalizeCreditCode(s) != s {
		return errors.New("应使用大写字母，不含空格或全角字符")
	}
	return stdcode.ValidateCreditCode(s)
}

func isAlnum(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
