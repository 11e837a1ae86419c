package catalog

import (
	"strings"
	"testing"
	"time"

	"yiwang/internal/stdcode"
)

// cc completes a 统一社会信用代码 from its first 17 characters.
func cc(first17 string) string {
	c, err := stdcode.CreditCodeCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

var testDepts = map[string]DeptInfo{
	"scjg": {Code: "scjg", Name: "桐庐县市场监督管理局", CreditCode: cc("11330122002492522"), RegionCode: "330122000000"},
	"wsjk": {Code: "wsjk", Name: "桐庐县卫生健康局", CreditCode: cc("11330122002492630"), RegionCode: "330122000000"},
}

var testForm = &Form{ID: "form-food", Name: "食品经营许可申请表", Fields: []Field{
	{Name: "operatorName", Label: "经营者名称", Type: "text", Required: true, Prefill: "company.name"},
	{Name: "address", Label: "经营场所", Type: "address", Required: true},
	{Name: "area", Label: "经营面积（平方米）", Type: "number", When: []string{"kind=new"}},
}}

func sampleItem() Item {
	return Item{
		BaseCode: "000117011000", Name: "食品经营许可（新办）", MainItem: "食品经营许可",
		Aliases: []string{"开饭店", "餐饮许可证"}, Keywords: []string{"餐饮", "食品销售"},
		Type: "01", Level: "4", PowerSource: "1", Department: "scjg", Region: "330122000000",
		LegalBasis:     []LegalBasis{{Law: "《中华人民共和国食品安全法》", Article: "第三十五条", Text: "国家对食品生产经营实行许可制度。"}},
		Conditions:     "有与经营的食品品种、数量相适应的经营场所。",
		ServiceObjects: []string{"1", "2"}, HandlingType: "2",
		LegalLimit: Limit{Amount: 20, Unit: "1"}, PromisedLimit: Limit{Amount: 5, Unit: "1"},
		SpecialProcedures: []SpecialProcedure{{Name: "现场核查", Limit: Limit{Amount: 10, Unit: "1"}}},
		Place:             "桐庐县政务服务中心", Hours: "工作日 8:30–17:00", Consult: "0571-64282002", Complaint: "12345",
		Visits: 1, OnlineDepth: 4, Scope: "city",
		Flags:   Flags{Tolerance: true, Pledge: true, CityWide: true, FreeMail: true},
		Process: []Step{{Name: "申请"}, {Name: "受理"}, {Name: "审查"}, {Name: "决定"}},
		Result:  Result{Type: "licence", Name: "食品经营许可证", LicenceType: "食品经营许可证"},
		Situations: []Situation{{ID: "kind", Question: "办理类型", Options: []Option{{ID: "new", Label: "新办"}, {ID: "change", Label: "变更"}}},
			{ID: "subject", Question: "经营主体", Options: []Option{{ID: "individual", Label: "个体工商户"}, {ID: "company", Label: "企业"}}}},
		Materials: []Material{
			{ID: "application", Name: "食品经营许可申请书", Type: "原件", Form: "纸质或电子", Necessity: "必要", Copies: 1, Source: "申请人自备"},
			{ID: "licence", Name: "营业执照", Type: "复印件", Form: "电子", Necessity: "必要", Copies: 1, Source: "电子证照", LicenceType: "营业执照"},
			{ID: "layout", Name: "经营场所平面图", Type: "原件", Form: "纸质", Necessity: "容缺", Copies: 1, Source: "申请人自备", When: []string{"kind=new"}},
			{ID: "change-note", Name: "变更情况说明", Type: "原件", Form: "纸质", Necessity: "必要", Copies: 1, Source: "申请人自备", When: []string{"kind=change"}},
			{ID: "charter", Name: "企业章程", Type: "复印件", Form: "纸质", Necessity: "非必要", Copies: 1, Source: "申请人自备", When: []string{"subject=company", "kind=new"}},
		},
		Form:   "form-food",
		FAQ:    []QA{{Q: "只卖预包装食品需要许可吗？", A: "仅销售预包装食品的，办理备案即可。"}},
		Themes: []string{"准营"},
	}
}

func env() Env {
	return Env{Departments: testDepts, Forms: map[string]*Form{"form-food": testForm}}
}

func TestValidateAcceptsACompleteItem(t *testing.T) {
	items := []Item{sampleItem()}
	deriveCodes(items, testDepts)
	it := items[0]
	if it.ImplCode != testDepts["scjg"].CreditCode+"4"+"000117011000" || it.Code != it.ImplCode+"01" {
		t.Fatalf("derived codes: %s %s", it.ImplCode, it.Code)
	}
	if probs := Validate(&it, env()); len(probs) != 0 {
		t.Fatalf("valid item refused: %v", probs)
	}
	if probs := ValidateForm(testForm); len(probs) != 0 {
		t.Fatalf("valid form refused: %v", probs)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Item)
		field string
		msg   string
	}{
		{"no name", func(it *Item) { it.Name = " " }, "name", "缺少事项名称"},
		{"bad type", func(it *Item) { it.Type = "99" }, "type", "不在字典中"},
		{"base code letters", func(it *Item) { it.BaseCode = "00011701100X" }, "baseCode", "12位数字"},
		{"base code type mismatch", func(it *Item) { it.BaseCode = "000717011000" }, "baseCode", "事项类型代码 01"},
		{"impl code other dept", func(it *Item) {
			it.ImplCode = testDepts["wsjk"].CreditCode + "4" + it.BaseCode
			it.Code = it.ImplCode + "01"
		}, "implCode", "不一致"},
		{"impl code level", func(it *Item) { it.ImplCode = it.ImplCode[:18] + "3" + it.BaseCode; it.Code = it.ImplCode + "01" }, "implCode", "行使层级"},
		{"code length", func(it *Item) { it.Code = it.Code + "1" }, "code", "33位"},
		{"unknown department", func(it *Item) { it.Department = "xyz" }, "department", "不存在"},
		{"no legal basis", func(it *Item) { it.LegalBasis = nil }, "legalBasis", "至少需要一条"},
		{"promised over legal", func(it *Item) { it.PromisedLimit.Amount = 30 }, "promisedLimit.amount", "不能长于法定时限"},
		{"bad unit", func(it *Item) { it.LegalLimit.Unit = "9" }, "legalLimit.unit", "不在字典中"},
		{"instant too slow", func(it *Item) { it.HandlingType = "1" }, "promisedLimit.amount", "即办件"},
		{"fee without basis", func(it *Item) { it.Fee = Fee{Charged: true, Items: []FeeItem{{Name: "工本费", Standard: "10元"}}} }, "fee.basis", "缺少收费依据"},
		{"material necessity", func(it *Item) { it.Materials[0].Necessity = "可选" }, "materials[0].necessity", "必要性"},
		{"material when unknown question", func(it *Item) { it.Materials[2].When = []string{"size=big"} }, "materials[2].when[0]", "不存在的问题"},
		{"material when unknown option", func(it *Item) { it.Materials[2].When = []string{"kind=cancel"} }, "materials[2].when[0]", "没有选项"},
		{"duplicate material id", func(it *Item) { it.Materials[1].ID = "application" }, "materials[1].id", "重复"},
		{"licence source without type", func(it *Item) { it.Materials[1].LicenceType = "" }, "materials[1].licenceType", "证照类型"},
		{"tolerance without tolerable material", func(it *Item) { it.Materials[2].Necessity = "必要" }, "flags.tolerance", "容缺"},
		{"unknown form", func(it *Item) { it.Form = "form-none" }, "form", "不存在"},
		{"online without form", func(it *Item) { it.Form = "" }, "form", "须有申请表"},
		{"licence without type", func(it *Item) { it.Result.LicenceType = "" }, "result.licenceType", "证照类型"},
		{"zero visits but not online", func(it *Item) { it.Visits = 0; it.OnlineDepth = 2; it.Flags.Express = false }, "visits", "零跑动"},
		{"bad theme", func(it *Item) { it.Themes = []string{"吃饭"} }, "themes[0]", "主题目录"},
		{"bad date", func(it *Item) { it.EffectiveFrom = "2026-02-30" }, "effectiveFrom", "不是有效日期"},
		{"single option situation", func(it *Item) { it.Situations[1].Options = it.Situations[1].Options[:1] }, "situations[1].options", "两个选项"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items := []Item{sampleItem()}
			deriveCodes(items, testDepts)
			c.edit(&items[0])
			probs := Validate(&items[0], env())
			for _, p := range probs {
				if p.Field == c.field && strings.Contains(p.Message, c.msg) {
					return
				}
			}
			t.Fatalf("want problem at %s containing %q, got %v", c.field, c.msg, probs)
		})
	}
}

