package stdcode_test

import (
	"fmt"
	"time"

	"yiwang/internal/stdcode"
)

func ExampleValidateIDNumber() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fmt.Println(stdcode.ValidateIDNumber("11010519491231002x", now))
	fmt.Println(stdcode.ValidateIDNumber("110105194912310021", now))
	fmt.Println(stdcode.NormalizeIDNumber(" 110105 19491231 002x "))
	// Output:
	// <nil>
	// 公民身份号码校验位不正确
	// 11010519491231002X
}

func ExampleCreditCodeCheckChar() {
	// Demo data: an organisation code with its GB 11714 check character,
	// inside a credit code with its GB 32100 check character.
	oc, _ := stdcode.OrgCodeCheckChar("M000100Y")
	first17 := "91350100" + "M000100Y" + string(rune(oc))
	c, _ := stdcode.CreditCodeCheckChar(first17)
	code := first17 + string(rune(c))
	fmt.Println(code, stdcode.ValidateCreditCode(code))
	// Output: 91350100M000100Y43 <nil>
}

func ExampleParseRegionCode() {
	c, _ := stdcode.ParseRegionCode("441900003000")
	fmt.Println(c.Level(), stdcode.RegionParent("441900003000"))
	fmt.Println(stdcode.ExpandRegionCode("330102"))
	_, err := stdcode.ParseRegionCode("330000001000")
	fmt.Println(err)
	// Output:
	// 4 441900000000
	// 330102000000 <nil>
	// 行政区划代码的地级部分（第3至4位）为0时，其后各位也应为0
}

func ExampleFormatLicenceID() {
	s, _ := stdcode.FormatLicenceID("11100000000013338W032", "11220000013544541J", "2430599", "001")
	fmt.Println(s)
	id, _ := stdcode.ParseLicenceID(s)
	fmt.Printf("%s %s %c\n", id.Serial, id.Version, id.Check)
	// Output:
	// 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F
	// 2430599 001 F
}

func ExampleMaskIDNumber() {
	fmt.Println(stdcode.MaskIDNumber("330102199001011234"))
	fmt.Println(stdcode.MaskPhone("+86 138-1234-5678"))
	fmt.Println(stdcode.MaskName("王秀英"), stdcode.MaskName("李明"))
	// Output:
	// 3301**********1234
	// 138****5678
	// 王*英 李*
}
