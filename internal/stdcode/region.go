package stdcode

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// 行政区划代码 (administrative division codes).
//
// GB/T 2260 codes have 6 digits: 2 province, 2 prefecture (city), 2 county.
// The National Bureau of Statistics' 统计用区划代码 extends them to 12
// digits with 3 for the township (乡/镇/街道) and 3 for the village-level
// unit (村/居委会). This file handles the 12-digit form and accepts 6-digit
// codes by padding them with zeros, which is exactly how a county (or city,
// or province) is written in the 12-digit scheme.
//
// Only the structure is checked (digits, a real province, zero parts in
// the right places), not membership of a current code table: the tables
// change every year, and records must keep the code they were made with.
//
// Structural rules:
//   - a zero city part means a province code, so everything below must be
//     zero (330000001000 is rejected);
//   - a zero township part means no village part (330102000001 is rejected);
//   - a zero county part with a non-zero township IS accepted: prefecture-
//     level cities without counties (东莞 4419, 中山 4420, 儋州 4604, 嘉峪关
//     6202) have their townships directly below the city, e.g. 441900003000
//     东城街道.

// Region levels returned by RegionLevel and RegionCode.Level.
const (
	LevelProvince = 1 // 省级 xx0000000000
	LevelCity     = 2 // 地级 xxxx00000000
	LevelCounty   = 3 // 县级 xxxxxx000000
	LevelTown     = 4 // 乡级 xxxxxxxxx000 (or xxxx00xxx000)
	LevelVillage  = 5 // 村级
)

// RegionCode is a parsed 12-digit statistical division code.
type RegionCode struct {
	Province string // 2 digits, never "00"
	City     string // 2 digits
	County   string // 2 digits
	Town     string // 3 digits
	Village  string // 3 digits
}

// ParseRegionCode parses a 12-digit statistical division code or a 6-digit
// GB/T 2260 code (padded to 12 digits). White space and full-width digits
// are tolerated as elsewhere in this package.
func ParseRegionCode(s string) (RegionCode, error) {
	n := cleanCode(s, false)
	if n == "" {
		return RegionCode{}, errors.New("行政区划代码不能为空")
	}
	for _, r := range n {
		if !isDigit(r) {
			return RegionCode{}, errors.New("行政区划代码只能包含数字")
		}
	}
	switch len(n) {
	case 6:
		n += "000000"
	case 12:
	default:
		return RegionCode{}, fmt.Errorf("行政区划代码应为12位（或6位）数字，当前为%d位", utf8.RuneCountInString(n))
	}
	c := RegionCode{Province: n[0:2], City: n[2:4], County: n[4:6], Town: n[6:9], Village: n[9:12]}
	if allZero(n) {
		return RegionCode{}, errors.New("行政区划代码不能全为0")
	}
	if !isRegionProvince(c.Province) {
		return RegionCode{}, fmt.Errorf("行政区划代码前2位“%s”不是有效的省级代码", c.Province)
	}
	if allZero(c.City) && !allZero(n[4:]) {
		return RegionCode{}, errors.New("行政区划代码的地级部分（第3至4位）为0时，其后各位也应为0")
	}
	if allZero(c.Town) && !allZero(c.Village) {
		return RegionCode{}, errors.New("行政区划代码的乡级部分（第7至9位）为0时，村级部分（第10至12位）也应为0")
	}
	return c, nil
}

// ExpandRegionCode validates s like ParseRegionCode and returns it as 12
// digits, so a 6-digit GB/T 2260 code such as 330102 becomes 330102000000.
func ExpandRegionCode(s string) (string, error) {
	c, err := ParseRegionCode(s)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

// String returns the 12-digit code.
func (c RegionCode) String() string {
	return c.Province + c.City + c.County + c.Town + c.Village
}

// Level returns LevelProvince … LevelVillage: the level of the lowest
// non-zero part.
func (c RegionCode) Level() int {
	switch {
	case !allZero(c.Village):
		return LevelVillage
	case !allZero(c.Town):
		return LevelTown
	case !allZero(c.County):
		return LevelCounty
	case !allZero(c.City):
		return LevelCity
	default:
		return LevelProvince
	}
}

// Parent returns the code of the enclosing division (the lowest non-zero
// part set to zero) and true, or the zero RegionCode and false for a
// province. The parent of a township directly under a city without counties
// (441900003000) is the city (441900000000).
func (c RegionCode) Parent() (RegionCode, bool) {
	p := c
	switch c.Level() {
	case LevelVillage:
		p.Village = "000"
	case LevelTown:
		p.Town = "000"
	case LevelCounty:
		p.County = "00"
	case LevelCity:
		p.City = "00"
	default:
		return RegionCode{}, false
	}
	return p, true
}

// RegionLevel returns the level (LevelProvince … LevelVillage) of a 12- or
// 6-digit code, or 0 if ParseRegionCode rejects it.
func RegionLevel(code string) int {
	c, err := ParseRegionCode(code)
	if err != nil {
		return 0
	}
	return c.Level()
}

// RegionParent returns the 12-digit code of the division enclosing code (a
// 12- or 6-digit code), or "" for a province or an invalid code.
func RegionParent(code string) string {
	c, err := ParseRegionCode(code)
	if err != nil {
		return ""
	}
	p, ok := c.Parent()
	if !ok {
		return ""
	}
	return p.String()
}
