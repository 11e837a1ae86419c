package stdcode

import (
	"strings"
	"unicode/utf8"
)

// Masking for screens and logs. Masks keep the length (one '*' per hidden
// character, so the shape stays recognisable), work on runes so that
// Chinese text is never cut inside a character, accept any input, invalid
// UTF-8 included, and never panic. Values too short for a field's usual
// mask fall back to showing only their first and last character.

const maskRune = '*'

// maskKeep shows the first head and last tail runes of r and masks the rest.
// The caller guarantees head+tail < len(r).
func maskKeep(r []rune, head, tail int) string {
	var b strings.Builder
	b.Grow(len(r) + 4)
	for i, c := range r {
		if i < head || i >= len(r)-tail {
			b.WriteRune(c)
		} else {
			b.WriteRune(maskRune)
		}
	}
	return b.String()
}

// maskShort is the fallback for values too short for their usual mask:
// keep only the first and last rune; with 2 runes keep only the first, and
// a single rune is masked entirely.
func maskShort(r []rune) string {
	switch len(r) {
	case 0:
		return ""
	case 1:
		return string(maskRune)
	case 2:
		return maskKeep(r, 1, 0)
	default:
		return maskKeep(r, 1, 1)
	}
}

// runesOf decodes s, turning each invalid byte into U+FFFD.
func runesOf(s string) []rune {
	if utf8.ValidString(s) {
		return []rune(s)
	}
	return []rune(strings.ToValidUTF8(s, "\uFFFD"))
}

// MaskIDNumber masks an identity number for display, keeping the first 4
// characters (province and city, useful for support staff) and the last 4:
// "330102199001011234" → "3301**********1234". The input is normalised
// first (NormalizeIDNumber). Values shorter than 15 characters (the old
// ID length) would show too much that way and keep only their first and
// last character.
func MaskIDNumber(s string) string {
	r := runesOf(NormalizeIDNumber(s))
	if len(r) >= 15 {
		return maskKeep(r, 4, 4)
	}
	return maskShort(r)
}

// MaskPhone masks a phone number for display, keeping the first 3 digits
// (the network prefix) and the last 4: "13812345678" → "138****5678". The
// input is normalised first (NormalizePhone), so "+86 138-1234-5678" gives
// the same result. Values shorter than 11 characters keep only their first
// and last character.
func MaskPhone(s string) string {
	r := runesOf(NormalizePhone(s))
	if len(r) >= 11 {
		return maskKeep(r, 3, 4)
	}
	return maskShort(r)
}

// MaskName masks a person's name for display, keeping the first and last
// character: "王秀英" → "王*英", "欧阳娜娜" → "欧**娜"; a two-character
// name keeps only the surname ("李明" → "李*") and a one-character value is
// masked entirely. Surrounding white space is trimmed.
func MaskName(s string) string {
	return maskShort(runesOf(strings.TrimSpace(s)))
}
