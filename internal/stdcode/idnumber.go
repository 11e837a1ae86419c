package stdcode

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// 公民身份号码 (citizen identity number), GB 11643-1999.
//
// Layout of the 18 characters:
//
//	positions 1-6    address code: the GB/T 2260 county-level code of the
//	                 holder's registered residence at the time of issue
//	positions 7-14   birth date, YYYYMMDD
//	positions 15-17  sequence code; odd for men, even for women
//	position  18     check character, ISO 7064 MOD 11-2 (0-9 or X)
//
// The address code is checked only for a real province: codes of
// abolished or renamed counties stay in valid numbers for life, so no
// current county table could judge the rest.

const idLength = 18

// minBirthYear rejects obviously mistyped years (0990, 1009, …) while
// still admitting the standard's own example 440524188001010014.
const minBirthYear = 1800

// idWeights are the MOD 11-2 weights 2^(17-i) mod 11 for positions 1-17.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps (weighted sum mod 11) to the check character.
const idCheckChars = "10X98765432"

// NormalizeIDNumber returns s in the canonical stored form: white space
// (anywhere, since people group the digits) and zero-width characters
// removed, full-width characters folded to ASCII and a lower-case check
// character x upper-cased to X. It does not validate.
func NormalizeIDNumber(s string) string {
	return cleanCode(s, true)
}

// IDCheckChar computes the GB 11643 check character (ISO 7064 MOD 11-2)
// for the first 17 digits of an identity number. It exists to generate
// demo and test data; use ValidateIDNumber to check a number.
func IDCheckChar(first17 string) (byte, error) {
	if len(first17) != idLength-1 || !allDigits(first17) {
		return 0, errors.New("公民身份号码本体码应为17位数字")
	}
	sum := 0
	for i := 0; i < len(first17); i++ {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], nil
}

// ValidateIDNumber reports whether s (after NormalizeIDNumber) is a valid
// 公民身份号码: 18 characters, 17 digits and a check character 0-9/X, a real
// province code at the start, a real calendar birth date that is not after
// today (in China Standard Time) relative to now, and a correct check
// character.
//
// Checks run from the coarsest to the finest so that the message points at
// the most likely mistake: a typo in the birth date is reported as such
// rather than as a wrong check character.
func ValidateIDNumber(s string, now time.Time) error {
	birth, err := checkIDNumber(NormalizeIDNumber(s))
	if err != nil {
		return err
	}
	// The birth date is a civil date in China, so "today" is taken in
	// China Standard Time whatever zone now carries: a baby registered just
	// after midnight in Beijing is still born "today" while UTC is on the
	// previous day.
	y, m, d := now.In(chinaTime).Date()
	if birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return errors.New("公民身份号码中的出生日期晚于当前日期")
	}
	return nil
}

// BirthDateFromID returns the birth date encoded in an identity number, as
// midnight UTC of that calendar date (only the year, month and day are
// meaningful; UTC keeps the date stable under .UTC() conversions). The
// number must pass every check of ValidateIDNumber except the comparison
// with today, which needs a clock.
func BirthDateFromID(s string) (time.Time, error) {
	return checkIDNumber(NormalizeIDNumber(s))
}

// Gender is a person's sex, valued as in GB/T 2261.1 (人的性别代码).
type Gender int

// GB/T 2261.1 codes.
const (
	GenderUnknown Gender = 0 // 未知的性别
	GenderMale    Gender = 1 // 男
	GenderFemale  Gender = 2 // 女
)

// String returns the Chinese name used on forms.
func (g Gender) String() string {
	switch g {
	case GenderMale:
		return "男"
	case GenderFemale:
		return "女"
	default:
		return "未知的性别"
	}
}

// GenderFromID returns the sex encoded in an identity number: the 17th
// digit (last of the sequence code) is odd for men and even for women. The
// number must pass the same checks as for BirthDateFromID, so that a sex is
// never read from a mistyped number.
func GenderFromID(s string) (Gender, error) {
	n := NormalizeIDNumber(s)
	if _, err := checkIDNumber(n); err != nil {
		return GenderUnknown, err
	}
	if (n[16]-'0')%2 == 1 {
		return GenderMale, nil
	}
	return GenderFemale, nil
}

// checkIDNumber validates an already normalised number, except for the
// comparison with today, and returns its birth date (midnight UTC).
func checkIDNumber(n string) (time.Time, error) {
	if n == "" {
		return time.Time{}, errors.New("公民身份号码不能为空")
	}
	if c := utf8.RuneCountInString(n); c != idLength {
		if c == 15 {
			return time.Time{}, errors.New("公民身份号码应为18位，15位的旧号码已停止使用，请填写18位号码")
		}
		return time.Time{}, fmt.Errorf("公民身份号码应为18位，当前为%d位", c)
	}
	pos := 0
	for _, r := range n {
		pos++
		if pos < idLength && !isDigit(r) {
			return time.Time{}, fmt.Errorf("公民身份号码第%d位应为数字", pos)
		}
		if pos == idLength && !isDigit(r) && r != 'X' {
			return time.Time{}, errors.New("公民身份号码第18位（校验码）应为数字或X")
		}
	}
	// From here on n is 18 ASCII bytes.
	if !isIDProvince(n[:2]) {
		return time.Time{}, fmt.Errorf("公民身份号码前2位“%s”不是有效的省级行政区划代码", n[:2])
	}
	birth, ok := parseYYYYMMDD(n[6:14])
	if !ok || birth.Year() < minBirthYear {
		return time.Time{}, errors.New("公民身份号码中的出生日期无效")
	}
	if c, _ := IDCheckChar(n[:17]); c != n[17] {
		return time.Time{}, errors.New("公民身份号码校验位不正确")
	}
	return birth, nil
}

// parseYYYYMMDD parses eight ASCII digits as a real calendar date (so
// 19900230 and 19000229 are rejected), returning midnight UTC.
func parseYYYYMMDD(s string) (time.Time, bool) {
	if len(s) != 8 || !allDigits(s) {
		return time.Time{}, false
	}
	num := func(t string) int {
		v := 0
		for i := 0; i < len(t); i++ {
			v = v*10 + int(t[i]-'0')
		}
		return v
	}
	y, m, d := num(s[:4]), num(s[4:6]), num(s[6:])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	// time.Date normalises 02-30 to 03-02; a real date survives unchanged.
	if t.Year() != y || t.Month() != time.Month(m) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}
