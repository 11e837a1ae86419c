package stdcode

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// 统一社会信用代码 (unified social credit code), GB 32100-2015.
//
// Layout of the 18 characters:
//
//	position  1     登记管理部门代码 registration authority (1 机构编制,
//	                5 民政, 9 工商/市场监管, N 农业, Y 其他, …)
//	position  2     机构类别代码 organisation category within that authority
//	positions 3-8   登记管理机关行政区划码 GB/T 2260 code of the registering
//	                office (100000 for central bodies)
//	positions 9-17  主体标识码: the GB 11714 组织机构代码 (8 characters plus
//	                its own check character)
//	position  18    check character over positions 1-17, modulus 31
//
// Characters come from the 31-symbol set 0-9 and the capitals except I, O,
// S, V, Z (dropped because they are mistaken for 1, 0, 5, U, 2).
//
// Deliberate leniency: position 2 is only checked against the character
// set, because each registration authority assigns its own category codes
// and has added some over time; and the organisation code's own check
// character (position 17) is not verified, because codes carried over
// from before 2015 include organisation codes whose check digit is wrong,
// yet their 18th character was computed correctly when the credit code was
// assigned. The 18th character catches typing errors on its own.

const creditCodeLength = 18

// creditCharset lists the code symbols in value order (0..30).
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditDepartments are the accepted 登记管理部门代码: 1-9 and A-H, N, Y.
const creditDepartments = "123456789ABCDEFGHNY"

// creditWeights are 3^i mod 31 for positions 1-17.
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditValue returns the value 0..30 of a code symbol, or -1.
func creditValue(r rune) int {
	if r >= utf8.RuneSelf {
		return -1
	}
	return strings.IndexByte(creditCharset, byte(r))
}

// NormalizeCreditCode returns s in the canonical stored form: white space
// and zero-width characters removed, full-width characters folded to ASCII
// and letters upper-cased. It does not validate.
func NormalizeCreditCode(s string) string {
	return cleanCode(s, true)
}

// CreditCodeCheckChar computes the GB 32100 check character for the first
// 17 characters of a credit code: C18 = 31 - (Σ value×weight mod 31), where
// 31 becomes 0. It exists to generate demo and test data.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if utf8.RuneCountInString(first17) != creditCodeLength-1 {
		return 0, errors.New("统一社会信用代码本体码应为17位")
	}
	if err := checkCreditChars(first17); err != nil {
		return 0, err
	}
	return creditCheck(first17), nil
}

// creditCheck computes the check character of 17 validated symbols.
func creditCheck(first17 string) byte {
	sum := 0
	for i := 0; i < creditCodeLength-1; i++ {
		sum += creditValue(rune(first17[i])) * creditWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditCharset[c]
}

// checkCreditChars reports the first character of s outside the code's set.
func checkCreditChars(s string) error {
	pos := 0
	for _, r := range s {
		pos++
		if creditValue(r) < 0 {
			return fmt.Errorf("统一社会信用代码第%d位不是有效字符（只能使用数字和除I、O、S、V、Z以外的大写字母）", pos)
		}
	}
	return nil
}

// ValidateCreditCode reports whether s (after NormalizeCreditCode) is a
// valid 统一社会信用代码: 18 characters from the code's set, a known
// registration authority in position 1, digits in positions 3-8 and a
// correct 18th check character. See the file comment for what is
// deliberately not checked.
func ValidateCreditCode(s string) error {
	n := NormalizeCreditCode(s)
	if n == "" {
		return errors.New("统一社会信用代码不能为空")
	}
	if c := utf8.RuneCountInString(n); c != creditCodeLength {
		return fmt.Errorf("统一社会信用代码应为18位，当前为%d位", c)
	}
	if err := checkCreditChars(n); err != nil {
		return err
	}
	// From here on n is 18 ASCII bytes.
	if strings.IndexByte(creditDepartments, n[0]) < 0 {
		return errors.New("统一社会信用代码第1位（登记管理部门代码）无效")
	}
	if !allDigits(n[2:8]) {
		return errors.New("统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字")
	}
	if creditCheck(n[:17]) != n[17] {
		return errors.New("统一社会信用代码校验位不正确")
	}
	return nil
}
