package stdcode

import (
	"strings"
	"testing"
)

func TestParseRegionCode(t *testing.T) {
	valid := []struct {
		in, code string
		level    int
		parent   string
	}{
		{"330000000000", "330000000000", LevelProvince, ""},
		{"330100000000", "330100000000", LevelCity, "330000000000"},
		{"330102000000", "330102000000", LevelCounty, "330100000000"},
		{"330102001000", "330102001000", LevelTown, "330102000000"},
		{"330102001001", "330102001001", LevelVillage, "330102001000"},
		{"330102", "330102000000", LevelCounty, "330100000000"}, // GB/T 2260 form
		{"110000", "110000000000", LevelProvince, ""},
		{"429004", "429004000000", LevelCounty, "429000000000"},     // 省直辖县级 (仙桃)
		{"441900003000", "441900003000", LevelTown, "441900000000"}, // 东莞 东城街道: no county level
		{"441900003001", "441900003001", LevelVillage, "441900003000"},
		{"442000001000", "442000001000", LevelTown, "442000000000"}, // 中山 石岐街道
		{"810000", "810000000000", LevelProvince, ""},
		{" 3301 02 001 001 ", "330102001001", LevelVillage, "330102001000"},
		{"３３０１０２", "330102000000", LevelCounty, "330100000000"},
	}
	for _, tt := range valid {
		c, err := ParseRegionCode(tt.in)
		if err != nil {
			t.Errorf("ParseRegionCode(%q) = %v; want nil", tt.in, err)
			continue
		}
		if c.String() != tt.code || c.Level() != tt.level {
			t.Errorf("ParseRegionCode(%q) = %s level %d; want %s level %d", tt.in, c, c.Level(), tt.code, tt.level)
		}
		if got := RegionLevel(tt.in); got != tt.level {
			t.Errorf("RegionLevel(%q) = %d; want %d", tt.in, got, tt.level)
		}
		if got := RegionParent(tt.in); got != tt.parent {
			t.Errorf("RegionParent(%q) = %q; want %q", tt.in, got, tt.parent)
		}
		if got, err := ExpandRegionCode(tt.in); err != nil || got != tt.code {
			t.Errorf("ExpandRegionCode(%q) = %q, %v; want %q", tt.in, got, err, tt.code)
		}
	}
	c, _ := ParseRegionCode("330102001001")
	if c.Province != "33" || c.City != "01" || c.County != "02" || c.Town != "001" || c.Village != "001" {
		t.Errorf("ParseRegionCode fields = %+v", c)
	}

	invalid := []struct {
		in, want string
	}{
		{"", "行政区划代码不能为空"},
		{"  ", "行政区划代码不能为空"},
		{"33010", "行政区划代码应为12位（或6位）数字，当前为5位"},
		{"3301020010", "当前为10位"},
		{"3301020010010", "当前为13位"},
		{"33010200100a", "行政区划代码只能包含数字"},
		{"33-0102", "行政区划代码只能包含数字"},
		{"浙江杭州", "行政区划代码只能包含数字"},
		{"000000000000", "行政区划代码不能全为0"},
		{"000000", "行政区划代码不能全为0"},
		{"990000000000", "行政区划代码前2位“99”不是有效的省级代码"},
		{"000100000000", "行政区划代码前2位“00”不是有效的省级代码"},
		{"830000", "行政区划代码前2位“83”不是有效的省级代码"}, // residence-permit code, not a division
		{"330000001000", "行政区划代码的地级部分（第3至4位）为0时，其后各位也应为0"},
		{"330001000000", "行政区划代码的地级部分（第3至4位）为0时，其后各位也应为0"},
		{"330000000001", "行政区划代码的地级部分（第3至4位）为0时，其后各位也应为0"},
		{"330001", "行政区划代码的地级部分（第3至4位）为0时，其后各位也应为0"},
		{"330102000001", "行政区划代码的乡级部分（第7至9位）为0时，村级部分（第10至12位）也应为0"},
		{"441900000001", "行政区划代码的乡级部分（第7至9位）为0时"},
	}
	for _, tt := range invalid {
		_, err := ParseRegionCode(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRegionCode(%q) = %v; want error containing %q", tt.in, err, tt.want)
		}
		if RegionLevel(tt.in) != 0 || RegionParent(tt.in) != "" {
			t.Errorf("RegionLevel/RegionParent(%q) = %d/%q; want 0/\"\"", tt.in, RegionLevel(tt.in), RegionParent(tt.in))
		}
		if got, err := ExpandRegionCode(tt.in); err == nil || got != "" {
			t.Errorf("ExpandRegionCode(%q) = %q, %v; want error", tt.in, got, err)
		}
	}
	if p, ok := (RegionCode{Province: "33", City: "00", County: "00", Town: "000", Village: "000"}).Parent(); ok || p != (RegionCode{}) {
		t.Errorf("province Parent() = %v, %v; want zero, false", p, ok)
	}
}

func FuzzParseRegionCode(f *testing.F) {
	for _, s := range []string{"330102001001", "330102", "441900003000", "330000001000", "", "000000", "３３０１０２", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseRegionCode(s)
		level, parent := RegionLevel(s), RegionParent(s)
		expanded, eerr := ExpandRegionCode(s)
		if err != nil {
			if level != 0 || parent != "" || expanded != "" || eerr == nil {
				t.Fatalf("invalid %q: level %d parent %q expanded %q, %v", s, level, parent, expanded, eerr)
			}
			return
		}
		code := c.String()
		if len(code) != 12 || !allDigits(code) || expanded != code || eerr != nil {
			t.Fatalf("ParseRegionCode(%q) = %q, ExpandRegionCode = %q, %v", s, code, expanded, eerr)
		}
		if again, err := ParseRegionCode(code); err != nil || again != c {
			t.Fatalf("%q does not re-parse to itself: %v, %v", code, again, err)
		}
		if level < LevelProvince || level > LevelVillage || level != c.Level() {
			t.Fatalf("RegionLevel(%q) = %d, Level() = %d", s, level, c.Level())
		}
		// Walking up the parents reaches the province in at most four
		// steps, each one a valid code of a strictly higher level that is
		// a prefix-with-zeros of the child.
		for steps := 0; ; steps++ {
			p := RegionParent(c.String())
			if c.Level() == LevelProvince {
				if p != "" {
					t.Fatalf("province %s has parent %q", c, p)
				}
				break
			}
			pc, err := ParseRegionCode(p)
			if err != nil || pc.Level() >= c.Level() || steps > 4 || pc.Province != c.Province {
				t.Fatalf("bad parent %q of %s: %v", p, c, err)
			}
			c = pc
		}
	})
}
