package ident

import (
	"errors"
	"strings"
	"testing"
)

// real was issued by a real government system (domain.md §4).
const real = "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F"

// moreReal are further identifiers issued by real systems (see
// internal/stdcode's tests), so the check is not tuned to one example.
var moreReal = []string{
	"1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
	"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
	"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
	"1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
}

// referenceCheck is domain.md §4's procedure written out independently, so
// a change to the shared implementation in stdcode cannot go unnoticed.
func referenceCheck(body string) byte {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	p := 36
	for i := 0; i < len(body); i++ {
		t := (p + strings.IndexByte(alphabet, body[i])) % 36
		if t == 0 {
			t = 36
		}
		p = 2 * t % 37
	}
	return alphabet[(37-p)%36]
}

func TestParseReal(t *testing.T) {
	id, err := Parse(real)
	want := ID{TypeCode: "11100000000013338W032", IssuerCode: "11220000013544541J", Serial: "2430599", Version: "001", Check: 'F'}
	if err != nil || id != want {
		t.Fatalf("Parse(%s) = %+v, %v; want %+v", real, id, err, want)
	}
	if id.String() != real {
		t.Errorf("String() = %s; want %s", id.String(), real)
	}
	for _, s := range append([]string{real}, moreReal...) {
		id, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%s): %v", s, err)
			continue
		}
		if got := referenceCheck(id.TypeCode + id.IssuerCode + id.Serial + id.Version); got != id.Check {
			t.Errorf("%s: reference check %c, identifier has %c", s, got, id.Check)
		}
	}
}

