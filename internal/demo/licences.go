package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/seal"
)

// The demo's licence types: every licence an item of the demo catalogue
// issues, and the ones its materials accept instead of paper (居民身份证,
// 居民户口簿 …). The defining bodies are the national departments; 公安部's
// credit code is the real one (it is in a confirmed licence identifier),
// the others are made valid from placeholder organisation codes.
//
//go:embed licencetypes.json
var licenceTypesJSON []byte

type licenceTypesFile struct {
	Bodies map[string]struct {
		Name       string `json:"name"`
		CreditCode string `json:"creditCode"`
		Org8       string `json:"org8"`
	} `json:"bodies"`
	Types []struct {
		licence.Type
		Body   string `json:"body"`
		Serial string `json:"serial"`
	} `json:"types"`
}

// LicenceTypes are the demo licence types with their codes.
func LicenceTypes() ([]licence.Type, error) {
	var f licenceTypesFile
	if err := json.Unmarshal(licenceTypesJSON, &f); err != nil {
		return nil, fmt.Errorf("demo licence types: %w", err)
	}
	var out []licence.Type
	for _, t := range f.Types {
		b, ok := f.Bodies[t.Body]
		if !ok {
			return nil, fmt.Errorf("demo licence type %s: no body %q", t.Name, t.Body)
		}
		code := b.CreditCode
		if code == "" {
			code = creditCode("11100000", b.Org8)
		}
		lt := t.Type
		lt.Code, lt.DefinedBy = code+t.Serial, b.Name
		out = append(out, lt)
	}
	return out, nil
}

// LoadLicences defines the demo licence types, gives every department a
// seal (made by a demo seal maker, SM2) and registers the licences the
// demo people and company already hold: identity cards (for 一证通办), a
// household register, a social security card, a driving licence, a
// marriage certificate, and the company's 营业执照 and 食品经营许可证.
func LoadLicences(ctx context.Context, lic *licence.Service, ids *identity.Service, now time.Time) (int, error) {
	types, err := LicenceTypes()
	if err != nil {
		return 0, err
	}
	if err := lic.SaveTypes(ctx, nil, types); err != nil {
		return 0, err
	}
	if _, err := lic.EnsureSeals(ctx, "一网演示电子印章制章中心", seal.SM2, now.AddDate(-3, 0, 0)); err != nil {
		return 0, err
	}
	depts, err := ids.Departments(ctx)
	if err != nil {
		return 0, err
	}
	deptID := map[string]string{}
	for _, d := range depts {
		deptID[d.Code] = d.ID
	}
	who := map[string]*identity.Principal{}
	for _, u := range []string{"citizen1", "citizen2", "company1"} {
		p, err := ids.Login(ctx, u, Password, "127.0.0.1")
		if err != nil {
			return 0, fmt.Errorf("demo licences: log in %s: %w", u, err)
		}
		who[u] = p
	}
	type held struct {
		user, typ, dept string
		years           int // issued this many years before now
		form            map[string][]string
		company         bool
	}
	list := []held{
		{user: "citizen1", typ: "居民身份证", dept: "gaj", years: 6, form: map[string][]string{"address": {"浙江省杭州市桐庐县桐君街道学圣路118号"}}},
		{user: "citizen1", typ: "居民户口簿", dept: "gaj", years: 12, form: map[string][]string{"address": {"浙江省杭州市桐庐县桐君街道学圣路118号"}}},
		{user: "citizen1", typ: "社会保障卡", dept: "rsj", years: 3, form: map[string][]string{"bankName": {"中国农业银行桐庐支行"}}},
		{user: "citizen2", typ: "居民身份证", dept: "gaj", years: 4, form: map[string][]string{"address": {"浙江省杭州市桐庐县城南街道迎春南路256号"}}},
		{user: "citizen2", typ: "机动车驾驶证", dept: "gaj", years: 2, form: map[string][]string{"matter": {"C1"}}},
		{user: "citizen2", typ: "结婚证", dept: "mzj", years: 9},
		{user: "company1", typ: "居民身份证", dept: "gaj", years: 5, form: map[string][]string{"address": {"浙江省杭州市桐庐县桐君街道白云源路38号"}}},
		{user: "company1", typ: "营业执照", dept: "scjg", years: 3, company: true, form: map[string][]string{
			"companyName": {"桐庐春江餐饮管理有限公司"}, "companyType": {"有限责任公司（自然人投资或控股）"}, "legalRepName": {"陈晓峰"},
			"registeredCapital": {"100"}, "residence": {"浙江省杭州市桐庐县桐君街道迎春南路188号"},
			"businessScope": {"餐饮服务；食品销售；餐饮管理；外卖递送服务（依法须经批准的项目，经相关部门批准后方可开展经营活动）"}}},
		{user: "company1", typ: "食品经营许可证", dept: "scjg", years: 1, company: true, form: map[string][]string{
			"companyName": {"桐庐春江餐饮管理有限公司"}, "legalRep": {"陈晓峰"}, "companyAddress": {"浙江省杭州市桐庐县桐君街道迎春南路188号"},
			"businessPlace": {"浙江省杭州市桐庐县桐君街道迎春南路188号1楼"}, "mainBusiness": {"餐饮服务经营者（中型餐馆）"},
			"businessItems": {"热食类食品制售；冷食类食品制售（不含烧卤熟肉）；预包装食品销售（含冷藏冷冻食品）"}, "safetyManager": {"周建平"}}},
	}
	n := 0
	for _, h := range list {
		p := who[h.user]
		id, ok := deptID[h.dept]
		if !ok {
			return n, fmt.Errorf("demo licences: no department %s", h.dept)
		}
		in := licence.IssueInput{TypeName: h.typ, DepartmentID: id, PersonID: p.PersonID, Form: h.form,
			IssuedOn: now.AddDate(-h.years, 0, -17*(n+1))}
		if h.company {
			in.PersonID, in.CompanyID = "", p.CompanyID
		}
		if _, err := lic.IssueDirect(ctx, in, now); err != nil {
			return n, fmt.Errorf("demo licence %s for %s: %w", h.typ, h.user, err)
		}
		n++
	}
	return n, nil
}
