package stdcode

import (
	"strings"
	"time"
	"unicode"
)

// chinaTime is China Standard Time (UTC+8, no daylight saving). A fixed zone
// is used instead of time.LoadLocation("Asia/Shanghai") so the package needs
// no tzdata on the host; China has not observed daylight saving since 1991,
// and only today's date is ever derived from it.
var chinaTime = time.FixedZone("CST", 8*60*60)

// foldWidth maps the full-width forms of printable ASCII (U+FF01..U+FF5E),
// which Chinese input methods produce easily ("３３０１…", "Ｘ"), to ASCII.
func foldWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

// isInvisible reports white space and the zero-width characters that come
// along when codes are copied from web pages, PDFs and chat messages.
func isInvisible(r rune) bool {
	switch r {
	case '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return true
	}
	return unicode.IsSpace(r)
}

// cleanCode is the shared normalisation for codes: invalid UTF-8 becomes
// U+FFFD (so the result is valid UTF-8 and normalising again changes
// nothing), full-width ASCII is folded to ASCII, white space and zero-width
// characters anywhere are dropped (people group digits as on printed cards)
// and, when upper is set, ASCII letters are upper-cased. Only ASCII is
// upper-cased: the codes are ASCII, and unicode.ToUpper on other scripts
// could change lengths and would gain nothing.
func cleanCode(s string, upper bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = foldWidth(r)
		if isInvisible(r) {
			continue
		}
		if upper && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// allDigits reports whether s is non-empty and made of ASCII digits only.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// allZero reports whether s consists of '0' bytes only.
func allZero(s string) bool {
	return strings.Trim(s, "0") == ""
}
