package web_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	reInput    = regexp.MustCompile(`<input id="[^"]*" name="([^"]+)" value="([^"]*)"`)
	reCheckbox = regexp.MustCompile(`<input type="checkbox" name="([^"]+)" value="([^"]*)" checked>`)
	reSelect   = regexp.MustCompile(`(?s)<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>`)
	reSelected = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	reTextarea = regexp.MustCompile(`(?s)<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>`)
)

// formValues reads the editor form as a browser would submit it unchanged.
func formValues(body string) url.Values {
	v := url.Values{}
	for _, m := range reInput.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range reCheckbox.FindAllStringSubmatch(body, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range reSelect.FindAllStringSubmatch(body, -1) {
		if s := reSelected.FindStringSubmatch(m[2]); s != nil {
			v.Set(m[1], html.UnescapeString(s[1]))
		}
	}
	for _, m := range reTextarea.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	v.Del("csrf")
	return v
}

func TestCatalogueEditor(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		b, draftURL := editSmallCatalogue(t, a, "000117011000")
		ed := b.get(draftURL)
		form := formValues(ed.Body)
		if form.Get("name") != "食品经营许可（新办）" || form.Get("materials.2.necessity") != "容缺" || form.Get("legalBasis.0.law") != "《中华人民共和国食品安全法》" || form.Get("flags.tolerance") != "1" {
			t.Fatalf("editor does not show the item: %v", form)
		}
		// A number that cannot be read: nothing saved, typed values kept.
		bad := url.Values{}
		for k, vs := range form {
			bad[k] = vs
		}
		bad.Set("visits", "一次")
		bad.Set("promisedLimit.amount", "2")
		bad.Set("op", "save")
		p := b.post(draftURL, bad)
		if p.Status != 400 || !strings.Contains(p.Body, "到现场次数应为整数") || !strings.Contains(p.Body, `value="一次"`) {
			t.Fatalf("bad number: %d %s", p.Status, snippet(p.Body))
		}
		if strings.Contains(b.get(draftURL).Body, `name="promisedLimit.amount" value="2"`) {
			t.Fatal("a draft with an unreadable number was saved")
		}
		// Save a change and a new material row.
		form.Set("promisedLimit.amount", "2")
		form.Set("materials.4.name", "健康证明")
		form.Set("materials.4.id", "health")
		form.Set("materials.4.type", "复印件")
		form.Set("materials.4.form", "纸质")
		form.Set("materials.4.necessity", "必要")
		form.Set("materials.4.copies", "1")
		form.Set("materials.4.source", "申请人自备")
		form.Set("op", "save")
		p = b.post(draftURL, form)
		if p.Status != 200 || !strings.Contains(p.Body, "草稿已保存") || !strings.Contains(p.Body, "健康证明") {
			t.Fatalf("save: %d %s", p.Status, snippet(p.Body))
		}
		// The published version is untouched until publishing.
		if r := a.api(t).call("GET", "/api/v1/items/000117011000", nil); r.JSON["promisedLimit"].(map[string]any)["amount"].(float64) != 5 {
			t.Fatal("saving a draft changed the published item")
		}
		// Preview shows the draft.
		form.Set("op", "preview")
		pv := b.follow(b.post(draftURL, form))
		if !strings.Contains(pv.Body, "尚未发布的草稿") || !strings.Contains(pv.Body, "2个工作日") || !strings.Contains(pv.Body, "健康证明") {
			t.Fatalf("preview: %s", snippet(pv.Body))
		}
		// Publishing an incomplete item says exactly what is wrong and publishes nothing.
		broken := url.Values{}
		for k, vs := range form {
			broken[k] = vs
		}
		broken.Set("materials.4.necessity", "")
		broken.Set("conditions", "")
		broken.Set("op", "publish")
		p = b.post(draftURL, broken)
		if p.Status != 400 || !strings.Contains(p.Body, "不能发布") || !strings.Contains(p.Body, "缺少受理条件") || !strings.Contains(p.Body, "materials[4].necessity") {
			t.Fatalf("publish broken: %d %s", p.Status, snippet(p.Body))
		}
		if r := a.api(t).call("GET", "/api/v1/items/000117011000", nil); r.JSON["version"].(float64) != 1 {
			t.Fatal("a broken draft was published")
		}
		// Publish the right one: version 2; version 1 stays readable.
		form.Set("op", "publish")
		p = b.post(draftURL, form)
		if p.Status != 303 || !strings.HasPrefix(p.Header.Get("Location"), "/items/") {
			t.Fatalf("publish: %d %s", p.Status, snippet(p.Body))
		}
		if g := b.follow(p); !strings.Contains(g.Body, "已发布第 2 版") || !strings.Contains(g.Body, "健康证明") {
			t.Fatalf("published guide: %s", snippet(g.Body))
		}
		r := a.api(t).call("GET", "/api/v1/items/000117011000?version=1", nil)
		if r.JSON["promisedLimit"].(map[string]any)["amount"].(float64) != 5 || strings.Contains(r.Raw, "健康证明") {
			t.Fatalf("version 1 changed: %s", r.Raw)
		}
		if p := b.get(draftURL); p.Status != 404 {
			t.Fatalf("draft still there after publishing: %d", p.Status)
		}

		// A new item from a blank draft.
		p = b.post("/admin/catalogue/drafts", nil)
		newURL := p.Header.Get("Location")
		nf := formValues(b.get(newURL).Body)
		for k, v := range map[string]string{
			"name": "公共场所卫生许可（新办）", "mainItem": "公共场所卫生许可", "baseCode": "000117036000", "type": "01", "level": "4", "powerSource": "1",
			"department": "wsjk", "legalBasis.0.law": "《公共场所卫生管理条例》", "legalBasis.0.article": "第八条",
			"conditions": "具备与经营项目相适应的场所和卫生设施。", "handlingType": "2", "legalLimit.amount": "20", "legalLimit.unit": "1",
			"promisedLimit.amount": "3", "promisedLimit.unit": "1", "place": "桐庐县政务服务中心", "hours": "工作日", "consult": "0571-64283003", "complaint": "12345",
			"visits": "1", "onlineDepth": "2", "scope": "county", "process.0.name": "申请", "process.1.name": "决定", "result.type": "licence",
			"result.name": "公共场所卫生许可证", "result.licenceType": "公共场所卫生许可证", "materials.0.name": "卫生许可申请表", "materials.0.id": "application",
			"materials.0.type": "原件", "materials.0.form": "纸质", "materials.0.necessity": "必要", "materials.0.copies": "1", "materials.0.source": "申请人自备",
			"op": "publish",
		} {
			nf.Set(k, v)
		}
		nf["serviceObjects"] = []string{"2"}
		nf["themes"] = []string{"准营"}
		p = b.post(newURL, nf)
		if p.Status != 303 {
			t.Fatalf("publish new: %d %s", p.Status, snippet(p.Body))
		}
		r = a.api(t).call("GET", "/api/v1/items?q="+url.QueryEscape("公共场所卫生"), nil)
		if !strings.Contains(r.Raw, "公共场所卫生许可（新办）") || !strings.Contains(r.Raw, "4000117036000"+"01") {
			t.Fatalf("new item not searchable: %s", r.Raw)
		}

		// Discard.
		p = b.post("/admin/catalogue/drafts", nil)
		tmp := p.Header.Get("Location")
		b.get(tmp)
		if p := b.post(tmp, url.Values{"op": {"discard"}}); p.Status != 303 {
			t.Fatalf("discard: %d", p.Status)
		}
		if p := b.get(tmp); p.Status != 404 {
			t.Fatalf("discarded draft: %d", p.Status)
		}
		// Someone without the maintainer role cannot edit.
		c := a.browser(t)
		c.login("scjg1")
		if p := c.get(newURL); p.Status != 404 && p.Status != 403 {
			t.Fatalf("approver opens a draft: %d", p.Status)
		}
		if p := c.get("/admin/catalogue/items"); p.Status != 403 {
			t.Fatalf("approver editor index: %d", p.Status)
		}
	})
}

