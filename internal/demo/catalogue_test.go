package demo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"yiwang/internal/catalog"
)

func decodeCatalogue(t *testing.T) catalog.File {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(CatalogueJSON))
	dec.DisallowUnknownFields()
	var f catalog.File
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("catalogue.json does not decode into catalog.File: %v", err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		t.Fatalf("catalogue.json has trailing data after the file object: %v", err)
	}
	return f
}

func TestCatalogueDecodes(t *testing.T) {
	f := decodeCatalogue(t)
	if f.Format != catalog.Format {
		t.Fatalf("format = %q, want %q", f.Format, catalog.Format)
	}
	if n := len(f.Forms); n < 10 || n > 15 {
		t.Errorf("%d forms, want 10–15", n)
	}
}

func TestCatalogueDepartments(t *testing.T) {
	f := decodeCatalogue(t)
	if len(f.Items) < 90 {
		t.Fatalf("%d items, want at least 90", len(f.Items))
	}
	known := map[string]bool{}
	for _, d := range departments {
		known[d.code] = true
	}
	perDept := map[string]int{}
	for _, it := range f.Items {
		if !known[it.Department] {
			t.Errorf("%s: department %q is not a demo department", it.Name, it.Department)
		}
		if it.Entrusted != "" && !known[it.Entrusted] {
			t.Errorf("%s: entrusted department %q is not a demo department", it.Name, it.Entrusted)
		}
		perDept[it.Department]++
	}
	if len(perDept) < 16 {
		t.Errorf("items cover %d departments, want at least 16", len(perDept))
	}
	for _, d := range departments {
		if perDept[d.code] < 3 {
			t.Errorf("department %s (%s) has %d items, want at least 3", d.code, d.name, perDept[d.code])
		}
	}
}

func TestDemoDepartments(t *testing.T) {
	if len(departments) < 16 {
		t.Fatalf("%d departments, want at least 16", len(departments))
	}
	codes, orgs, credits := map[string]bool{}, map[string]bool{}, map[string]bool{}
	phone := regexp.MustCompile(`^0571-642\d{5}$`)
	org := regexp.MustCompile(`^\d{8}$`)
	for _, d := range departments {
		if codes[d.code] || orgs[d.org8] {
			t.Errorf("department %s: duplicate code or organisation code stem", d.code)
		}
		codes[d.code], orgs[d.org8] = true, true
		if !org.MatchString(d.org8) {
			t.Errorf("department %s: organisation code stem %q is not 8 digits", d.code, d.org8)
		}
		if !phone.MatchString(d.phone) {
			t.Errorf("department %s: phone %q", d.code, d.phone)
		}
		if !strings.HasPrefix(d.address, "桐庐县") || d.name == "" || d.short == "" {
			t.Errorf("department %s: incomplete %+v", d.code, d)
		}
		cc := creditCode("11330122", d.org8)
		if credits[cc] {
			t.Errorf("department %s: duplicate credit code %s", d.code, cc)
		}
		credits[cc] = true
	}
}

func TestCatalogueFlags(t *testing.T) {
	f := decodeCatalogue(t)
	count := map[string]int{}
	for _, it := range f.Items {
		fl := it.Flags
		for name, on := range map[string]bool{
			"inHall": fl.InHall, "appointment": fl.Appointment, "onlinePayment": fl.OnlinePayment,
			"express": fl.Express, "freeMail": fl.FreeMail, "kiosk": fl.Kiosk, "immediate": fl.Immediate,
			"nearby": fl.Nearby, "cityWide": fl.CityWide, "crossProvince": fl.CrossProvince, "pledge": fl.Pledge,
			"tolerance": fl.Tolerance, "proof": fl.Proof, "highFrequency": fl.HighFrequency,
		} {
			if on {
				count[name]++
			}
		}
		if fl.CrossProvince && it.Scope != "nation" {
			t.Errorf("%s: 跨省通办 but scope %q", it.Name, it.Scope)
		}
		if fl.CityWide && it.Scope == "county" {
			t.Errorf("%s: 全市通办 but scope county", it.Name)
		}
		if fl.Nearby && it.Level != "5" && !fl.InHall {
			t.Errorf("%s: 就近办 item neither town-level nor in a hall", it.Name)
		}
		if fl.Tolerance {
			ok := false
			for _, m := range it.Materials {
				ok = ok || m.Necessity == "容缺"
			}
			if !ok {
				t.Errorf("%s: 容缺受理 without a 容缺 material", it.Name)
			}
		}
		if fl.Immediate && it.HandlingType != "1" {
			t.Errorf("%s: 马上办 but not 即办件", it.Name)
		}
	}
	minimum := map[string]int{
		"inHall": 1, "appointment": 1, "onlinePayment": 1, "express": 1, "kiosk": 1,
		"freeMail": 10, "immediate": 10, "nearby": 8, "cityWide": 15, "crossProvince": 8,
		"pledge": 8, "tolerance": 8, "proof": 5, "highFrequency": 20,
	}
	for name, min := range minimum {
		if count[name] < min {
			t.Errorf("list %s has %d items, want at least %d", name, count[name], min)
		}
	}
	intermediary := 0
	for _, it := range f.Items {
		if it.Intermediary != "" {
			intermediary++
		}
	}
	if intermediary < 3 {
		t.Errorf("%d items with 中介服务, want at least 3", intermediary)
	}
}