func TestValidateForm(t *testing.T) {
	bad := &Form{ID: "Bad ID", Name: "", Fields: []Field{
		{Name: "a", Label: "甲", Type: "colour"},
		{Name: "a", Label: "乙", Type: "select", Options: []Option{{ID: "x", Label: "X"}}},
		{Name: "b", Label: "丙", Type: "text", Pattern: "([", Min: ptr(5), Max: ptr(1), Prefill: "person.salary"},
	}}
	want := map[string]string{"id": "只能用", "name": "缺少", "fields[0].type": "未知的字段类型", "fields[1].name": "重复",
		"fields[1].options": "两个选项", "fields[2].pattern": "正则", "fields[2].min": "最小值", "fields[2].prefill": "免填写"}
	got := map[string]string{}
	for _, p := range ValidateForm(bad) {
		got[p.Field] = p.Message
	}
	for f, m := range want {
		if !strings.Contains(got[f], m) {
			t.Errorf("field %s: want %q, got %q", f, m, got[f])
		}
	}
}

func ptr(f float64) *float64 { return &f }

func TestSituationsNarrowMaterials(t *testing.T) {
	it := sampleItem()
	ids := func(ms []Material) string {
		var s []string
		for _, m := range ms {
			s = append(s, m.ID)
		}
		return strings.Join(s, ",")
	}
	if got := ids(it.MaterialsFor(Answers{})); got != "application,licence,layout,change-note,charter" {
		t.Fatalf("unanswered: %s", got)
	}
	if got := ids(it.MaterialsFor(Answers{"kind": "new", "subject": "individual"})); got != "application,licence,layout" {
		t.Fatalf("new individual: %s", got)
	}
	if got := ids(it.MaterialsFor(Answers{"kind": "new", "subject": "company"})); got != "application,licence,layout,charter" {
		t.Fatalf("new company: %s", got)
	}
	if got := ids(it.MaterialsFor(Answers{"kind": "change", "subject": "company"})); got != "application,licence,change-note" {
		t.Fatalf("change company: %s", got)
	}
	a := it.AnswersFrom(func(k string) string { return map[string]string{"kind": "new", "subject": "martian", "evil": "1"}[k] })
	if len(a) != 1 || a["kind"] != "new" || it.Complete(a) {
		t.Fatalf("answers: %v", a)
	}
	if n := len(testForm.FieldsFor(Answers{"kind": "change"})); n != 2 {
		t.Fatalf("fields for change: %d", n)
	}
}