func TestMaintainerOwnDepartmentOnly(t *testing.T) {
	a := newDemoApp(t, "")
	m := a.browser(t)
	m.login("scjgwh")
	idx := m.get("/admin/catalogue/items")
	if idx.Status != 200 || !strings.Contains(idx.Body, "食品经营许可") || strings.Contains(idx.Body, "出生医学证明") {
		t.Fatalf("maintainer sees other departments' items: %d", idx.Status)
	}
	// Another department's item is not there for them.
	r := a.api(t).call("GET", "/api/v1/items?dept=wsjk&pageSize=1", nil)
	other := r.JSON["items"].([]any)[0].(map[string]any)["code"].(string)
	if p := m.post("/admin/catalogue/items/"+other+"/edit", nil); p.Status != 404 {
		t.Fatalf("maintainer edits another department's item: %d", p.Status)
	}
	// Their own: a draft they can save but not move to another department.
	r = a.api(t).call("GET", "/api/v1/items?dept=scjg&pageSize=1", nil)
	own := r.JSON["items"].([]any)[0].(map[string]any)["code"].(string)
	p := m.post("/admin/catalogue/items/"+own+"/edit", nil)
	draft := p.Header.Get("Location")
	form := formValues(m.get(draft).Body)
	form.Set("department", "wsjk")
	form.Set("op", "save")
	if p := m.post(draft, form); p.Status != 403 || !strings.Contains(p.Body, "只能维护本部门") {
		t.Fatalf("maintainer moves an item to another department: %d", p.Status)
	}
	// A new draft is of their department.
	nd := m.follow(m.post("/admin/catalogue/drafts", nil))
	if !strings.Contains(nd.Body, `<option value="scjg" selected>`) {
		t.Fatal("new draft not in the maintainer's department")
	}
	// Admin pages stay closed to them.
	if p := m.get("/admin/catalogue/stats"); p.Status != 403 {
		t.Fatalf("maintainer stats: %d", p.Status)
	}
}

