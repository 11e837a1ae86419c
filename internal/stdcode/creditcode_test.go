package stdcode

import (
	"strings"
	"testing"
)

// realCreditCodes are codes published by real organisations (in licence
// identifiers issued by government systems and on business licences); each
// check character was also recomputed independently of this package.
var realCreditCodes = []string{
	"91350100M000100Y43", // the example commonly cited for GB 32100
	"11100000000013338W", // from issued 电子证照标识 type codes
	"11100000000013661B",
	"11100000MB03271699",
	"11220000013544541J", // issuers in issued 电子证照标识
	"11370800MB28559184",
	"113700000045046442",
	"11430000006122244L",
	"11330105002500287C",
	"914403001922038216",
	"91330100716105852F",
	"91110000100010433L",
	"91440300708461136T",
	"911100007109311097",
	"91110108551385082Q",
}

func TestCreditCodeCheckChar(t *testing.T) {
	for _, code := range realCreditCodes {
		c, err := CreditCodeCheckChar(code[:17])
		if err != nil || c != code[17] {
			t.Errorf("CreditCodeCheckChar(%q) = %q, %v; want %q", code[:17], c, err, code[17])
		}
	}
	// The weights really are 3^i mod 31.
	w := 1
	for i, got := range creditWeights {
		if got != w {
			t.Errorf("creditWeights[%d] = %d; want %d", i, got, w)
		}
		w = w * 3 % 31
	}
	// A sum ≡ 0 (mod 31) gives 31, written 0.
	if c, err := CreditCodeCheckChar("00000000000000000"); err != nil || c != '0' {
		t.Errorf("CreditCodeCheckChar(zeros) = %q, %v; want '0'", c, err)
	}
	for _, bad := range []string{"", "91350100M000100Y", "91350100M000100Y43", "91350100M000100YI", "91350100m000100Y4", "9135010０M000100Y4"} {
		if _, err := CreditCodeCheckChar(bad); err == nil {
			t.Errorf("CreditCodeCheckChar(%q) succeeded; want error", bad)
		}
	}
}

func TestValidateCreditCode(t *testing.T) {
	valid := append([]string{
		"91350100m000100y43",
		" 9135 0100 M000 100Y 43 ",
		"９１３５０１００Ｍ０００１００Ｙ４３",
		demoCreditCode(t, "5", "1", "110101", "ABCD1234"),
		demoCreditCode(t, "Y", "1", "440300", "00000006"), // organisation check 'X'
		demoCreditCode(t, "N", "2", "330102", "M000100Y"),
		demoCreditCode(t, "A", "1", "100000", "12345678"),
	}, realCreditCodes...)
	for _, s := range valid {
		if err := ValidateCreditCode(s); err != nil {
			t.Errorf("ValidateCreditCode(%q) = %v; want nil", s, err)
		}
	}

	// A legacy code whose embedded organisation code has a wrong check
	// digit is still accepted when its 18th character is right.
	legacy := withCreditCheck(t, "91350100M000100Y5")
	if err := ValidateCreditCode(legacy); err != nil {
		t.Errorf("ValidateCreditCode(legacy %q) = %v; want nil", legacy, err)
	}

	invalid := []struct {
		s, want string
	}{
		{"", "统一社会信用代码不能为空"},
		{"91350100M000100Y4", "统一社会信用代码应为18位，当前为17位"},
		{"91350100M000100Y431", "统一社会信用代码应为18位，当前为19位"},
		{"91350100M000100Y4中", "统一社会信用代码第18位不是有效字符"},
		{"91350100M000100I43", "统一社会信用代码第16位不是有效字符"},
		{"91350100O000100Y43", "统一社会信用代码第9位不是有效字符"},
		{"91350100M000100Y4Z", "统一社会信用代码第18位不是有效字符"},
		{"9S350100M000100Y43", "统一社会信用代码第2位不是有效字符"},
		{"91350100M00V100Y43", "统一社会信用代码第12位不是有效字符"},
		{"91350100M000100Y4-", "统一社会信用代码第18位不是有效字符"},
		{"913501中0M000100Y43", "统一社会信用代码第7位不是有效字符"},
		{"913501中M000100Y43", "统一社会信用代码应为18位，当前为17位"},
		{withCreditCheck(t, "01350100M000100Y4"), "统一社会信用代码第1位（登记管理部门代码）无效"},
		{withCreditCheck(t, "J1350100M000100Y4"), "统一社会信用代码第1位（登记管理部门代码）无效"},
		{withCreditCheck(t, "91A50100M000100Y4"), "统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字"},
		{withCreditCheck(t, "913501Y0M000100Y4"), "统一社会信用代码第3至8位（登记管理机关行政区划码）应为数字"},
		{"91350100M000100Y44", "统一社会信用代码校验位不正确"},
		{"91350100M000100Y34", "统一社会信用代码校验位不正确"}, // adjacent transposition
	}
	for _, tt := range invalid {
		err := ValidateCreditCode(tt.s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateCreditCode(%q) = %v; want error containing %q", tt.s, err, tt.want)
		}
	}
}

