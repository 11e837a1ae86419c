package calendar_test

import (
	"strings"
	"testing"

	"yiwang/internal/calendar"
)

// A date that parses prints back exactly as typed; nothing panics.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-10-01", "2026-02-30", "0000-00-00", "9999-12-31", "2026-1-01", "２０２６-10-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := calendar.ParseDate(s)
		if err == nil && d.String() != s {
			t.Fatalf("%q parsed as %s", s, d)
		}
	})
}

// Every entry comes from a line that is neither blank nor a comment, and
// every other line is reported; nothing panics.
func FuzzParseLines(f *testing.F) {
	f.Add("2026-10-01 休 国庆节\n2026-10-10 班 国庆节调休上班\n")
	f.Add("# x\n\n2026-10-01\n2026-10-02 放 y\n　2026-10-03　休　全角空格\n")
	f.Fuzz(func(t *testing.T, text string) {
		days, lines, bad := calendar.ParseLines(text)
		if len(days) != len(lines) {
			t.Fatalf("%d days, %d line numbers", len(days), len(lines))
		}
		all := strings.Split(text, "\n")
		for i, no := range lines {
			if _, dup := bad[no]; dup || no < 1 || no > len(all) || days[i].Workday == nil {
				t.Fatalf("entry %d from line %d: %+v", i, no, days[i])
			}
		}
	})
}