func TestBuildRoundTrip(t *testing.T) {
	got, err := Build("11100000000013338W032", "11220000013544541J", "2430599", "001")
	if err != nil || got != real {
		t.Fatalf("Build = %q, %v; want %s", got, err, real)
	}
	for _, tt := range []struct{ typ, issuer, serial, version string }{
		{"11100000000013338W032", "11220000013544541J", "0", "000"},
		{"11100000000013338W087", "11370800MB28559184", "37080001202411010001", "001"},
		{"11100000000013338W011", "11430000006122244L", strings.Repeat("Z", MaxSerialLength), "999"},
		{"11100000000013338W009", "11330105002500287C", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "002"},
	} {
		s, err := Build(tt.typ, tt.issuer, tt.serial, tt.version)
		if err != nil {
			t.Errorf("Build(%+v): %v", tt, err)
			continue
		}
		id, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(Build(%+v)) = %v", tt, err)
			continue
		}
		if id.TypeCode != tt.typ || id.IssuerCode != tt.issuer || id.Serial != tt.serial || id.Version != tt.version || id.String() != s {
			t.Errorf("round trip of %+v gave %+v (%s)", tt, id, s)
		}
		if id.Check != referenceCheck(tt.typ+tt.issuer+tt.serial+tt.version) {
			t.Errorf("%s: check character differs from the reference", s)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	const typ, issuer = "11100000000013338W032", "11220000013544541J"
	for _, tt := range []struct {
		name                         string
		typ, issuer, serial, version string
		part                         Part
	}{
		{"type too short", typ[:20], issuer, "1", "001", PartType},
		{"type with bad credit check", "11100000000013338X032", issuer, "1", "001", PartType},
		{"type lower case", strings.ToLower(typ), issuer, "1", "001", PartType},
		{"type number not digits", "11100000000013338W03A", issuer, "1", "001", PartType},
		{"issuer empty", typ, "", "1", "001", PartIssuer},
		{"issuer 17 chars", typ, issuer[:17], "1", "001", PartIssuer},
		{"issuer bad check", typ, "11220000013544541K", "1", "001", PartIssuer},
		{"issuer with I", typ, "1122000001354454IJ", "1", "001", PartIssuer},
		{"issuer with space", typ, "11220000 013544541J"[:18], "1", "001", PartIssuer},
		{"serial empty", typ, issuer, "", "001", PartSerial},
		{"serial lower", typ, issuer, "abc", "001", PartSerial},
		{"serial hyphen", typ, issuer, "A-1", "001", PartSerial},
		{"serial dot", typ, issuer, "A.1", "001", PartSerial},
		{"serial Chinese", typ, issuer, "证1", "001", PartSerial},
		{"serial too long", typ, issuer, strings.Repeat("1", MaxSerialLength+1), "001", PartSerial},
		{"version 2 digits", typ, issuer, "1", "01", PartVersion},
		{"version 4 digits", typ, issuer, "1", "0001", PartVersion},
		{"version letter", typ, issuer, "1", "00A", PartVersion},
		{"version empty", typ, issuer, "1", "", PartVersion},
	} {
		s, err := Build(tt.typ, tt.issuer, tt.serial, tt.version)
		var e *Error
		if !errors.As(err, &e) || e.Part != tt.part || e.Message == "" {
			t.Errorf("%s: Build = %q, %v; want an *Error about %s", tt.name, s, err, tt.part)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tt := range []struct {
		s    string
		part Part
		msg  string // must appear in the message
	}{
		{"", PartRoot, "1.2.156.3005.2."},
		{"1.2.156.3005.3.11100000000013338W032.11220000013544541J.2430599.001.F", PartRoot, ""},
		{"11100000000013338W032.11220000013544541J.2430599.001.F", PartRoot, ""},
		{" " + real, PartRoot, ""},
		{"1.2.156.3005.2", PartRoot, ""},
		{"1.2.156.3005.2.", PartLayout, "1部分"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001", PartLayout, "4部分"},
		{real + ".F", PartLayout, "6部分"},
		{"1.2.156.3005.2.11100000000013338W03.11220000013544541J.2430599.001.F", PartType, "20位"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541.2430599.001.F", PartIssuer, "18位"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541j.2430599.001.F", PartIssuer, "大写"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J..001.F", PartSerial, "不能为空"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.24305_9.001.F", PartSerial, "第6位"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.01.F", PartVersion, ""},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.G", PartCheck, "应为“F”，实为“G”"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.f", PartCheck, "应为“F”"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.", PartCheck, "应为“F”"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.FF", PartCheck, "应为“F”"},
		{"1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.002.F", PartCheck, "应为“"},
		{real + "\n", PartCheck, "应为“F”"},
	} {
		id, err := Parse(tt.s)
		var e *Error
		if !errors.As(err, &e) || e.Part != tt.part || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("Parse(%q) = %+v, %v; want an *Error about %s containing %q", tt.s, id, err, tt.part, tt.msg)
		}
	}
}

// symbols holds every character a corruption is tried with: the
// alphabet, the separator, lower case and a few that people paste.
const symbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_ /"

// TestEverySingleCorruptionDetected: replacing any one character of a
// valid identifier with any other, or swapping two neighbours, must fail.
func TestEverySingleCorruptionDetected(t *testing.T) {
	for _, valid := range append([]string{real}, moreReal...) {
		tried := 0
		for i := 0; i < len(valid); i++ {
			for j := 0; j < len(symbols); j++ {
				if symbols[j] == valid[i] {
					continue
				}
				bad := valid[:i] + symbols[j:j+1] + valid[i+1:]
				tried++
				if id, err := Parse(bad); err == nil {
					t.Errorf("Parse(%s) accepted a corruption at %d: %+v", bad, i+1, id)
				}
			}
			for _, bad := range []string{valid[:i] + valid[i+1:], valid[:i] + "0" + valid[i:]} {
				if _, err := Parse(bad); err == nil {
					t.Errorf("Parse(%s) accepted a deletion or insertion at %d", bad, i+1)
				}
			}
			if i+1 < len(valid) && valid[i] != valid[i+1] {
				bad := valid[:i] + valid[i+1:i+2] + valid[i:i+1] + valid[i+2:]
				if _, err := Parse(bad); err == nil {
					t.Errorf("Parse(%s) accepted a transposition at %d", bad, i+1)
				}
			}
		}
		if tried < len(valid)*(len(symbols)-1) {
			t.Fatalf("only %d corruptions tried", tried)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(real)
	for _, s := range moreReal {
		f.Add(s)
	}
	f.Add("1.2.156.3005.2....")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Part == "" || e.Message == "" {
				t.Fatalf("Parse(%q) returned %T %v; want *Error", s, err, err)
			}
			return
		}
		if id.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, id.String())
		}
		again, err := Build(id.TypeCode, id.IssuerCode, id.Serial, id.Version)
		if err != nil || again != s {
			t.Fatalf("Build of parsed %q = %q, %v", s, again, err)
		}
	})
}
