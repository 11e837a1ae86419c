package catalog

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"yiwang/internal/stdcode"
)

// Values are an applicant's answers to a form: field name → values (one
// for most types, several for multiselect).
type Values map[string][]string

// Check validates values against the form's typed fields for the answered
// situation and returns one message per wrong field (empty when all is
// right). Fields that do not apply in the situation, and values for
// fields the form does not have, are errors too: nothing unexpected is
// stored. now is the date "today" for date fields and ID numbers.
func (f *Form) Check(v Values, a Answers, now time.Time) map[string]string {
	errs := map[string]string{}
	known := map[string]bool{}
	for _, fl := range f.FieldsFor(a) {
		known[fl.Name] = true
		vals := v[fl.Name]
		var nonEmpty []string
		for _, x := range vals {
			if strings.TrimSpace(x) != "" {
				nonEmpty = append(nonEmpty, strings.TrimSpace(x))
			}
		}
		if len(nonEmpty) == 0 {
			if fl.Required {
				errs[fl.Name] = "请填写" + fl.Label
			}
			continue
		}
		if fl.Type != "multiselect" && len(nonEmpty) > 1 {
			errs[fl.Name] = fl.Label + "只能填写一个值"
			continue
		}
		if msg := fl.check(nonEmpty, now); msg != "" {
			errs[fl.Name] = msg
		}
	}
	for name := range v {
		if !known[name] {
			errs[name] = fmt.Sprintf("申请表没有字段 %q（或在您的情形下不需要填写）", name)
		}
	}
	return errs
}

var phoneLike = regexp.MustCompile(`^[0-9+\- ]{5,20}$`)

func (fl *Field) check(vals []string, now time.Time) string {
	x := vals[0]
	label := fl.Label
	n := utf8.RuneCountInString(x)
	if n > 4000 {
		return label + "不能超过4000个字"
	}
	lenBounds := func() string {
		if fl.Min != nil && float64(n) < *fl.Min {
			return fmt.Sprintf("%s至少需要%g个字", label, *fl.Min)
		}
		if fl.Max != nil && float64(n) > *fl.Max {
			return fmt.Sprintf("%s不能超过%g个字", label, *fl.Max)
		}
		return ""
	}
	switch fl.Type {
	case "text", "textarea", "address":
		if m := lenBounds(); m != "" {
			return m
		}
	case "number":
		num, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return label + "应为数字"
		}
		if fl.Min != nil && num < *fl.Min {
			return fmt.Sprintf("%s不能小于%g", label, *fl.Min)
		}
		if fl.Max != nil && num > *fl.Max {
			return fmt.Sprintf("%s不能大于%g", label, *fl.Max)
		}
	case "date":
		d, err := time.Parse("2006-01-02", x)
		if err != nil {
			return label + "应为日期（YYYY-MM-DD）"
		}
		if d.Year() < 1900 || d.After(now.AddDate(100, 0, 0)) {
			return label + "不是合理的日期"
		}
	case "select", "radio":
		if !hasOption(fl.Options, x) {
			return label + "请从给出的选项中选择"
		}
	case "multiselect":
		for _, y := range vals {
			if !hasOption(fl.Options, y) {
				return label + "请从给出的选项中选择"
			}
		}
	case "checkbox":
		if x != "1" && x != "true" && x != "on" {
			return label + "应为勾选"
		}
	case "phone":
		p := stdcode.NormalizePhone(x)
		if stdcode.ValidateMobile(p) != nil && !phoneLike.MatchString(x) {
			return label + "不是有效的电话号码"
		}
	case "idnumber":
		if err := stdcode.ValidateIDNumber(x, now); err != nil {
			return err.Error()
		}
	case "creditcode":
		if err := stdcode.ValidateCreditCode(x); err != nil {
			return err.Error()
		}
	case "region":
		if _, err := stdcode.ParseRegionCode(x); err != nil {
			return err.Error()
		}
	case "email":
		if a, err := mail.ParseAddress(x); err != nil || a.Address != x {
			return label + "不是有效的电子邮箱"
		}
	default:
		return label + "的字段类型未知"
	}
	if fl.Pattern != "" {
		re, err := regexp.Compile(fl.Pattern)
		if err != nil || !re.MatchString(x) {
			if fl.Help != "" {
				return label + "格式不正确：" + fl.Help
			}
			return label + "格式不正确"
		}
	}
	return ""
}

func hasOption(opts []Option, id string) bool {
	for _, o := range opts {
		if o.ID == id {
			return true
		}
	}
	return false
}