func TestCatalogueCodes(t *testing.T) {
	f := decodeCatalogue(t)
	digits := regexp.MustCompile(`^\d{12}$`)
	byCode := map[string]string{}
	byItem := map[string]string{}
	names := map[string]bool{}
	for _, it := range f.Items {
		if names[it.Name] {
			t.Errorf("duplicate item name %s", it.Name)
		}
		names[it.Name] = true
		if it.ImplCode != "" || it.Code != "" {
			t.Errorf("%s: implCode and code must be left to the loader", it.Name)
		}
		if !digits.MatchString(it.BaseCode) {
			t.Errorf("%s: base code %q is not 12 digits", it.Name, it.BaseCode)
			continue
		}
		if it.BaseCode[:2] != "00" {
			t.Errorf("%s: base code %s is not from the national catalogue (AA 00)", it.Name, it.BaseCode)
		}
		if tt := it.BaseCode[2:4]; tt != it.Type {
			t.Errorf("%s: base code %s has type %s, item type is %s", it.Name, it.BaseCode, tt, it.Type)
		}
		key := it.MainItem + "｜" + it.SubItem
		if prev, ok := byCode[it.BaseCode]; ok && prev != key {
			t.Errorf("base code %s used for %s and %s", it.BaseCode, prev, key)
		}
		if prev, ok := byItem[key]; ok && prev != it.BaseCode {
			t.Errorf("%s has base codes %s and %s", key, prev, it.BaseCode)
		}
		byCode[it.BaseCode], byItem[key] = key, it.BaseCode
		if it.SubItem == "" && it.BaseCode[9:] != "000" {
			t.Errorf("%s: no 子项 but sub-item code %s", it.Name, it.BaseCode[9:])
		}
	}
}

var (
	lifeEvents     = []string{"出生", "教育", "就业", "婚姻", "住房", "社会保障", "医疗", "养老", "退休", "户籍", "出行", "残疾人", "身后", "退役军人"}
	businessStages = []string{"企业开办", "准营", "经营", "投资建设", "变更", "注销"}
	prefills       = []string{"person.name", "person.idNumber", "person.phone", "company.name", "company.creditCode", "company.legalRep", "company.address"}
)

func set(xs ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		for _, s := range x {
			m[s] = true
		}
	}
	return m
}

// whenOK reports whether every "question=option" refers to a situation
// question of the item and one of its options.
func whenOK(when []string, sits map[string]map[string]bool) (string, bool) {
	for _, w := range when {
		q, o, ok := strings.Cut(w, "=")
		if !ok || sits[q] == nil || !sits[q][o] {
			return w, false
		}
	}
	return "", true
}

