package stdcode

import (
	"strings"
	"testing"
)

// realLicenceIDs were issued by real government systems (found in public
// source code and file names); their check characters confirm the MOD 37,36
// procedure.
var realLicenceIDs = []string{
	"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
	"1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
	"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
	"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
	"1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
}

func TestLicenceCheckChar(t *testing.T) {
	tests := []struct {
		body string
		want byte
	}{
		{"11100000000013338W032" + "11220000013544541J" + "2430599" + "001", 'F'},
		{"11100000000013338W087" + "11370800MB28559184" + "37080001202411010001" + "001", '3'},
		// From a test fixture with a 6-character issuer (so not a valid
		// identifier), yet its check character was computed the same way.
		{"11100000MB03271699022" + "340100" + "000000016" + "001", '9'},
	}
	for _, tt := range tests {
		got, err := LicenceCheckChar(tt.body)
		if err != nil || got != tt.want {
			t.Errorf("LicenceCheckChar(%q) = %q, %v; want %q", tt.body, got, err, tt.want)
		}
	}
	// Every single-symbol body gets a check character completing it: the
	// hybrid system's defining property (P + C) mod 36 = 1.
	for i := 0; i < len(licenceAlphabet); i++ {
		if _, err := LicenceCheckChar(licenceAlphabet[i : i+1]); err != nil {
			t.Errorf("LicenceCheckChar(%q): %v", licenceAlphabet[i:i+1], err)
		}
	}
	for _, bad := range []string{"", "abc", "A.B", "AB-C", "中"} {
		if _, err := LicenceCheckChar(bad); err == nil {
			t.Errorf("LicenceCheckChar(%q) succeeded; want error", bad)
		}
	}
}

