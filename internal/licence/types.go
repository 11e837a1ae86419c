package licence

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/stdcode"
)

// Type is a licence type (证照类型) as data: who defined it, what a
// licence of it says, how long it is valid and how it is printed. Items
// name it in the catalogue (result.licenceType for what they issue,
// material.licenceType for what they accept instead of paper).
type Type struct {
	// Code is the 证照类型代码 of GB/T 36904: the defining body's 统一社会信用代码
	// and a three-digit number.
	Code string `json:"code"`
	Name string `json:"name"` // 食品经营许可证
	// DefinedBy is the body that defined the type (国家市场监督管理总局 …).
	DefinedBy string `json:"definedBy"`
	// Holder is who holds it: "person" or "company".
	Holder string `json:"holder"`
	// NumberPrefix starts every 证照编号 of the type (JY for 食品经营许可证);
	// the number goes on with the issuer's region code, the year and a
	// serial.
	NumberPrefix string `json:"numberPrefix"`
	// Validity is how long a licence is valid from its issue date.
	Validity Validity `json:"validity"`
	// Fields are what the licence says beyond holder, number and validity,
	// in print order, each filled from the application's form.
	Fields []TypeField `json:"fields"`
	// Subtitle is printed under the title ("电子证照" when empty).
	Subtitle string `json:"subtitle,omitempty"`
}

// Validity is a validity rule: a number of years, or 长期 (Years == 0 and
// Months == 0).
type Validity struct {
	Years  int `json:"years,omitempty"`
	Months int `json:"months,omitempty"`
}

// Long reports a licence valid without end (长期有效).
func (v Validity) Long() bool { return v.Years == 0 && v.Months == 0 }

// TypeField is one field of a licence type.
type TypeField struct {
	Key   string `json:"key"`   // machine name, e.g. businessPlace
	Label string `json:"label"` // 经营场所
	// From lists the form fields the value is taken from, first non-empty
	// wins (forms differ between the items that issue one type).
	From     []string `json:"from"`
	Required bool     `json:"required,omitempty"`
	// Default is used when no form field has a value.
	Default string `json:"default,omitempty"`
}

// Holder kinds.
const (
	HolderPerson  = "person"
	HolderCompany = "company"
)

// ID types of holders (持证主体代码类型).
const (
	IDTypeCitizen = "111" // 公民身份号码
	IDTypeCredit  = "001" // 统一社会信用代码
)

// IDTypeNames name the holder id types.
var IDTypeNames = map[string]string{IDTypeCitizen: "公民身份号码", IDTypeCredit: "统一社会信用代码"}

var (
	typeCodeRe = regexp.MustCompile(`^[0-9A-Z]{18}[0-9]{3}$`)
	fieldKeyRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]{0,39}$`)
	prefixRe   = regexp.MustCompile(`^[A-Z]{0,6}$`)
)

// reservedKeys are the fields every licence has; a type may not redefine them.
var reservedKeys = map[string]bool{"number": true, "holderName": true, "holderId": true, "validity": true, "issuer": true, "issuedOn": true}

// Validate checks a type definition, naming every problem at once.
func (t *Type) Validate() error {
	bad := apperr.FieldErrors{}
	t.Code = strings.TrimSpace(t.Code)
	t.Name = strings.TrimSpace(t.Name)
	if !typeCodeRe.MatchString(t.Code) {
		bad.Add("code", "证照类型代码应为定义机构的18位统一社会信用代码加3位数字")
	} else if err := stdcode.ValidateCreditCode(t.Code[:18]); err != nil {
		bad.Add("code", "证照类型代码中的统一社会信用代码无效："+err.Error())
	}
	if n := utf8.RuneCountInString(t.Name); n < 2 || n > 40 {
		bad.Add("name", "证照名称应为2至40个字")
	}
	if n := utf8.RuneCountInString(t.DefinedBy); n < 2 || n > 60 {
		bad.Add("definedBy", "定义机构名称应为2至60个字")
	}
	if t.Holder != HolderPerson && t.Holder != HolderCompany {
		bad.Add("holder", "持证主体应为 person（自然人）或 company（法人或其他组织）")
	}
	if !prefixRe.MatchString(t.NumberPrefix) {
		bad.Add("numberPrefix", "证照编号前缀应为0至6个大写字母")
	}
	if t.Validity.Years < 0 || t.Validity.Years > 100 || t.Validity.Months < 0 || t.Validity.Months > 11 {
		bad.Add("validity", "有效期应为0至100年又0至11个月（都为0表示长期）")
	}
	if len(t.Fields) > 30 {
		bad.Add("fields", "证照字段不能超过30个")
	}
	seen := map[string]bool{}
	for i, f := range t.Fields {
		name := fmt.Sprintf("fields[%d]", i)
		switch {
		case !fieldKeyRe.MatchString(f.Key):
			bad.Add(name, "字段名应以字母开头，只含字母和数字，不超过40个字符")
		case reservedKeys[f.Key]:
			bad.Add(name, "字段名 "+f.Key+" 是每个证照都有的字段，不能重复定义")
		case seen[f.Key]:
			bad.Add(name, "字段名 "+f.Key+" 重复")
		}
		seen[f.Key] = true
		if n := utf8.RuneCountInString(f.Label); n < 1 || n > 20 {
			bad.Add(name, "字段标签应为1至20个字")
		}
		if len(f.From) == 0 && f.Default == "" {
			bad.Add(name, "字段“"+f.Label+"”应指明取自申请表的哪个字段（from）或给出默认值")
		}
		for _, src := range f.From {
			if !fieldKeyRe.MatchString(src) {
				bad.Add(name, "from 中的申请表字段名无效")
				break
			}
		}
	}
	return bad.Err()
}

// IDType is the holder id type of the type's licences.
func (t *Type) IDType() string {
	if t.Holder == HolderCompany {
		return IDTypeCredit
	}
	return IDTypeCitizen
}

// ValidityText says the rule for people.
func (v Validity) String() string {
	switch {
	case v.Long():
		return "长期"
	case v.Months == 0:
		return fmt.Sprintf("%d年", v.Years)
	case v.Years == 0:
		return fmt.Sprintf("%d个月", v.Months)
	}
	return fmt.Sprintf("%d年%d个月", v.Years, v.Months)
}