func TestCatalogueForms(t *testing.T) {
	f := decodeCatalogue(t)
	allowedPrefill := set(prefills)
	ids := map[string]bool{}
	for _, fm := range f.Forms {
		if fm.ID == "" || fm.Name == "" || ids[fm.ID] {
			t.Errorf("form %q: empty or duplicate id/name", fm.ID)
		}
		ids[fm.ID] = true
		if len(fm.Fields) == 0 {
			t.Errorf("form %s has no fields", fm.ID)
		}
		names := map[string]bool{}
		for _, fd := range fm.Fields {
			if names[fd.Name] || fd.Name == "" || fd.Label == "" {
				t.Errorf("form %s: empty or duplicate field %q", fm.ID, fd.Name)
			}
			names[fd.Name] = true
			if _, ok := catalog.FieldTypes[fd.Type]; !ok {
				t.Errorf("form %s field %s: unknown type %q", fm.ID, fd.Name, fd.Type)
			}
			switch fd.Type {
			case "select", "radio", "multiselect":
				if len(fd.Options) < 2 {
					t.Errorf("form %s field %s: %s needs options", fm.ID, fd.Name, fd.Type)
				}
			default:
				if len(fd.Options) > 0 {
					t.Errorf("form %s field %s: options on a %s field", fm.ID, fd.Name, fd.Type)
				}
			}
			if fd.Pattern != "" {
				if _, err := regexp.Compile(fd.Pattern); err != nil {
					t.Errorf("form %s field %s: pattern: %v", fm.ID, fd.Name, err)
				}
			}
			if fd.Min != nil && fd.Max != nil && *fd.Min > *fd.Max {
				t.Errorf("form %s field %s: min > max", fm.ID, fd.Name)
			}
			if typ, key, ok := catalog.LicencePrefill(fd.Prefill); ok {
				if !licenceFieldExists(t, typ, key) {
					t.Errorf("form %s field %s: prefill %q names no field of a demo licence type", fm.ID, fd.Name, fd.Prefill)
				}
			} else if fd.Prefill != "" && !allowedPrefill[fd.Prefill] {
				t.Errorf("form %s field %s: unknown prefill %q", fm.ID, fd.Name, fd.Prefill)
			}
		}
	}
	used := map[string]bool{}
	for _, it := range f.Items {
		used[it.Form] = true
	}
	for id := range ids {
		if !used[id] {
			t.Errorf("form %s is not used by any item", id)
		}
	}
}

