package stdcode

import (
	"errors"
	"fmt"
	"strings"
)

// Mainland China mobile numbers: 11 digits, starting 13-19 (the 1x
// prefixes below 13 have never been assigned to mobile networks).

// isPhoneSeparator reports the characters people put inside phone numbers:
// ASCII and typographic dashes (full-width ones were folded to ASCII
// before) and parentheses around area or country codes.
func isPhoneSeparator(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '―', '−', '(', ')':
		return true
	}
	return false
}

// NormalizePhone returns s with white space, dashes and parentheses removed,
// full-width characters folded to ASCII, and the mainland country code
// dropped: a leading "+86" always, and "0086" or "86" when what follows is
// 11 digits (so that an 86 that is part of a number is kept). Prefixes are
// dropped until none applies, so normalising twice changes nothing. It does
// not validate and works for landlines too.
func NormalizePhone(s string) string {
	var b strings.Builder
	for _, r := range cleanCode(s, false) {
		if !isPhoneSeparator(r) {
			b.WriteRune(r)
		}
	}
	n := b.String()
	for {
		switch {
		case strings.HasPrefix(n, "+86"):
			n = n[3:]
		case len(n) == 15 && strings.HasPrefix(n, "0086") && allDigits(n):
			n = n[4:]
		case len(n) == 13 && strings.HasPrefix(n, "86") && allDigits(n):
			n = n[2:]
		default:
			return n
		}
	}
}

// ValidateMobile reports whether s (after NormalizePhone) is a mainland
// China mobile number: 11 digits starting with 13-19.
func ValidateMobile(s string) error {
	n := NormalizePhone(s)
	if n == "" {
		return errors.New("手机号码不能为空")
	}
	if !allDigits(n) {
		return errors.New("手机号码只能包含数字（仅支持中国大陆手机号码）")
	}
	if len(n) != 11 {
		return fmt.Errorf("手机号码应为11位数字，当前为%d位", len(n))
	}
	if n[0] != '1' || n[1] < '3' {
		return errors.New("手机号码号段无效，应以13至19开头")
	}
	return nil
}
