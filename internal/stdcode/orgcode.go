package stdcode

import "errors"

// 组织机构代码 (organisation code), GB 11714-1997: 8 characters (digits or
// capital letters) followed by a check character. Since 2015 it survives as
// positions 9-17 of the 统一社会信用代码; this package only needs its check
// character to build realistic demo credit codes.

// orgWeights are the GB 11714 weights for the 8 body characters.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// OrgCodeCheckChar computes the GB 11714 check character for an 8-character
// organisation code body: C9 = 11 - (Σ value×weight mod 11), with 10 written
// as X and 11 as 0. Digits are worth 0-9 and letters A-Z 10-35.
func OrgCodeCheckChar(first8 string) (byte, error) {
	if len(first8) != len(orgWeights) {
		return 0, errors.New("组织机构代码本体码应为8位")
	}
	sum := 0
	for i := 0; i < len(first8); i++ {
		var v int
		switch c := first8[i]; {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return 0, errors.New("组织机构代码本体码只能包含数字和大写字母")
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', nil
	case 11:
		return '0', nil
	default:
		return byte('0' + c), nil
	}
}