func TestSearchFindsEverydayWords(t *testing.T) {
	seg, err := NewSegmenter(dictText, "餐饮 开饭店 开餐馆\n食品经营 开饭店 卖吃的\n出生 生孩子 生小孩\n退休 办退休\n")
	if err != nil {
		t.Fatal(err)
	}
	docs := []Doc{
		{Name: "食品经营许可（新办）", MainItem: "食品经营许可", Aliases: []string{"餐饮许可证"}, Department: "桐庐县市场监督管理局", Themes: []string{"准营"}},
		{Name: "出生医学证明签发", MainItem: "出生医学证明", Department: "桐庐县卫生健康局", Themes: []string{"出生"}},
		{Name: "职工基本养老保险退休核准", MainItem: "退休审批", Department: "桐庐县人力资源和社会保障局", Themes: []string{"退休"}},
		{Name: "个体工商户设立登记", MainItem: "个体工商户登记", Aliases: []string{"办营业执照"}, Department: "桐庐县市场监督管理局", Keywords: []string{"营业执照"}},
		{Name: "公共场所卫生许可", MainItem: "公共场所卫生许可", Department: "桐庐县卫生健康局", Keywords: []string{"餐饮", "宾馆"}},
	}
	ix := BuildIndex(seg, docs)
	top := func(q string) string {
		hits := ix.Search(q)
		if len(hits) == 0 {
			return ""
		}
		return docs[hits[0].Doc].Name
	}
	for q, want := range map[string]string{
		"我想开饭店": "食品经营许可（新办）", "开饭店": "食品经营许可（新办）", "食品经营": "食品经营许可（新办）",
		"生孩子": "出生医学证明签发", "退休": "职工基本养老保险退休核准", "营业执照": "个体工商户设立登记",
		"卫生许可": "公共场所卫生许可", "出生证明": "出生医学证明签发",
	} {
		if got := top(q); got != want {
			t.Errorf("%q: top hit %q, want %q (all: %v)", q, got, want, ix.Search(q))
		}
	}
	// Any query is answered: empty, huge, SQL, emoji, control characters.
	for _, q := range []string{"", strings.Repeat("开饭店", 4000), "'; DROP TABLE catalog_items; --", "🍜🍜 开饭店 🍜", "\x00\x01", "a", "%_%"} {
		_ = ix.Search(q)
	}
	if hits := ix.Search("完全无关的火星文"); len(hits) != 0 && docs[hits[0].Doc].Name == "食品经营许可（新办）" {
		t.Errorf("nonsense query ranks an item: %v", hits)
	}
}

