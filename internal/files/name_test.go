package files_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/files"
)

func TestCleanName(t *testing.T) {
	for _, tc := range []struct {
		raw, want string // want "" means refused
	}{
		{"申请书.pdf", "申请书.pdf"},
		{"  scan 1.pdf  ", "scan 1.pdf"},
		{"\u3000营业执照.jpg\u3000", "营业执照.jpg"},
		{`C:\Users\王秀英\Desktop\身份证.jpg`, "身份证.jpg"},
		{"dir/sub/photo.png", "photo.png"},
		{"a\x00b\x1f\x7f.pdf", "ab.pdf"},
		{"a\tb\nc.pdf", "abc.pdf"},
		{"evil\u202egpj.exe", "evilgpj.exe"},
		{"zero\u200bwidth\ufeff.pdf", "zerowidth.pdf"},
		{`a<b>:c"d|e?f*.pdf`, "a_b__c_d_e_f_.pdf"},
		{"\xff\xfe名.pdf", "名.pdf"},
		{"..pdf", "..pdf"},
		{"...", "..."},
		{"report..final.pdf", "report..final.pdf"},
		{strings.Repeat("长", 150) + ".pdf", strings.Repeat("长", 96) + ".pdf"},
		{strings.Repeat("a", 200), strings.Repeat("a", 100)},
		{strings.Repeat("x", 99) + " " + strings.Repeat("y", 10) + ".verylongext", strings.Repeat("x", 99)},
		// Refused: path tricks and names with nothing left.
		{"../../etc/passwd.pdf", ""},
		{`..\..\windows\win.ini`, ""},
		{"a/ .. /b.pdf", ""},
		{"a/..\u200b/b.pdf", ""},
		{"..", ""},
		{".", ""},
		{"", ""},
		{"   ", ""},
		{"/", ""},
		{"dir/", ""},
		{`dir\`, ""},
		{"\u202e\u200b", ""},
		{"\x00\x01", ""},
	} {
		got, err := files.CleanName(tc.raw)
		if tc.want == "" {
			if err == nil {
				t.Errorf("CleanName(%q) = %q, want refused", tc.raw, got)
			} else if !apperr.Is(err, apperr.Invalid) || apperr.Message(err) == "" {
				t.Errorf("CleanName(%q): %v is not an Invalid error with a message", tc.raw, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CleanName(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
		}
	}
}

// FuzzCleanName checks the promises CleanName makes for any input: the
// result is refused or a non-empty, trimmed, valid UTF-8 base name of at
// most 100 runes with no separator, control or format character, never
// "." or "..", and cleaning it again changes nothing.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"申请书.pdf", "../../etc/passwd.pdf", `C:\a\b.jpg`, "a\x00b", "\u202egpj.exe", strings.Repeat("长", 120) + ".ofd", " . ", "..\u200b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := files.CleanName(raw)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("CleanName(%q): %v is not Invalid", raw, err)
			}
			return
		}
		if got == "" || got == "." || got == ".." {
			t.Fatalf("CleanName(%q) = %q", raw, got)
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > files.MaxNameRunes {
			t.Fatalf("CleanName(%q) = %q: invalid UTF-8 or too long", raw, got)
		}
		if strings.ContainsAny(got, `/\`) {
			t.Fatalf("CleanName(%q) = %q contains a separator", raw, got)
		}
		if strings.TrimSpace(got) != got {
			t.Fatalf("CleanName(%q) = %q is not trimmed", raw, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("CleanName(%q) = %q contains %U", raw, got, r)
			}
		}
		again, err := files.CleanName(got)
		if err != nil || again != got {
			t.Fatalf("CleanName not idempotent: %q → %q → %q, %v", raw, got, again, err)
		}
	})
}