// TestValidateCreditCodeSingleChange checks that every single-character
// substitution (within the code's own character set) of real codes is
// rejected, and for the check character whenever position 1 stays a known
// authority and positions 3-8 stay digits.
func TestValidateCreditCodeSingleChange(t *testing.T) {
	for _, code := range realCreditCodes {
		for pos := 0; pos < len(code); pos++ {
			for _, c := range creditCharset {
				if byte(c) == code[pos] {
					continue
				}
				m := code[:pos] + string(c) + code[pos+1:]
				err := ValidateCreditCode(m)
				if err == nil {
					t.Errorf("ValidateCreditCode(%q) (position %d changed) = nil; want error", m, pos+1)
					continue
				}
				structural := (pos == 0 && !strings.ContainsRune(creditDepartments, c)) ||
					(pos >= 2 && pos < 8 && !isDigit(c))
				if !structural && err.Error() != "统一社会信用代码校验位不正确" {
					t.Errorf("ValidateCreditCode(%q) = %v; want the check-character error", m, err)
				}
			}
		}
	}
}

func TestOrgCodeCheckChar(t *testing.T) {
	tests := []struct {
		first8 string
		want   byte
	}{
		{"00001333", '8'}, // inside 11100000000013338W
		{"M000100Y", '4'}, // inside 91350100M000100Y43
		{"00000000", '0'}, // 11 - 0 = 11 → 0
		{"00000006", 'X'}, // sum 12, 11 - 1 = 10 → X
		{"D2143569", 'X'}, // by hand: 39+14+9+40+15+40+24+18 = 199 ≡ 1, 11-1 = 10 → X
		{"12345678", '8'}, // by hand: 3+14+27+40+25+48+28+16 = 201 ≡ 3, 11-3 = 8
	}
	for _, tt := range tests {
		got, err := OrgCodeCheckChar(tt.first8)
		if err != nil || got != tt.want {
			t.Errorf("OrgCodeCheckChar(%q) = %q, %v; want %q", tt.first8, got, err, tt.want)
		}
	}
	// The organisation codes embedded in the real credit codes carry
	// correct GB 11714 check characters.
	for _, code := range realCreditCodes {
		got, err := OrgCodeCheckChar(code[8:16])
		if err != nil || got != code[16] {
			t.Errorf("OrgCodeCheckChar(%q) from %s = %q, %v; want %q", code[8:16], code, got, err, code[16])
		}
	}
	for _, bad := range []string{"", "0000133", "000013338", "0000133a", "0000-133", "０００１３３３"} {
		if _, err := OrgCodeCheckChar(bad); err == nil {
			t.Errorf("OrgCodeCheckChar(%q) succeeded; want error", bad)
		}
	}
}

// withCreditCheck appends the correct check character to 17 symbols.
func withCreditCheck(t testing.TB, first17 string) string {
	t.Helper()
	c, err := CreditCodeCheckChar(first17)
	if err != nil {
		t.Fatalf("CreditCodeCheckChar(%q): %v", first17, err)
	}
	return first17 + string(rune(c))
}

// demoCreditCode builds a realistic code the way demo data is generated:
// authority, category, region, then an organisation code with its own
// GB 11714 check character, then the GB 32100 check character.
func demoCreditCode(t testing.TB, dept, category, region, org8 string) string {
	t.Helper()
	oc, err := OrgCodeCheckChar(org8)
	if err != nil {
		t.Fatalf("OrgCodeCheckChar(%q): %v", org8, err)
	}
	return withCreditCheck(t, dept+category+region+org8+string(rune(oc)))
}

func FuzzValidateCreditCode(f *testing.F) {
	for _, s := range append([]string{"91350100m000100y43", "", "91350100M000100Y44", "\xff", "９１３５０１００Ｍ０００１００Ｙ４３"}, realCreditCodes...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeCreditCode(s)
		if NormalizeCreditCode(n) != n {
			t.Fatalf("NormalizeCreditCode not idempotent on %q", s)
		}
		if len(n) >= 17 {
			_, _ = CreditCodeCheckChar(n[:17])
		}
		if len(s) >= 8 {
			_, _ = OrgCodeCheckChar(s[:8])
		}
		if err := ValidateCreditCode(s); err != nil {
			return
		}
		if len(n) != 18 {
			t.Fatalf("valid %q normalised to %q", s, n)
		}
		if err := ValidateCreditCode(n); err != nil {
			t.Fatalf("normalised %q no longer valid: %v", n, err)
		}
		if c, err := CreditCodeCheckChar(n[:17]); err != nil || c != n[17] {
			t.Fatalf("CreditCodeCheckChar(%q) = %q, %v; want %q", n[:17], c, err, n[17])
		}
	})
}