func TestStats(t *testing.T) {
	a, b, c := sampleItem(), sampleItem(), sampleItem()
	b.Department, b.OnlineDepth, b.Visits, b.HandlingType, b.PromisedLimit = "wsjk", 2, 2, "1", Limit{Amount: 1, Unit: "1"}
	c.LegalLimit, c.PromisedLimit = Limit{Amount: 0, Unit: "1"}, Limit{Amount: 0, Unit: "1"}
	sn := &Snapshot{Entries: []*Entry{{Item: a, DeptName: "市场监管"}, {Item: b, DeptName: "卫健"}, {Item: c, DeptName: "市场监管"}}}
	st := sn.Stats()
	r := st.Total
	if r.Items != 3 || r.OnlineCapable != 2.0/3 || r.FullyOnline != 2.0/3 || r.AtMostOnce != 2.0/3 || r.Instant != 1.0/3 {
		t.Fatalf("rates: %+v", r)
	}
	// Comparable: a (20→5) and b (20→1): 1 − 6/40.
	if r.ComparableItems != 2 || r.LegalDays != 40 || r.PromisedDays != 6 || r.Compression != 1-6.0/40 {
		t.Fatalf("compression: %+v", r)
	}
	if len(st.Departments) != 2 || st.Departments[0].Department != "scjg" || st.Departments[0].Items != 2 {
		t.Fatalf("per department: %+v", st.Departments)
	}
	if (&Snapshot{}).Stats().Total.OnlineCapable != 0 {
		t.Fatal("empty catalogue")
	}
}

func TestFormCheck(t *testing.T) {
	f := &Form{ID: "f", Name: "表", Fields: []Field{
		{Name: "name", Label: "经营者名称", Type: "text", Required: true, Min: ptr(2), Max: ptr(10)},
		{Name: "area", Label: "经营面积", Type: "number", Min: ptr(1), Max: ptr(1000), When: []string{"kind=new"}},
		{Name: "kinds", Label: "经营项目", Type: "multiselect", Options: []Option{{ID: "hot", Label: "热食"}, {ID: "cold", Label: "冷食"}}},
		{Name: "opened", Label: "开业日期", Type: "date"},
		{Name: "id", Label: "负责人身份证", Type: "idnumber"},
		{Name: "code", Label: "信用代码", Type: "creditcode"},
		{Name: "phone", Label: "联系电话", Type: "phone", Required: true},
		{Name: "mail", Label: "邮箱", Type: "email"},
		{Name: "postcode", Label: "邮编", Type: "text", Pattern: `^\d{6}$`, Help: "6位数字"},
		{Name: "agree", Label: "承诺", Type: "checkbox", Required: true},
	}}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	id := "33012219560312002"
	c, _ := stdcode.IDCheckChar(id)
	good := Values{"name": {"春江餐饮"}, "area": {"120.5"}, "kinds": {"hot", "cold"}, "opened": {"2026-12-01"}, "id": {id + string(c)},
		"code": {testDepts["scjg"].CreditCode}, "phone": {"13957112345"}, "mail": {"a@example.cn"}, "postcode": {"311500"}, "agree": {"1"}}
	if errs := f.Check(good, Answers{"kind": "new"}, now); len(errs) != 0 {
		t.Fatalf("good values refused: %v", errs)
	}
	bad := Values{"name": {"春"}, "area": {"很大"}, "kinds": {"hot", "spicy"}, "opened": {"2026-13-01"}, "id": {id + "0"},
		"code": {"123"}, "phone": {"abc"}, "mail": {"not mail"}, "postcode": {"31150"}, "agree": {""}, "extra": {"x"}}
	errs := f.Check(bad, Answers{"kind": "new"}, now)
	for field, want := range map[string]string{"name": "至少需要2个字", "area": "应为数字", "kinds": "选项", "opened": "日期", "id": "校验",
		"code": "", "phone": "电话", "mail": "邮箱", "postcode": "6位数字", "agree": "请填写承诺", "extra": "没有字段"} {
		if !strings.Contains(errs[field], want) || errs[field] == "" {
			t.Errorf("%s: want %q, got %q", field, want, errs[field])
		}
	}
	// A field of another situation must not be sent.
	if errs := f.Check(Values{"name": {"春江餐饮"}, "phone": {"13957112345"}, "agree": {"1"}, "area": {"5"}}, Answers{"kind": "change"}, now); errs["area"] == "" {
		t.Error("a field of another situation was accepted")
	}
	if errs := f.Check(Values{"name": {"春江餐饮", "又一个"}, "phone": {"13957112345"}, "agree": {"1"}}, nil, now); !strings.Contains(errs["name"], "只能填写一个值") {
		t.Errorf("two values: %v", errs)
	}
}