// TestEditorRoundTripKeepsEveryElement opens every demo item in the editor
// and publishes it unchanged: nothing may be lost on the way through the
// form, so no new version may appear.
func TestEditorRoundTripKeepsEveryElement(t *testing.T) {
	a := newDemoApp(t, "")
	b := a.browser(t)
	b.login("admin")
	b.get("/admin/catalogue/items")
	all := a.api(t).call("GET", "/api/v1/items?pageSize=100", nil).JSON["items"].([]any)
	for _, it := range all {
		code := it.(map[string]any)["code"].(string)
		p := b.post("/admin/catalogue/items/"+code+"/edit", nil)
		draft := p.Header.Get("Location")
		form := formValues(b.get(draft).Body)
		form.Set("op", "publish")
		if p := b.post(draft, form); p.Status != 303 {
			t.Errorf("%s: publish unchanged: %d %s", code, p.Status, snippet(p.Body))
			continue
		}
		r := a.api(t).call("GET", "/api/v1/items/"+code, nil)
		if v := r.JSON["version"].(float64); v != 1 {
			old := a.api(t).call("GET", "/api/v1/items/"+code+"?version=1", nil)
			var diff []string
			for k, v := range old.JSON {
				if k == "version" || k == "versions" {
					continue
				}
				if a, b := fmt.Sprint(v), fmt.Sprint(r.JSON[k]); a != b {
					diff = append(diff, fmt.Sprintf("%s: %s → %s", k, a, b))
				}
			}
			t.Errorf("%s (%s): the editor changed the item (now version %v): %v", code, r.str("name"), v, diff)
		}
	}
}

