package stdcode

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMaskIDNumber(t *testing.T) {
	tests := map[string]string{
		"330102199001011234":        "3301**********1234",
		"11010519491231002x":        "1101**********002X",
		" 330102 19900101 1234 ":    "3301**********1234",
		"330102900101123":           "3301*******1123", // old 15-digit number
		"3301021990":                "3********0",
		"123":                       "1*3",
		"12":                        "1*",
		"1":                         "*",
		"":                          "",
		"身份证号码":                     "身***码",
		"\xff\xfe12345678901234567": "\uFFFD123**********4567", // a run of invalid bytes becomes one U+FFFD
	}
	for in, want := range tests {
		if got := MaskIDNumber(in); got != want {
			t.Errorf("MaskIDNumber(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := map[string]string{
		"13812345678":       "138****5678",
		"+86 138-1234-5678": "138****5678",
		"0571-87654321":     "057*****4321",
		"87654321":          "8******1",
		"110":               "1*0",
		"":                  "",
		"电话":                "电*",
	}
	for in, want := range tests {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := map[string]string{
		"王秀英":        "王*英",
		"李明":         "李*",
		"欧阳娜娜":       "欧**娜",
		"阿依古丽·买买提":   "阿******提",
		"王":          "*",
		" 李明 ":       "李*",
		"":           "",
		"John Smith": "J********h",
		"\xff王":      "\uFFFD*",
	}
	for in, want := range tests {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q; want %q", in, got, want)
		}
	}
}

// checkMask asserts the shared masking invariants: valid UTF-8, one output
// rune per input rune, every rune either kept in place or '*', and at least
// one '*' in a non-empty value, at most 8 runes shown.
func checkMask(t *testing.T, fn, in, normalised, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%s(%q) = %q: invalid UTF-8", fn, in, out)
	}
	src := runesOf(normalised)
	got := []rune(out)
	if len(got) != len(src) {
		t.Fatalf("%s(%q) = %q: %d runes, want %d", fn, in, out, len(got), len(src))
	}
	shown := 0
	for i := range got {
		switch {
		case got[i] == src[i] && got[i] != '*':
			shown++
		case got[i] == '*':
		default:
			t.Fatalf("%s(%q) = %q: rune %d changed", fn, in, out, i)
		}
	}
	if len(src) > 0 && !strings.ContainsRune(out, '*') {
		t.Fatalf("%s(%q) = %q: nothing masked", fn, in, out)
	}
	if shown > 8 {
		t.Fatalf("%s(%q) = %q: %d characters shown", fn, in, out, shown)
	}
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"330102199001011234", "13812345678", "+86 138-1234-5678", "王秀英", "李明", "", "\xff", "a", "欧阳娜娜"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkMask(t, "MaskIDNumber", s, NormalizeIDNumber(s), MaskIDNumber(s))
		checkMask(t, "MaskPhone", s, NormalizePhone(s), MaskPhone(s))
		checkMask(t, "MaskName", s, strings.TrimSpace(s), MaskName(s))

		n := NormalizePhone(s)
		if NormalizePhone(n) != n {
			t.Fatalf("NormalizePhone not idempotent on %q: %q then %q", s, n, NormalizePhone(n))
		}
		if ValidateMobile(s) == nil {
			if len(n) != 11 || !allDigits(n) || ValidateMobile(n) != nil {
				t.Fatalf("valid mobile %q normalised to %q", s, n)
			}
			if m := MaskPhone(s); m != n[:3]+"****"+n[7:] {
				t.Fatalf("MaskPhone(%q) = %q", s, m)
			}
		}
	})
}
