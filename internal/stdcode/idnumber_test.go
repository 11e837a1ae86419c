package stdcode

import (
	"strings"
	"testing"
	"time"
)

// testNow is a fixed clock: 2026-03-01 20:00 UTC is already 2026-03-02 in
// China.
var testNow = time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)

// withIDCheck appends the correct check character to 17 digits.
func withIDCheck(t testing.TB, first17 string) string {
	t.Helper()
	c, err := IDCheckChar(first17)
	if err != nil {
		t.Fatalf("IDCheckChar(%q): %v", first17, err)
	}
	return first17 + string(rune(c))
}

func TestIDCheckChar(t *testing.T) {
	tests := []struct {
		first17 string
		want    byte
	}{
		// The two examples printed in GB 11643-1999 itself.
		{"11010519491231002", 'X'},
		{"44052418800101001", '4'},
		{"33010219900101123", '4'},
		{"11010120000101001", '0'},
	}
	for _, tt := range tests {
		got, err := IDCheckChar(tt.first17)
		if err != nil || got != tt.want {
			t.Errorf("IDCheckChar(%q) = %q, %v; want %q", tt.first17, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "1101051949123100", "110105194912310021", "1101051949123100X", "１１０１０５１９４９１２３１００２"} {
		if _, err := IDCheckChar(bad); err == nil {
			t.Errorf("IDCheckChar(%q) succeeded, want error", bad)
		}
	}
}

func TestValidateIDNumber(t *testing.T) {
	valid := []string{
		"11010519491231002X", // GB 11643-1999 example
		"440524188001010014", // GB 11643-1999 example, born 1880
		"330102199001011234",
		"11010519491231002x",      // lower-case check character
		" 110105 19491231 002X\t", // grouped and padded
		"１１０１０５１９４９１２３１００２Ｘ",                // full-width input
		"\uFEFF11010519491231002X\u200B",    // copied with zero-width characters
		withIDCheck(t, "81000019800101001"), // Hong Kong resident permit
		withIDCheck(t, "83000019800101002"), // Taiwan resident permit
		withIDCheck(t, "44190020200229002"), // leap day
		withIDCheck(t, "65010220260302001"), // born today in China (UTC still 03-01)
		withIDCheck(t, "54010218000101001"), // earliest accepted year
		withIDCheck(t, "71000019491001001"), // 71 is a GB/T 2260 province
		withIDCheck(t, "50010119991231999"), // sequence 999
		withIDCheck(t, "46040020000229000"), // sequence 000 is not judged
		withIDCheck(t, "82000020000131002"), // Macao resident permit
	}
	for _, s := range valid {
		if err := ValidateIDNumber(s, testNow); err != nil {
			t.Errorf("ValidateIDNumber(%q) = %v; want nil", s, err)
		}
	}

	invalid := []struct {
		s, want string
	}{
		{"", "公民身份号码不能为空"},
		{"   ", "公民身份号码不能为空"},
		{"11010519491231002", "公民身份号码应为18位，当前为17位"},
		{"11010519491231002X1", "公民身份号码应为18位，当前为19位"},
		{"110105491231002", "15位的旧号码已停止使用"},
		{"1101051949123100２2X", "公民身份号码应为18位，当前为19位"},
		{"1101051949123100AX", "公民身份号码第17位应为数字"},
		{"X10105194912310021", "公民身份号码第1位应为数字"},
		{"11010519491231002Y", "公民身份号码第18位（校验码）应为数字或X"},
		{"1101051949123100中X", "公民身份号码第17位应为数字"},
		{"11010519491231002Ｙ", "公民身份号码第18位（校验码）应为数字或X"},
		{"110105194912310021", "公民身份号码校验位不正确"},
		{"11010519491231002Z", "公民身份号码第18位（校验码）应为数字或X"},
		{withIDCheck(t, "00010519491231002"), "公民身份号码前2位“00”不是有效的省级行政区划代码"},
		{withIDCheck(t, "19010519491231002"), "不是有效的省级行政区划代码"},
		{withIDCheck(t, "84010519491231002"), "不是有效的省级行政区划代码"},
		{withIDCheck(t, "99010519491231002"), "不是有效的省级行政区划代码"},
		{withIDCheck(t, "11010519900230002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "11010519000229002"), "公民身份号码中的出生日期无效"}, // 1900 is not a leap year
		{withIDCheck(t, "11010519901301002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "11010519900001002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "11010519900100002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "11010519900431002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "11010517991231002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "11010509901231002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "11010500000101002"), "公民身份号码中的出生日期无效"},
		{withIDCheck(t, "65010220260303001"), "公民身份号码中的出生日期晚于当前日期"},
		{withIDCheck(t, "65010230000101001"), "公民身份号码中的出生日期晚于当前日期"},
	}
	for _, tt := range invalid {
		err := ValidateIDNumber(tt.s, testNow)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateIDNumber(%q) = %v; want error containing %q", tt.s, err, tt.want)
		}
	}
}

// TestValidateIDNumberSingleChange checks that every single-character
// substitution of valid numbers is rejected, and rejected for the check
// character whenever the change leaves province and birth date valid.
func TestValidateIDNumberSingleChange(t *testing.T) {
	for _, id := range []string{"11010519491231002X", "440524188001010014", "330102199001011234"} {
		for pos := 0; pos < len(id); pos++ {
			for _, c := range "0123456789X" {
				if byte(c) == id[pos] {
					continue
				}
				m := id[:pos] + string(c) + id[pos+1:]
				err := ValidateIDNumber(m, testNow)
				if err == nil {
					t.Errorf("ValidateIDNumber(%q) (position %d changed) = nil; want error", m, pos+1)
					continue
				}
				bodyDigit := c != 'X' || pos == 17
				touchesStructure := pos < 2 || (pos >= 6 && pos < 14)
				if bodyDigit && !touchesStructure && err.Error() != "公民身份号码校验位不正确" {
					t.Errorf("ValidateIDNumber(%q) = %v; want the check-character error", m, err)
				}
			}
		}
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := map[string]string{
		"11010519491231002x":      "11010519491231002X",
		" 110105 1949 1231 002X ": "11010519491231002X",
		"１１０１０５１９４９１２３１００２ｘ":             "11010519491231002X",
		"\u3000110105\u00A019491231002X": "11010519491231002X",
		"":                               "",
		"abc":                            "ABC",
		"\xff1":                          "\uFFFD1",
	}
	for in, want := range tests {
		if got := NormalizeIDNumber(in); got != want {
			t.Errorf("NormalizeIDNumber(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestBirthDateAndGenderFromID(t *testing.T) {
	tests := []struct {
		id     string
		birth  string
		gender Gender
	}{
		{"11010519491231002X", "1949-12-31", GenderFemale},
		{"440524188001010014", "1880-01-01", GenderMale},
		{"330102199001011234", "1990-01-01", GenderMale},
		{"11010519491231002x", "1949-12-31", GenderFemale},
	}
	for _, tt := range tests {
		b, err := BirthDateFromID(tt.id)
		if err != nil || b.Format("2006-01-02") != tt.birth || b.Location() != time.UTC || b.Hour() != 0 {
			t.Errorf("BirthDateFromID(%q) = %v, %v; want %s midnight UTC", tt.id, b, err, tt.birth)
		}
		g, err := GenderFromID(tt.id)
		if err != nil || g != tt.gender {
			t.Errorf("GenderFromID(%q) = %v, %v; want %v", tt.id, g, err, tt.gender)
		}
	}
	// Future dates are a matter for ValidateIDNumber (it needs a clock).
	if _, err := BirthDateFromID(withIDCheck(t, "65010230000101001")); err != nil {
		t.Errorf("BirthDateFromID(future) = %v; want nil", err)
	}
	for _, bad := range []string{"", "110105194912310021", "11010519491231002", withIDCheck(t, "11010519900230002")} {
		if _, err := BirthDateFromID(bad); err == nil {
			t.Errorf("BirthDateFromID(%q) succeeded; want error", bad)
		}
		if g, err := GenderFromID(bad); err == nil || g != GenderUnknown {
			t.Errorf("GenderFromID(%q) = %v, %v; want GenderUnknown and an error", bad, g, err)
		}
	}
	if GenderMale.String() != "男" || GenderFemale.String() != "女" || GenderUnknown.String() != "未知的性别" {
		t.Error("Gender.String names are wrong")
	}
}

func FuzzValidateIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "440524188001010014", "11010519491231002x", " 110105 19491231 002X",
		"110105194912310021", "", "１１０１０５１９４９１２３１００２Ｘ", "\xff\xfe", "83000019800101002",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeIDNumber(s)
		if NormalizeIDNumber(n) != n {
			t.Fatalf("NormalizeIDNumber not idempotent on %q: %q then %q", s, n, NormalizeIDNumber(n))
		}
		err := ValidateIDNumber(s, testNow)
		_, berr := BirthDateFromID(s)
		_, gerr := GenderFromID(s)
		if len(n) >= 17 {
			_, _ = IDCheckChar(n[:17])
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		// A number that validates normalises to an 18-character canonical
		// form that validates again, unchanged, with a consistent check
		// character, birth date and sex.
		if len(n) != 18 || strings.ContainsRune(n, 'x') {
			t.Fatalf("valid %q normalised to non-canonical %q", s, n)
		}
		if err := ValidateIDNumber(n, testNow); err != nil {
			t.Fatalf("normalised %q no longer valid: %v", n, err)
		}
		if c, err := IDCheckChar(n[:17]); err != nil || c != n[17] {
			t.Fatalf("IDCheckChar(%q) = %q, %v; want %q", n[:17], c, err, n[17])
		}
		if berr != nil || gerr != nil {
			t.Fatalf("valid %q: BirthDateFromID %v, GenderFromID %v", s, berr, gerr)
		}
		if m := MaskIDNumber(s); m != n[:4]+"**********"+n[14:] {
			t.Fatalf("MaskIDNumber(%q) = %q", s, m)
		}
	})
}