func TestFormEditor(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		r := c.call("GET", "/api/v1/items?q="+url.QueryEscape("食品经营许可")+"&pageSize=1", nil)
		code := r.JSON["items"].([]any)[0].(map[string]any)["code"].(string)
		item := c.call("GET", "/api/v1/items/"+code, nil)
		formID := item.str("form")
		if formID == "" {
			t.Fatal("食品经营许可 has no form")
		}
		b := a.browser(t)
		b.login("admin")
		if p := b.get("/admin/catalogue/forms"); !strings.Contains(p.Body, formID) {
			t.Fatal("forms list")
		}
		page := b.get("/admin/catalogue/forms/" + formID)
		form := formValues(page.Body)
		n := 0
		for form.Has(fmt.Sprintf("fields.%d.name", n)) && form.Get(fmt.Sprintf("fields.%d.name", n)) != "" {
			n++
		}
		// Bad input: an unreadable bound and a choice field without options.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(fmt.Sprintf("fields.%d.name", n), "seats")
		bad.Set(fmt.Sprintf("fields.%d.label", n), "座位数")
		bad.Set(fmt.Sprintf("fields.%d.type", n), "select")
		bad.Set(fmt.Sprintf("fields.%d.max", n), "很多")
		if p := b.post("/admin/catalogue/forms/"+formID, bad); p.Status != 400 || !strings.Contains(p.Body, "应为数字") {
			t.Fatalf("bad bound: %d", p.Status)
		}
		bad.Set(fmt.Sprintf("fields.%d.max", n), "500")
		if p := b.post("/admin/catalogue/forms/"+formID, bad); p.Status != 400 || !strings.Contains(p.Body, "两个选项") {
			t.Fatalf("select without options: %d", p.Status)
		}
		bad.Set(fmt.Sprintf("fields.%d.type", n), "number")
		bad.Set(fmt.Sprintf("fields.%d.when", n), "planet=mars")
		if p := b.post("/admin/catalogue/forms/"+formID, bad); p.Status != 400 || !strings.Contains(p.Body, "不再有效") {
			t.Fatalf("field for a situation no item has: %d %s", p.Status, snippet(p.Body))
		}
		if r := c.call("GET", "/api/v1/items/"+code, nil); r.JSON["version"].(float64) != 1 {
			t.Fatal("a refused form change republished items")
		}
		// A good change republishes the items that use the form.
		bad.Set(fmt.Sprintf("fields.%d.when", n), "")
		p := b.post("/admin/catalogue/forms/"+formID, bad)
		if p.Status != 303 {
			t.Fatalf("save form: %d %s", p.Status, snippet(p.Body))
		}
		if p := b.follow(p); !strings.Contains(p.Body, "个使用它的事项已发布新版本") {
			t.Fatal("no republish message")
		}
		r = c.call("GET", "/api/v1/items/"+code, nil)
		if r.JSON["version"].(float64) != 2 || !strings.Contains(r.Raw, `"name":"seats"`) {
			t.Fatalf("item not republished with the new form: %s", snippet(r.Raw))
		}
		if r := c.call("GET", "/api/v1/items/"+code+"?version=1", nil); strings.Contains(r.Raw, `"name":"seats"`) {
			t.Fatal("version 1 got the new field")
		}
		// A new form; its id must be free.
		nf := url.Values{"id": {"form-test-new"}, "name": {"测试申请表"}, "fields.0.name": {"applicant"}, "fields.0.label": {"申请人"}, "fields.0.type": {"text"}}
		if p := b.post("/admin/catalogue/forms/new", nf); p.Status != 303 {
			t.Fatalf("new form: %d %s", p.Status, snippet(p.Body))
		}
		if p := b.post("/admin/catalogue/forms/new", nf); p.Status != 400 || !strings.Contains(p.Body, "已被其他申请表使用") {
			t.Fatalf("duplicate form id: %d", p.Status)
		}
		m := a.browser(t)
		m.login("scjgwh")
		if p := m.get("/admin/catalogue/forms/" + formID); p.Status != 403 {
			t.Fatalf("maintainer edits a shared form: %d", p.Status)
		}
	})
}