func TestCatalogueItems(t *testing.T) {
	f := decodeCatalogue(t)
	forms := map[string]catalog.Form{}
	for _, fm := range f.Forms {
		forms[fm.ID] = fm
	}
	themes := set(lifeEvents, businessStages)
	regions := map[string]bool{}
	for _, r := range regions_() {
		regions[r] = true
	}
	date := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	situations := 0
	faqs := 0
	for _, it := range f.Items {
		name := it.Name
		if it.MainItem == "" || it.Conditions == "" || it.Place == "" || it.Hours == "" || it.Consult == "" || it.Complaint == "" {
			t.Errorf("%s: missing main item, conditions, place, hours, consult or complaint", name)
		}
		if !strings.Contains(it.Consult, "12345") || !strings.Contains(it.Complaint, "12345") {
			t.Errorf("%s: consult and complaint should name 12345", name)
		}
		if len(it.Aliases) == 0 || len(it.Keywords) == 0 {
			t.Errorf("%s: needs aliases and keywords", name)
		}
		if _, ok := catalog.ItemTypes[it.Type]; !ok {
			t.Errorf("%s: type %q", name, it.Type)
		}
		if _, ok := catalog.Levels[it.Level]; !ok {
			t.Errorf("%s: level %q", name, it.Level)
		}
		if _, ok := catalog.PowerSources[it.PowerSource]; !ok {
			t.Errorf("%s: power source %q", name, it.PowerSource)
		}
		if _, ok := catalog.HandlingTypes[it.HandlingType]; !ok {
			t.Errorf("%s: handling type %q", name, it.HandlingType)
		}
		if _, ok := catalog.Scopes[it.Scope]; !ok {
			t.Errorf("%s: scope %q", name, it.Scope)
		}
		if _, ok := catalog.OnlineDepths[it.OnlineDepth]; !ok {
			t.Errorf("%s: online depth %d", name, it.OnlineDepth)
		}
		if it.Visits < 0 || it.Visits > 2 {
			t.Errorf("%s: visits %d", name, it.Visits)
		}
		if !regions[it.Region] {
			t.Errorf("%s: region %s is not a demo region", name, it.Region)
		}
		if (it.Level == "5") != (it.Region != County) {
			t.Errorf("%s: level %s with region %s", name, it.Level, it.Region)
		}
		if len(it.ServiceObjects) == 0 {
			t.Errorf("%s: no service objects", name)
		}
		for _, so := range it.ServiceObjects {
			if _, ok := catalog.ServiceObjects[so]; !ok {
				t.Errorf("%s: service object %q", name, so)
			}
		}
		if n := len(it.LegalBasis); n < 1 || n > 3 {
			t.Errorf("%s: %d legal bases, want 1–3", name, n)
		}
		for _, lb := range it.LegalBasis {
			if !strings.HasPrefix(lb.Law, "《") || !strings.Contains(lb.Law, "》") || lb.Article == "" || lb.Text == "" {
				t.Errorf("%s: incomplete legal basis %+v", name, lb)
			}
		}
		for _, l := range []catalog.Limit{it.LegalLimit, it.PromisedLimit} {
			if _, ok := catalog.LimitUnits[l.Unit]; !ok || l.Amount < 0 {
				t.Errorf("%s: limit %+v", name, l)
			}
		}
		if it.LegalLimit.Amount > 0 && it.LegalLimit.Unit == it.PromisedLimit.Unit && it.PromisedLimit.Amount > it.LegalLimit.Amount {
			t.Errorf("%s: promised %d exceeds legal %d", name, it.PromisedLimit.Amount, it.LegalLimit.Amount)
		}
		if it.HandlingType == "1" {
			p := it.PromisedLimit
			if !(p.Unit == "1" && p.Amount <= 1) && p.Unit != "3" && p.Unit != "4" {
				t.Errorf("%s: 即办件 with promised limit %+v", name, p)
			}
		}
		for _, sp := range it.SpecialProcedures {
			if _, ok := catalog.LimitUnits[sp.Limit.Unit]; !ok || sp.Name == "" {
				t.Errorf("%s: special procedure %+v", name, sp)
			}
		}
		if it.Fee.Charged && len(it.Fee.Items) == 0 {
			t.Errorf("%s: charged without fee items", name)
		}
		if n := len(it.Process); n < 3 || n > 6 {
			t.Errorf("%s: %d process steps, want 3–6", name, n)
		}
		if _, ok := catalog.ResultTypes[it.Result.Type]; !ok || it.Result.Name == "" {
			t.Errorf("%s: result %+v", name, it.Result)
		}
		if it.Result.Type == "licence" && it.Result.LicenceType == "" {
			t.Errorf("%s: licence result without licence type", name)
		}
		if len(it.Themes) == 0 {
			t.Errorf("%s: no themes", name)
		}
		for _, th := range it.Themes {
			if !themes[th] {
				t.Errorf("%s: theme %q is neither a life event nor a business stage", name, th)
			}
		}
		if !date.MatchString(it.EffectiveFrom) {
			t.Errorf("%s: effectiveFrom %q", name, it.EffectiveFrom)
		}

		sits := map[string]map[string]bool{}
		for _, s := range it.Situations {
			if sits[s.ID] != nil || s.Question == "" || len(s.Options) < 2 {
				t.Errorf("%s: situation %q duplicate, unnamed or with fewer than two options", name, s.ID)
			}
			opts := map[string]bool{}
			for _, o := range s.Options {
				if opts[o.ID] || o.Label == "" {
					t.Errorf("%s: situation %s option %q duplicate or unlabelled", name, s.ID, o.ID)
				}
				opts[o.ID] = true
			}
			sits[s.ID] = opts
		}
		if len(it.Situations) > 0 {
			situations++
		}
		if len(it.FAQ) > 0 {
			faqs++
		}

		if n := len(it.Materials); n < 2 || n > 10 {
			t.Errorf("%s: %d materials, want 2–10", name, n)
		}
		mids := map[string]bool{}
		for _, m := range it.Materials {
			if m.ID == "" || mids[m.ID] || m.Name == "" {
				t.Errorf("%s: material %q empty or duplicate", name, m.ID)
			}
			mids[m.ID] = true
			if !catalog.MaterialTypes[m.Type] || !catalog.MaterialForms[m.Form] || !catalog.Necessities[m.Necessity] || !catalog.Sources[m.Source] {
				t.Errorf("%s: material %s has type %q form %q necessity %q source %q", name, m.ID, m.Type, m.Form, m.Necessity, m.Source)
			}
			if m.Copies < 1 {
				t.Errorf("%s: material %s copies %d", name, m.ID, m.Copies)
			}
			if m.Source == "电子证照" && m.LicenceType == "" {
				t.Errorf("%s: material %s from 电子证照 without licence type", name, m.ID)
			}
			if m.Source != "申请人自备" && m.Issuer == "" {
				t.Errorf("%s: material %s issued by government without issuer", name, m.ID)
			}
			if w, ok := whenOK(m.When, sits); !ok {
				t.Errorf("%s: material %s: when %q refers to no situation option", name, m.ID, w)
			}
		}

		if it.OnlineDepth >= 3 && it.Form == "" {
			t.Errorf("%s: online item without a form", name)
		}
		if it.Form != "" {
			fm, ok := forms[it.Form]
			if !ok {
				t.Errorf("%s: form %q does not exist", name, it.Form)
				continue
			}
			for _, fd := range fm.Fields {
				if w, ok := whenOK(fd.When, sits); !ok {
					t.Errorf("%s: form %s field %s: when %q refers to no situation option of the item", name, fm.ID, fd.Name, w)
				}
			}
		}
	}
	if situations < 15 {
		t.Errorf("%d items with situations, want at least 15", situations)
	}
	if faqs < 40 {
		t.Errorf("%d items with FAQ, want at least 40", faqs)
	}
}

