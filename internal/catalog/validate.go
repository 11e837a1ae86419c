package catalog

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/stdcode"
)

// Problem is one thing wrong with an item, named by its field path
// (e.g. "materials[2].necessity") so an editor or an import report can
// point at it.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Field + "：" + p.Message }

// DeptInfo is what validation needs to know about a department.
type DeptInfo struct {
	Code       string
	Name       string
	CreditCode string
	RegionCode string
}

// Env is the world an item is validated against.
type Env struct {
	Departments map[string]DeptInfo // by department code
	Forms       map[string]*Form    // by form id
	// Workflows maps the known workflow ids to their names; nil skips the
	// check (the catalogue alone, in tests).
	Workflows map[string]string
}

var (
	digits12    = regexp.MustCompile(`^[0-9]{12}$`)
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

type checker struct {
	probs []Problem
}

func (c *checker) add(field, format string, args ...any) {
	c.probs = append(c.probs, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) required(field, value, label string, max int) {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		c.add(field, "缺少%s", label)
	case utf8.RuneCountInString(v) > max:
		c.add(field, "%s不能超过%d个字", label, max)
	}
}

func (c *checker) optional(field, value, label string, max int) {
	if utf8.RuneCountInString(value) > max {
		c.add(field, "%s不能超过%d个字", label, max)
	}
}

func (c *checker) dict(field, value, label string, dict map[string]string) {
	if value == "" {
		c.add(field, "缺少%s", label)
		return
	}
	if _, ok := dict[value]; !ok {
		c.add(field, "%s代码 %q 不在字典中（可选：%s）", label, value, keys(dict))
	}
}

func (c *checker) set(field, value, label string, set map[string]bool) {
	if !set[value] {
		var ks []string
		for k := range set {
			ks = append(ks, k)
		}
		c.add(field, "%s %q 无效（可选：%s）", label, value, strings.Join(sortStrings(ks), "、"))
	}
}

func (c *checker) limit(field string, l Limit, label string) {
	if l.Amount < 0 || l.Amount > 3650 {
		c.add(field+".amount", "%s应在0到3650之间", label)
	}
	c.dict(field+".unit", l.Unit, label+"单位", LimitUnits)
}

// Validate checks every element of an item against the standard and
// returns all problems at once (empty when the item may be published).
// Codes are checked for format and for consistency with the department.
func Validate(it *Item, env Env) []Problem {
	c := &checker{}
	c.required("name", it.Name, "事项名称", 100)
	c.required("mainItem", it.MainItem, "主项名称", 100)
	c.optional("subItem", it.SubItem, "子项名称", 100)
	c.dict("type", it.Type, "事项类型", ItemTypes)
	c.dict("level", it.Level, "行使层级", Levels)
	c.dict("powerSource", it.PowerSource, "权力来源", PowerSources)
	c.dict("handlingType", it.HandlingType, "办件类型", HandlingTypes)

	if it.Workflow != "" && env.Workflows != nil {
		if _, ok := env.Workflows[it.Workflow]; !ok {
			c.add("workflow", "办理流程 %q 不存在", it.Workflow)
		}
	}
	checkRules(c, it, env)
	dept, ok := env.Departments[it.Department]
	if it.Department == "" {
		c.add("department", "缺少实施机关")
	} else if !ok {
		c.add("department", "实施机关 %q 不存在", it.Department)
	}
	if it.Entrusted != "" {
		if _, ok := env.Departments[it.Entrusted]; !ok {
			c.add("entrustedDept", "委托部门 %q 不存在", it.Entrusted)
		} else if it.Entrusted == it.Department {
			c.add("entrustedDept", "委托部门不能与实施机关相同")
		}
	}
	if _, err := stdcode.ParseRegionCode(it.Region); err != nil || len(it.Region) != 12 {
		c.add("region", "行政区划代码应为12位数字")
	}

	// 基本编码: AA TT MMNNN SSS.
	switch {
	case !digits12.MatchString(it.BaseCode):
		c.add("baseCode", "基本编码应为12位数字，现为 %q", it.BaseCode)
	case it.Type != "" && it.Type <= "10" && it.BaseCode[2:4] != it.Type:
		c.add("baseCode", "基本编码第3–4位（%s）应与事项类型代码 %s 一致", it.BaseCode[2:4], it.Type)
	}
	// 实施编码 = credit code (18) + level (1) + base code (12).
	if it.ImplCode != "" {
		switch {
		case len(it.ImplCode) != 31:
			c.add("implCode", "实施编码应为31位，现为%d位", len(it.ImplCode))
		default:
			if err := stdcode.ValidateCreditCode(it.ImplCode[:18]); err != nil {
				c.add("implCode", "实施编码前18位不是有效的统一社会信用代码：%v", err)
			} else if ok && it.ImplCode[:18] != dept.CreditCode {
				c.add("implCode", "实施编码前18位 %s 与实施机关的统一社会信用代码 %s 不一致", it.ImplCode[:18], dept.CreditCode)
			}
			if it.ImplCode[18:19] != it.Level {
				c.add("implCode", "实施编码第19位（行使层级）%s 与行使层级 %s 不一致", it.ImplCode[18:19], it.Level)
			}
			if it.ImplCode[19:] != it.BaseCode {
				c.add("implCode", "实施编码后12位 %s 与基本编码 %s 不一致", it.ImplCode[19:], it.BaseCode)
			}
		}
	}
	if it.Code != "" {
		switch {
		case len(it.Code) != 33:
			c.add("code", "业务办理项编码应为33位，现为%d位", len(it.Code))
		case it.Code[:31] != it.ImplCode:
			c.add("code", "业务办理项编码前31位应为实施编码")
		case !digits12.MatchString("0000000000" + it.Code[31:]):
			c.add("code", "业务办理项编码最后两位应为数字序号")
		}
	}

	for i, a := range it.Aliases {
		c.required(fmt.Sprintf("aliases[%d]", i), a, "别名", 30)
	}
	for i, k := range it.Keywords {
		c.required(fmt.Sprintf("keywords[%d]", i), k, "关键词", 30)
	}
	if len(it.LegalBasis) == 0 {
		c.add("legalBasis", "至少需要一条设定依据")
	}
	for i, lb := range it.LegalBasis {
		f := fmt.Sprintf("legalBasis[%d]", i)
		c.required(f+".law", lb.Law, "法律法规名称", 100)
		c.optional(f+".article", lb.Article, "条款号", 50)
		c.optional(f+".text", lb.Text, "条款内容", 4000)
	}
	c.required("conditions", it.Conditions, "受理条件", 4000)
	if len(it.ServiceObjects) == 0 {
		c.add("serviceObjects", "至少需要一个服务对象")
	}
	for i, o := range it.ServiceObjects {
		c.dict(fmt.Sprintf("serviceObjects[%d]", i), o, "服务对象", ServiceObjects)
	}
	c.limit("legalLimit", it.LegalLimit, "法定办结时限")
	c.limit("promisedLimit", it.PromisedLimit, "承诺办结时限")
	if it.LegalLimit.Unit == it.PromisedLimit.Unit && it.LegalLimit.Amount > 0 && it.PromisedLimit.Amount > it.LegalLimit.Amount {
		c.add("promisedLimit.amount", "承诺时限（%d）不能长于法定时限（%d）", it.PromisedLimit.Amount, it.LegalLimit.Amount)
	}
	if it.HandlingType == "1" && it.PromisedLimit.Unit == "1" && it.PromisedLimit.Amount > 1 {
		c.add("promisedLimit.amount", "即办件的承诺时限不能超过1个工作日")
	}
	for i, sp := range it.SpecialProcedures {
		f := fmt.Sprintf("specialProcedures[%d]", i)
		c.required(f+".name", sp.Name, "特别程序名称", 30)
		c.limit(f+".limit", sp.Limit, "特别程序时限")
		c.optional(f+".description", sp.Description, "特别程序说明", 500)
	}
	if it.Fee.Charged {
		c.required("fee.basis", it.Fee.Basis, "收费依据", 500)
		if len(it.Fee.Items) == 0 {
			c.add("fee.items", "收费事项至少需要一个收费项目")
		}
	} else if len(it.Fee.Items) > 0 {
		c.add("fee.items", "不收费的事项不能有收费项目")
	}
	for i, fi := range it.Fee.Items {
		f := fmt.Sprintf("fee.items[%d]", i)
		c.required(f+".name", fi.Name, "收费项目名称", 60)
		c.required(f+".standard", fi.Standard, "收费标准", 200)
	}
	c.required("place", it.Place, "办理地点", 200)
	c.required("hours", it.Hours, "办理时间", 200)
	c.required("consult", it.Consult, "咨询方式", 200)
	c.required("complaint", it.Complaint, "监督投诉方式", 200)
	if it.Visits < 0 || it.Visits > 5 {
		c.add("visits", "到办事现场次数应在0到5之间")
	}
	if _, ok := OnlineDepths[it.OnlineDepth]; !ok {
		c.add("onlineDepth", "网办深度应为0到4")
	}
	if it.Visits == 0 && it.OnlineDepth < 4 && !it.Flags.Express {
		c.add("visits", "零跑动事项须全程网办（网办深度四级）或结果邮寄")
	}
	if _, ok := Scopes[it.Scope]; !ok {
		c.add("scope", "通办范围应为 county、city、province 或 nation")
	}
	c.optional("jointOrgans", it.JointOrgans, "联办机构", 200)
	c.optional("intermediary", it.Intermediary, "中介服务", 500)
	if len(it.Process) == 0 {
		c.add("process", "至少需要一个办理环节")
	}
	for i, s := range it.Process {
		f := fmt.Sprintf("process[%d]", i)
		c.required(f+".name", s.Name, "环节名称", 30)
		c.optional(f+".description", s.Description, "环节说明", 500)
	}
	if _, ok := ResultTypes[it.Result.Type]; !ok {
		c.add("result.type", "审批结果类型应为 licence、document 或 other")
	}
	c.required("result.name", it.Result.Name, "审批结果名称", 60)
	if it.Result.Type == "licence" && it.Result.LicenceType == "" {
		c.add("result.licenceType", "结果为证照时须写明证照类型")
	}

	options := map[string]map[string]bool{}
	for i, s := range it.Situations {
		f := fmt.Sprintf("situations[%d]", i)
		if !idPattern.MatchString(s.ID) {
			c.add(f+".id", "情形标识 %q 只能用小写字母、数字、-、_", s.ID)
		} else if options[s.ID] != nil {
			c.add(f+".id", "情形标识 %q 重复", s.ID)
		}
		c.required(f+".question", s.Question, "情形问题", 60)
		if len(s.Options) < 2 {
			c.add(f+".options", "情形至少需要两个选项")
		}
		opts := map[string]bool{}
		for j, o := range s.Options {
			of := fmt.Sprintf("%s.options[%d]", f, j)
			if !idPattern.MatchString(o.ID) {
				c.add(of+".id", "选项标识 %q 只能用小写字母、数字、-、_", o.ID)
			} else if opts[o.ID] {
				c.add(of+".id", "选项标识 %q 重复", o.ID)
			}
			opts[o.ID] = true
			c.required(of+".label", o.Label, "选项名称", 30)
		}
		options[s.ID] = opts
	}
	checkWhen := func(field string, when []string) {
		for k, w := range when {
			q, o, ok := strings.Cut(w, "=")
			switch {
			case !ok:
				c.add(fmt.Sprintf("%s.when[%d]", field, k), "适用情形应写成 问题=选项，现为 %q", w)
			case options[q] == nil:
				c.add(fmt.Sprintf("%s.when[%d]", field, k), "适用情形引用了不存在的问题 %q", q)
			case !options[q][o]:
				c.add(fmt.Sprintf("%s.when[%d]", field, k), "问题 %q 没有选项 %q", q, o)
			}
		}
	}

	if len(it.Materials) == 0 {
		c.add("materials", "至少需要一项申请材料")
	}
	matIDs := map[string]bool{}
	tolerable := false
	for i, m := range it.Materials {
		f := fmt.Sprintf("materials[%d]", i)
		if !idPattern.MatchString(m.ID) {
			c.add(f+".id", "材料标识 %q 只能用小写字母、数字、-、_", m.ID)
		} else if matIDs[m.ID] {
			c.add(f+".id", "材料标识 %q 重复", m.ID)
		}
		matIDs[m.ID] = true
		c.required(f+".name", m.Name, "材料名称", 100)
		c.set(f+".type", m.Type, "材料类型", MaterialTypes)
		c.set(f+".form", m.Form, "材料形式", MaterialForms)
		c.set(f+".necessity", m.Necessity, "必要性", Necessities)
		c.set(f+".source", m.Source, "来源渠道", Sources)
		if m.Copies < 0 || m.Copies > 20 {
			c.add(f+".copies", "份数应在0到20之间")
		}
		if m.Source == "政府部门核发" && m.Issuer == "" && m.LicenceType == "" {
			c.add(f+".issuer", "政府部门核发的材料须写明核发部门")
		}
		if m.Source == "电子证照" && m.LicenceType == "" {
			c.add(f+".licenceType", "来源为电子证照时须写明证照类型")
		}
		if m.Necessity == "容缺" {
			tolerable = true
		}
		c.optional(f+".notes", m.Notes, "填报说明", 1000)
		c.optional(f+".standard", m.Standard, "受理标准", 1000)
		checkWhen(f, m.When)
	}
	if it.Flags.Tolerance && !tolerable {
		c.add("flags.tolerance", "标为容缺受理的事项须至少有一项必要性为“容缺”的材料")
	}
	if tolerable && !it.Flags.Tolerance {
		c.add("flags.tolerance", "有容缺材料的事项须标为容缺受理")
	}
	if it.Form != "" {
		form := env.Forms[it.Form]
		if form == nil {
			c.add("form", "申请表 %q 不存在", it.Form)
		} else {
			for i, fl := range form.Fields {
				if len(fl.When) > 0 {
					checkWhen(fmt.Sprintf("form.fields[%d]", i), fl.When)
				}
			}
		}
	} else if it.OnlineDepth >= 3 {
		c.add("form", "可在线申请（网办深度三级及以上）的事项须有申请表")
	}
	for i, qa := range it.FAQ {
		f := fmt.Sprintf("faq[%d]", i)
		c.required(f+".q", qa.Q, "问题", 200)
		c.required(f+".a", qa.A, "回答", 2000)
	}
	if len(it.Themes) == 0 {
		c.add("themes", "至少需要一个主题")
	}
	for i, th := range it.Themes {
		if !isTheme(th) {
			c.add(fmt.Sprintf("themes[%d]", i), "主题 %q 不在主题目录中", th)
		}
	}
	if it.EffectiveFrom != "" {
		if !datePattern.MatchString(it.EffectiveFrom) {
			c.add("effectiveFrom", "生效日期应为 YYYY-MM-DD")
		} else if _, err := time.Parse("2006-01-02", it.EffectiveFrom); err != nil {
			c.add("effectiveFrom", "生效日期 %q 不是有效日期", it.EffectiveFrom)
		}
	}
	return c.probs
}

// ValidateForm checks a form definition: unique machine names, known field
// types, options for choice fields, compilable patterns, sane bounds.
func ValidateForm(f *Form) []Problem {
	c := &checker{}
	if !idPattern.MatchString(f.ID) {
		c.add("id", "申请表标识 %q 只能用小写字母、数字、-、_", f.ID)
	}
	c.required("name", f.Name, "申请表名称", 60)
	if len(f.Fields) == 0 {
		c.add("fields", "申请表至少需要一个字段")
	}
	names := map[string]bool{}
	for i, fl := range f.Fields {
		p := fmt.Sprintf("fields[%d]", i)
		if !fieldName.MatchString(fl.Name) {
			c.add(p+".name", "字段名 %q 只能用字母、数字开头的驼峰式英文", fl.Name)
		} else if names[fl.Name] {
			c.add(p+".name", "字段名 %q 重复", fl.Name)
		}
		names[fl.Name] = true
		c.required(p+".label", fl.Label, "字段标签", 40)
		if _, ok := FieldTypes[fl.Type]; !ok {
			c.add(p+".type", "未知的字段类型 %q（可选：%s）", fl.Type, keys(FieldTypes))
		}
		switch fl.Type {
		case "select", "radio", "multiselect":
			if len(fl.Options) < 2 {
				c.add(p+".options", "选择类字段至少需要两个选项")
			}
		}
		if fl.Pattern != "" {
			if _, err := regexp.Compile(fl.Pattern); err != nil {
				c.add(p+".pattern", "校验规则不是有效的正则表达式：%v", err)
			}
		}
		if fl.Min != nil && fl.Max != nil && *fl.Min > *fl.Max {
			c.add(p+".min", "最小值不能大于最大值")
		}
		if fl.Prefill != "" && !prefillSources[fl.Prefill] && !IsLicencePrefill(fl.Prefill) {
			c.add(p+".prefill", "未知的免填写来源 %q（可用账户信息，或“licence:证照名称.字段”）", fl.Prefill)
		}
	}
	return c.probs
}

var fieldName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]{0,39}$`)

// prefillSources are the account data a form field may be filled from (免填写).
var prefillSources = map[string]bool{
	"person.name": true, "person.idNumber": true, "person.phone": true,
	"company.name": true, "company.creditCode": true, "company.legalRep": true, "company.address": true,
}

// LicencePrefix starts a prefill source that is a field of one of the
// applicant's electronic licences: "licence:营业执照.residence", or
// "licence:食品经营许可证.number" for the licence's number (免填写 from the
// wallet). The licence type is named as the catalogue names it.
const LicencePrefix = "licence:"

var licencePrefill = regexp.MustCompile(`^licence:([^.\s]{2,40})\.([a-zA-Z][a-zA-Z0-9]{0,39})$`)

// IsLicencePrefill reports whether source names a licence field.
func IsLicencePrefill(source string) bool { return licencePrefill.MatchString(source) }

// LicencePrefill splits a licence prefill source into the type name and
// the field key ("number" for the licence number).
func LicencePrefill(source string) (typeName, key string, ok bool) {
	m := licencePrefill.FindStringSubmatch(source)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// PrefillSources lists the account data a form field may be filled from.
func PrefillSources() []string {
	out := make([]string, 0, len(prefillSources))
	for k := range prefillSources {
		out = append(out, k)
	}
	return sortStrings(out)
}

// problemsError turns validation problems into one Invalid error whose
// message names the first problem and whose fields name every one.
func problemsError(msg string, probs []Problem) *apperr.Error {
	fields := map[string]string{}
	for _, p := range probs {
		if _, dup := fields[p.Field]; !dup {
			fields[p.Field] = p.Message
		}
	}
	return &apperr.Error{Code: apperr.Invalid, Message: msg + probs[0].String(), Fields: fields}
}

// checkRules checks an item's handling rules (Rules): every value known,
// every limit sensible, and the rules consistent with the item's flags.
func checkRules(c *checker, it *Item, env Env) {
	r := it.Rules
	if r.SupplementLimit != (Limit{}) {
		c.limit("rules.supplementLimit", r.SupplementLimit, "补正期限")
		if r.SupplementLimit.Amount == 0 {
			c.add("rules.supplementLimit.amount", "补正期限不能为0")
		}
	}
	if r.SupplementClock != "" {
		c.dict("rules.supplementClock", r.SupplementClock, "补正计时规则", SupplementClocks)
	}
	if r.ToleranceResult != "" {
		c.dict("rules.toleranceResult", r.ToleranceResult, "容缺结果发放规则", ToleranceResults)
	}
	if r.ToleranceDays < 0 || r.ToleranceDays > 60 {
		c.add("rules.toleranceDays", "容缺材料补交期限应在1到60个工作日之间")
	}
	if (r.ToleranceResult != "" || r.ToleranceDays != 0) && !it.Flags.Tolerance {
		c.add("rules.toleranceResult", "未标为容缺受理的事项不能设置容缺规则")
	}
	c.optional("rules.pledgeText", r.PledgeText, "承诺内容", 4000)
	if r.PledgeLimit != (Limit{}) {
		c.limit("rules.pledgeLimit", r.PledgeLimit, "告知承诺办理时限")
	}
	if r.PostCheckLimit != (Limit{}) {
		c.limit("rules.postCheckLimit", r.PostCheckLimit, "核查时限")
		if r.PostCheckLimit.Amount == 0 {
			c.add("rules.postCheckLimit.amount", "核查时限不能为0")
		}
	}
	if (r.PledgeText != "" || r.PledgeWorkflow != "" || r.PledgeLimit != (Limit{}) || r.PostCheckLimit != (Limit{})) && !it.Flags.Pledge {
		c.add("rules.pledgeText", "未标为告知承诺制的事项不能设置告知承诺规则")
	}
	if r.PledgeWorkflow != "" && env.Workflows != nil {
		if _, ok := env.Workflows[r.PledgeWorkflow]; !ok {
			c.add("rules.pledgeWorkflow", "告知承诺办理流程 %q 不存在", r.PledgeWorkflow)
		}
	}
	if it.Flags.Pledge && r.PledgeWorkflow == "" && env.Workflows != nil {
		if _, ok := env.Workflows["pledge"]; !ok {
			c.add("rules.pledgeWorkflow", "告知承诺制事项须指定办理流程（默认流程 pledge 不存在）")
		}
	}
	if r.Extension < 0 || r.Extension > 60 {
		c.add("rules.extension", "延期应在0到60个工作日之间")
	}
	if r.ExtensionRole != "" && r.ExtensionRole != "dept_head" && r.ExtensionRole != "approver" {
		c.add("rules.extensionRole", "延期审批角色应为 dept_head（部门负责人）或 approver（审批人员）")
	}
	seen := map[string]bool{}
	for i, d := range r.Delivery {
		f := fmt.Sprintf("rules.delivery[%d]", i)
		c.dict(f, d, "送达方式", DeliveryMethods)
		if seen[d] {
			c.add(f, "送达方式 %q 重复", d)
		}
		seen[d] = true
		if d == "post" && !it.Flags.Express && !it.Flags.FreeMail {
			c.add(f, "提供邮寄送达的事项须标为物流快递或免费邮寄")
		}
	}
	if it.Flags.FreeMail && len(r.Delivery) > 0 && !seen["post"] {
		c.add("rules.delivery", "免费邮寄事项须提供邮寄送达")
	}
}