func TestParseLicenceID(t *testing.T) {
	for _, s := range realLicenceIDs {
		id, err := ParseLicenceID(s)
		if err != nil {
			t.Errorf("ParseLicenceID(%q) = %v; want nil", s, err)
			continue
		}
		if id.String() != s {
			t.Errorf("ParseLicenceID(%q).String() = %q", s, id.String())
		}
	}
	id, err := ParseLicenceID(realLicenceIDs[0])
	want := LicenceID{TypeCode: "11100000000013338W032", IssuerCode: "11220000013544541J", Serial: "2430599", Version: "001", Check: 'F'}
	if err != nil || id != want {
		t.Errorf("ParseLicenceID fields = %+v, %v; want %+v", id, err, want)
	}
	// Lenient input forms give the canonical identifier.
	for _, s := range []string{
		" " + realLicenceIDs[0] + "\n",
		strings.ToLower(realLicenceIDs[0]),
		"１.２.１５６.３００５.２.11100000000013338W032.11220000013544541J.2430599.001.F",
	} {
		if id, err := ParseLicenceID(s); err != nil || id.String() != realLicenceIDs[0] {
			t.Errorf("ParseLicenceID(%q) = %v, %v; want %s", s, id, err, realLicenceIDs[0])
		}
	}

	long := strings.Repeat("A", MaxLicenceSerialLength+1)
	invalid := []struct {
		s, want string
	}{
		{"", "电子证照标识不能为空"},
		{"11100000000013338W032.11220000013544541J.2430599.001.F", "电子证照标识应以“1.2.156.3005.2.”开头"},
		{"1.2.156.3005.3.11100000000013338W032.11220000013544541J.2430599.001.F", "应以“1.2.156.3005.2.”开头"},
		{"1.2.156.3005.2", "应以“1.2.156.3005.2.”开头"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001", "五部分组成"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F.X", "五部分组成"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J..2430599.001.F", "五部分组成"},
		{"1.2.156.3005.2.11100000000013338W03.11220000013544541J.2430599.001.F", "证照类型代码应为21位（18位统一社会信用代码加3位数字），当前为20位"},
		{"1.2.156.3005.2.11100000000013338O032.11220000013544541J.2430599.001.F", "证照类型代码前18位应为统一社会信用代码"},
		{"1.2.156.3005.2.11100000000013338W03A.11220000013544541J.2430599.001.F", "证照类型代码后3位应为数字"},
		{"1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9", "颁证机构代码应为18位统一社会信用代码"},
		{"1.2.156.3005.2.11100000000013338W032.1122000001354454IJ.2430599.001.F", "颁证机构代码应为18位统一社会信用代码"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J..001.F", "流水号不能为空"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J." + long + ".001.F", "流水号不能超过64位"},
		{"1.2.156.3005.2.062301.1101101102.0624_001.001.U", "证照类型代码应为21位"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430_599.001.F", "流水号只能包含数字和大写字母"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.01.F", "版本号应为3位数字"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.00A.F", "版本号应为3位数字"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.", "校验位应为1位数字或大写字母"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.FF", "校验位应为1位数字或大写字母"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.G", "电子证照标识校验位不正确"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.002.F", "电子证照标识校验位不正确"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430959.001.F", "电子证照标识校验位不正确"}, // transposition
		// A published API-documentation example whose check character does
		// not match (the computed one is D): examples are not issued data.
		{"1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M", "电子证照标识校验位不正确"},
	}
	for _, tt := range invalid {
		_, err := ParseLicenceID(tt.s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseLicenceID(%q) = %v; want error containing %q", tt.s, err, tt.want)
		}
	}
}

// TestParseLicenceIDSingleChange checks that every single-symbol
// substitution after the root is rejected, and for the check character
// whenever the changed part keeps its own format.
func TestParseLicenceIDSingleChange(t *testing.T) {
	root := len(LicenceRoot) + 1
	for _, s := range realLicenceIDs {
		for pos := root; pos < len(s); pos++ {
			if s[pos] == '.' {
				continue
			}
			for i := 0; i < len(licenceAlphabet); i++ {
				c := licenceAlphabet[i]
				if c == s[pos] {
					continue
				}
				m := s[:pos] + string(c) + s[pos+1:]
				_, err := ParseLicenceID(m)
				if err == nil {
					t.Errorf("ParseLicenceID(%q) (position %d changed) = nil; want error", m, pos+1)
					continue
				}
				rest := strings.Split(m[root:], ".")
				if checkLicenceParts(rest[0], rest[1], rest[2], rest[3]) == nil && err.Error() != "电子证照标识校验位不正确" {
					t.Errorf("ParseLicenceID(%q) = %v; want the check-character error", m, err)
				}
			}
		}
	}
}

func TestFormatLicenceID(t *testing.T) {
	got, err := FormatLicenceID("11100000000013338W032", "11220000013544541J", "2430599", "001")
	if err != nil || got != realLicenceIDs[0] {
		t.Errorf("FormatLicenceID = %q, %v; want %q", got, err, realLicenceIDs[0])
	}
	// Generating demo data: a demo issuer credit code and a UUID-like serial.
	issuer := demoCreditCode(t, "1", "1", "330100", "00250028")
	s, err := FormatLicenceID("11100000000013338W009", issuer, "209FA4E88F9E4C878F3E9BED2CE7EA49", "001")
	if err != nil {
		t.Fatalf("FormatLicenceID(demo): %v", err)
	}
	if id, err := ParseLicenceID(s); err != nil || id.IssuerCode != issuer {
		t.Errorf("ParseLicenceID(%q) = %+v, %v", s, id, err)
	}
	if got := (LicenceID{}).String(); got != LicenceRoot+"....." {
		t.Errorf("LicenceID{}.String() = %q", got)
	}
	bad := [][4]string{
		{"11100000000013338w032", "11220000013544541J", "2430599", "001"}, // not normalised
		{"11100000000013338W032", "11220000013544541J", "2430599", "1"},
		{"11100000000013338W032", "11220000013544541J", "", "001"},
		{"11100000000013338W032", "11220000013544541j", "2430599", "001"},
		{"11100000000013338W032", "11220000013544541J", "24.30599", "001"},
		{"11100000000013338W032", "11220000013544541J", strings.Repeat("9", MaxLicenceSerialLength+1), "001"},
		{"1110000000001333中032", "11220000013544541J", "2430599", "001"},
	}
	for _, b := range bad {
		if s, err := FormatLicenceID(b[0], b[1], b[2], b[3]); err == nil {
			t.Errorf("FormatLicenceID(%q) = %q; want error", b, s)
		}
	}
}

func FuzzParseLicenceID(f *testing.F) {
	for _, s := range append([]string{"", "1.2.156.3005.2.", "1.2.156.3005.2.....", strings.ToLower(realLicenceIDs[1])}, realLicenceIDs...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseLicenceID(s)
		if err != nil {
			return
		}
		canon := id.String()
		again, err := ParseLicenceID(canon)
		if err != nil || again != id {
			t.Fatalf("%q parsed to %+v, whose String %q re-parses to %+v, %v", s, id, canon, again, err)
		}
		formatted, err := FormatLicenceID(id.TypeCode, id.IssuerCode, id.Serial, id.Version)
		if err != nil || formatted != canon {
			t.Fatalf("FormatLicenceID(parts of %q) = %q, %v; want %q", s, formatted, err, canon)
		}
	})
}

func FuzzFormatLicenceID(f *testing.F) {
	f.Add("11100000000013338W032", "11220000013544541J", "2430599", "001")
	f.Add("11100000000013338W087", "11370800MB28559184", "37080001202411010001", "001")
	f.Add("", "", "", "")
	f.Add("11100000000013338W03.", "1122000001354454.J", "24.30599", "0.1")
	f.Fuzz(func(t *testing.T, typeCode, issuer, serial, version string) {
		s, err := FormatLicenceID(typeCode, issuer, serial, version)
		if err != nil {
			if s != "" {
				t.Fatalf("FormatLicenceID returned %q with error %v", s, err)
			}
			return
		}
		id, err := ParseLicenceID(s)
		if err != nil {
			t.Fatalf("FormatLicenceID output %q does not parse: %v", s, err)
		}
		if id.TypeCode != typeCode || id.IssuerCode != issuer || id.Serial != serial || id.Version != version || id.String() != s {
			t.Fatalf("FormatLicenceID output %q parsed to %+v", s, id)
		}
	})
}