// regions_ lists the demo region codes.
func regions_() []string {
	var out []string
	for _, r := range regions {
		out = append(out, r.code)
	}
	return out
}

func TestSynonyms(t *testing.T) {
	fh, err := os.Open("../catalog/data/synonyms.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	groups := 0
	canonical := map[string]int{}
	sc := bufio.NewScanner(fh)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if i := strings.Index(text, "#"); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		words := strings.Fields(text)
		if len(words) < 2 {
			t.Errorf("line %d: a group needs at least two words: %q", line, text)
			continue
		}
		seen := map[string]bool{}
		for _, w := range words {
			if seen[w] {
				t.Errorf("line %d: %q repeated", line, w)
			}
			seen[w] = true
		}
		if prev, ok := canonical[words[0]]; ok {
			t.Errorf("line %d: canonical term %q already heads line %d", line, words[0], prev)
		}
		canonical[words[0]] = line
		groups++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if groups < 80 {
		t.Errorf("%d synonym groups, want at least 80", groups)
	}
}

// TestCatalogueValidates runs the catalogue's own publication checks
// (catalog.Validate and catalog.ValidateForm) against the demo departments,
// so the embedded file imports without a single problem.
func TestCatalogueValidates(t *testing.T) {
	f := decodeCatalogue(t)
	env := catalog.Env{Departments: map[string]catalog.DeptInfo{}, Forms: map[string]*catalog.Form{}}
	for _, d := range departments {
		env.Departments[d.code] = catalog.DeptInfo{Code: d.code, Name: d.name, CreditCode: creditCode("11330122", d.org8), RegionCode: County}
	}
	for i := range f.Forms {
		fm := &f.Forms[i]
		for _, p := range catalog.ValidateForm(fm) {
			t.Errorf("form %s: %s", fm.ID, p)
		}
		env.Forms[fm.ID] = fm
	}
	for i := range f.Items {
		it := &f.Items[i]
		for _, p := range catalog.Validate(it, env) {
			t.Errorf("item %d %s: %s", i+1, it.Name, p)
		}
	}
}

// licenceFieldExists reports whether a demo licence type has the field
// (or key is "number", every licence's number).
func licenceFieldExists(t *testing.T, typ, key string) bool {
	t.Helper()
	types, err := LicenceTypes()
	if err != nil {
		t.Fatal(err)
	}
	for _, lt := range types {
		if lt.Name != typ {
			continue
		}
		if key == "number" {
			return true
		}
		for _, f := range lt.Fields {
			if f.Key == key {
				return true
			}
		}
	}
	return false
}

// TestEveryLicenceResultHasAType: every demo item whose result is a
// licence issues one (its type is defined), and every licence type a
// material accepts that demo people hold is defined too.
func TestEveryLicenceResultHasAType(t *testing.T) {
	f := decodeCatalogue(t)
	types, err := LicenceTypes()
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, lt := range types {
		defined[lt.Name] = true
	}
	n := 0
	for _, it := range f.Items {
		if it.Result.Type == "licence" {
			n++
			if !defined[it.Result.LicenceType] {
				t.Errorf("%s yields %q, which has no licence type", it.Name, it.Result.LicenceType)
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d demo items yield licences", n)
	}
	for _, name := range []string{"居民身份证", "居民户口簿", "营业执照", "结婚证", "机动车驾驶证", "社会保障卡", "食品经营许可证"} {
		if !defined[name] {
			t.Errorf("no licence type %s", name)
		}
	}
}
