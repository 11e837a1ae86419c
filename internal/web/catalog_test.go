package web_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func smallCatalogue(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/catalogue-small.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCatalogueImportSearchGuide(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		admin := a.api(t).login("admin")
		file := smallCatalogue(t)
		r := admin.call("POST", "/api/v1/catalogue/import", file)
		if r.Status != 200 || r.JSON["created"].(float64) != 2 {
			t.Fatalf("import: %d %s", r.Status, r.Raw)
		}
		// The same file again changes nothing.
		if r := admin.call("POST", "/api/v1/catalogue/import", file); r.JSON["unchanged"].(float64) != 2 {
			t.Fatalf("re-import: %s", r.Raw)
		}
		anon := a.api(t)
		r = anon.call("GET", "/api/v1/items?q="+url.QueryEscape("我想开饭店"), nil)
		items, _ := r.JSON["items"].([]any)
		if r.Status != 200 || len(items) == 0 || items[0].(map[string]any)["name"] != "食品经营许可（新办）" {
			t.Fatalf("search 开饭店: %d %s", r.Status, r.Raw)
		}
		code := items[0].(map[string]any)["code"].(string)
		if len(code) != 33 || !strings.HasSuffix(code, "4000117011000"+"01") {
			t.Fatalf("derived code %q", code)
		}
		r = anon.call("GET", "/api/v1/items?q="+url.QueryEscape("生孩子"), nil)
		if !strings.Contains(r.Raw, "出生医学证明签发") {
			t.Fatalf("search 生孩子: %s", r.Raw)
		}
		// Filters and lists.
		if r := anon.call("GET", "/api/v1/items?list=free-mail", nil); r.JSON["total"].(float64) != 1 {
			t.Fatalf("free-mail list: %s", r.Raw)
		}
		if r := anon.call("GET", "/api/v1/items?dept=wsjk&list=immediate", nil); r.JSON["total"].(float64) != 1 {
			t.Fatalf("dept+list filter: %s", r.Raw)
		}
		if r := anon.call("GET", "/api/v1/items?list=nope", nil); r.Status != 400 {
			t.Fatalf("unknown list: %d", r.Status)
		}
		for _, q := range []string{"", strings.Repeat("办", 10000), "' OR 1=1 --", "🍜🍜", "%00"} {
			if r := anon.call("GET", "/api/v1/items?q="+url.QueryEscape(q), nil); r.Status != 200 {
				t.Fatalf("query %.20q: %d %s", q, r.Status, r.Raw)
			}
		}
		if r := anon.call("GET", "/api/v1/items?page=0", nil); r.Status != 400 {
			t.Fatalf("page 0: %d", r.Status)
		}
		// The item by any of its three codes.
		r = anon.call("GET", "/api/v1/items/"+code, nil)
		if r.Status != 200 || r.str("name") != "食品经营许可（新办）" || r.JSON["formDefinition"] == nil || len(r.JSON["materials"].([]any)) != 4 {
			t.Fatalf("item: %d %s", r.Status, r.Raw)
		}
		for _, c := range []string{code[:31], "000117011000"} {
			if r := anon.call("GET", "/api/v1/items/"+c, nil); r.Status != 200 || r.str("code") != code {
				t.Fatalf("item by %s: %d", c, r.Status)
			}
		}
		if r := anon.call("GET", "/api/v1/items/000000000000", nil); r.Status != 404 {
			t.Fatalf("unknown item: %d", r.Status)
		}
		// Lists with counts.
		r = anon.call("GET", "/api/v1/lists", nil)
		if !strings.Contains(r.Raw, `"slug":"zero-visit"`) || !strings.Contains(r.Raw, `"name":"最多跑一次","description":"到现场不超过一次（一次跑）","count":2`) {
			t.Fatalf("lists: %s", r.Raw)
		}
		if r := anon.call("GET", "/api/v1/lists/"+url.PathEscape("告知承诺制"), nil); r.Status != 200 || !strings.Contains(r.Raw, "食品经营许可") {
			t.Fatalf("list by Chinese name: %d %s", r.Status, r.Raw)
		}
		// A new version: the old one stays readable.
		file2 := strings.Replace(file, `"promisedLimit": {"amount": 5, "unit": "1"}`, `"promisedLimit": {"amount": 3, "unit": "1"}`, 1)
		if r := admin.call("POST", "/api/v1/catalogue/import", file2); r.JSON["updated"].(float64) != 1 {
			t.Fatalf("update: %s", r.Raw)
		}
		r = anon.call("GET", "/api/v1/items/"+code, nil)
		if r.JSON["version"].(float64) != 2 || r.JSON["promisedLimit"].(map[string]any)["amount"].(float64) != 3 || len(r.JSON["versions"].([]any)) != 2 {
			t.Fatalf("v2: %s", r.Raw)
		}
		r = anon.call("GET", "/api/v1/items/"+code+"?version=1", nil)
		if r.Status != 200 || r.JSON["promisedLimit"].(map[string]any)["amount"].(float64) != 5 {
			t.Fatalf("v1 still readable: %d %s", r.Status, r.Raw)
		}
		if r := anon.call("GET", "/api/v1/items/"+code+"?version=9", nil); r.Status != 404 {
			t.Fatalf("missing version: %d", r.Status)
		}
		// Stats.
		r = anon.call("GET", "/api/v1/catalogue/stats", nil)
		if r.Status != 200 || r.JSON["total"].(map[string]any)["items"].(float64) != 2 {
			t.Fatalf("stats: %s", r.Raw)
		}
		// Export reads back.
		r = admin.call("GET", "/api/v1/catalogue/export", nil)
		if r.Status != 200 || len(r.JSON["items"].([]any)) != 2 || r.str("format") != "yiwang-catalogue/1" {
			t.Fatalf("export: %s", snippet(r.Raw))
		}
		if r := admin.call("POST", "/api/v1/catalogue/import", r.Raw); r.Status != 200 || r.JSON["unchanged"].(float64) != 2 {
			t.Fatalf("re-import of export: %d %s", r.Status, r.Raw)
		}
	})
}

func TestCatalogueImportBadInput(t *testing.T) {
	a := newApp(t, "")
	admin := a.api(t).login("admin")
	file := smallCatalogue(t)
	bad := strings.NewReplacer(
		`"baseCode": "000117011000"`, `"baseCode": "0001170110XX"`,
		`"necessity": "容缺"`, `"necessity": "可以不交"`,
		`"type": "address"`, `"type": "geo"`,
		`"department": "wsjk"`, `"department": "nope"`,
	).Replace(file)
	r := admin.call("POST", "/api/v1/catalogue/import", bad)
	if r.Status != 400 || r.errCode(t) != "invalid" {
		t.Fatalf("bad import: %d %s", r.Status, r.Raw)
	}
	rep := r.JSON["report"].(map[string]any)
	probs := rep["problems"].([]any)
	want := []string{`"field":"baseCode"`, `"field":"materials[2].necessity"`, `"field":"fields[1].type"`, `"field":"department"`, `"row":2`}
	for _, w := range want {
		if !strings.Contains(r.Raw, w) {
			t.Errorf("report lacks %s: %s", w, r.Raw)
		}
	}
	if len(probs) < 4 {
		t.Fatalf("problems: %v", probs)
	}
	// Nothing was saved.
	if r := a.api(t).call("GET", "/api/v1/items", nil); r.JSON["total"].(float64) != 0 {
		t.Fatalf("partial import: %s", r.Raw)
	}
	for name, body := range map[string]string{
		"not json":      "{{{",
		"wrong format":  `{"format":"other/9","forms":[],"items":[]}`,
		"unknown field": `{"format":"yiwang-catalogue/1","forms":[],"items":[{"colour":"red"}]}`,
		"empty":         ``,
	} {
		if r := admin.call("POST", "/api/v1/catalogue/import", body); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	huge := `{"format":"yiwang-catalogue/1","forms":[],"items":[],"x":"` + strings.Repeat("a", 33<<20) + `"}`
	if r := admin.call("POST", "/api/v1/catalogue/import", huge); r.Status != 413 {
		t.Errorf("oversize: %d %.200s", r.Status, r.Raw)
	}
	if r := a.api(t).login("window1").call("POST", "/api/v1/catalogue/import", file); r.Status != 403 {
		t.Errorf("clerk import: %d", r.Status)
	}
}

func TestCataloguePages(t *testing.T) {
	a := newApp(t, "")
	b := a.browser(t)
	b.login("admin")
	b.get("/admin/catalogue")
	// Upload through the page (multipart with the CSRF token in the URL).
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "catalogue.json")
	fw.Write([]byte(strings.Replace(smallCatalogue(t), `"department": "wsjk"`, `"department": "nope"`, 1)))
	mw.Close()
	req, _ := http.NewRequest("POST", a.URL+"/admin/catalogue/import?csrf="+url.QueryEscape(b.csrf), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	p := b.do(req)
	if p.Status != 400 || !strings.Contains(p.Body, "导入报告") || !strings.Contains(p.Body, "实施机关 &#34;nope&#34; 不存在") {
		t.Fatalf("bad upload page: %d %s", p.Status, snippet(p.Body))
	}
	body.Reset()
	mw = multipart.NewWriter(&body)
	fw, _ = mw.CreateFormFile("file", "catalogue.json")
	fw.Write([]byte(smallCatalogue(t)))
	mw.Close()
	req, _ = http.NewRequest("POST", a.URL+"/admin/catalogue/import?csrf="+url.QueryEscape(b.csrf), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	p = b.follow(b.do(req))
	if !strings.Contains(p.Body, "导入完成：2 个事项（新增 2") {
		t.Fatalf("upload: %s", snippet(p.Body))
	}
	// Without the token the upload is refused.
	req, _ = http.NewRequest("POST", a.URL+"/admin/catalogue/import", strings.NewReader("x"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if p := b.do(req); p.Status != 403 {
		t.Fatalf("upload without token: %d", p.Status)
	}

	c := a.browser(t)
	p = c.get("/items?q=" + url.QueryEscape("开饭店"))
	if !strings.Contains(p.Body, "食品经营许可（新办）") || !strings.Contains(p.Body, "共找到 1 个事项") {
		t.Fatalf("search page: %s", snippet(p.Body))
	}
	var code string
	if i := strings.Index(p.Body, `href="/items/`); i >= 0 {
		code = p.Body[i+len(`href="/items/`) : i+len(`href="/items/`)+33]
	}
	g := c.get("/items/" + code)
	for _, want := range []string{"法定办结时限", "20个工作日", "5个工作日", "现场核查", "《中华人民共和国食品安全法》", "经营场所平面布局图", "变更情况说明", "可容缺", "免提交", "不收费", "只卖预包装食品"} {
		if !strings.Contains(g.Body, want) {
			t.Errorf("guide lacks %q", want)
		}
	}
	g = c.get("/items/" + code + "?kind=change")
	if strings.Contains(g.Body, "经营场所平面布局图") || !strings.Contains(g.Body, "变更情况说明") {
		t.Fatal("situation did not narrow the materials")
	}
	if p := c.get("/items/" + code + "/print?kind=new"); p.Status != 200 || !strings.Contains(p.Body, "一次告知") || strings.Contains(p.Body, "变更情况说明") {
		t.Fatalf("print page: %d", p.Status)
	}
	if p := c.get("/lists"); !strings.Contains(p.Body, "免费邮寄") {
		t.Fatal("lists page")
	}
	p = c.get("/lists/free-mail/csv")
	if p.Status != 200 || !strings.HasPrefix(p.Body, "\ufeff序号,事项名称") || !strings.Contains(p.Body, "食品经营许可（新办）") {
		t.Fatalf("csv: %d %.200s", p.Status, p.Body)
	}
	if p := c.get("/lists/nope"); p.Status != 404 {
		t.Fatalf("unknown list page: %d", p.Status)
	}
	if p := c.get("/items/" + code + "?version=abc"); p.Status != 400 {
		t.Fatalf("bad version: %d", p.Status)
	}
	if p := b.get("/admin/catalogue/stats"); !strings.Contains(p.Body, "网上可办率") || !strings.Contains(p.Body, "50.0%") {
		t.Fatalf("stats page: %s", snippet(p.Body))
	}
}

func TestGuidePDF(t *testing.T) {
	a := newApp(t, "")
	if r := a.api(t).login("admin").call("POST", "/api/v1/catalogue/import", smallCatalogue(t)); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	b := a.browser(t)
	p := b.get("/items/000117011000/guide.pdf?kind=new")
	if p.Status != 200 || p.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(p.Body, "%PDF-") {
		t.Fatalf("pdf: %d %s %.20q", p.Status, p.Header.Get("Content-Type"), p.Body)
	}
	if len(p.Body) > 400<<10 {
		t.Errorf("guide PDF is %d KB: the font subset is not working", len(p.Body)>>10)
	}
	text := pdfText(t, []byte(p.Body))
	for _, want := range []string{"食品经营许可（新办） 办事指南", "20个工作日", "经营场所平面布局图", "可容缺", "《中华人民共和国食品安全法》"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if strings.Contains(text, "变更情况说明") {
		t.Error("PDF lists a material of another situation")
	}
}

func TestCatalogueXLSXRoundTrip(t *testing.T) {
	// The first item carries every handling rule, so the round trip covers them.
	var file map[string]any
	if err := json.Unmarshal([]byte(smallCatalogue(t)), &file); err != nil {
		t.Fatal(err)
	}
	rules := map[string]any{"supplementLimit": map[string]any{"amount": 5, "unit": "1"}, "supplementClock": "restart",
		"toleranceResult": "issue", "toleranceDays": 20, "pledgeText": "承诺经营场所、设备设施符合要求。",
		"pledgeLimit": map[string]any{"amount": 0, "unit": "1"}, "pledgeWorkflow": "pledge", "postCheckLimit": map[string]any{"amount": 3, "unit": "5"},
		"extension": 10, "extensionRole": "approver", "delivery": []string{"online", "window", "post"}}
	file["items"].([]any)[0].(map[string]any)["rules"] = rules
	eachDB(t, func(t *testing.T, a *testApp) {
		admin := a.api(t).login("admin")
		if r := admin.call("POST", "/api/v1/catalogue/import", file); r.Status != 200 {
			t.Fatal(r.Raw)
		}
		jsonExport := admin.call("GET", "/api/v1/catalogue/export", nil).Raw
		if !strings.Contains(jsonExport, `"pledgeText":"承诺经营场所、设备设施符合要求。"`) || !strings.Contains(jsonExport, `"delivery":["online","window","post"]`) {
			t.Fatalf("the rules were not imported: %s", snippet(jsonExport))
		}
		x := admin.call("GET", "/api/v1/catalogue/export?format=xlsx", nil)
		if x.Status != 200 || !strings.HasPrefix(x.Raw, "PK\x03\x04") || !strings.Contains(x.Header.Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("xlsx export: %d %s", x.Status, x.Header.Get("Content-Type"))
		}
		// Importing the workbook changes nothing: it is the same catalogue.
		r := admin.call("POST", "/api/v1/catalogue/import", []byte(x.Raw))
		if r.Status != 200 || r.JSON["unchanged"].(float64) != 2 || r.JSON["forms"].(float64) != 1 {
			t.Fatalf("xlsx re-import: %d %s", r.Status, r.Raw)
		}
		if again := admin.call("GET", "/api/v1/catalogue/export", nil).Raw; again != jsonExport {
			t.Fatal("catalogue differs after an xlsx round trip")
		}
		if r := admin.call("GET", "/api/v1/catalogue/export?format=pdf", nil); r.Status != 400 {
			t.Fatalf("bad format: %d", r.Status)
		}
	})
}

func TestCatalogueXLSXBadCells(t *testing.T) {
	a := newApp(t, "")
	admin := a.api(t).login("admin")
	if r := admin.call("POST", "/api/v1/catalogue/import", smallCatalogue(t)); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	raw := []byte(admin.call("GET", "/api/v1/catalogue/export?format=xlsx", nil).Raw)
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	// 是否收费 is column Y (rowKey + 24th item column); find it by header instead.
	setByHeader := func(sheet, head string, row int, v string) {
		rows, _ := x.GetRows(sheet)
		for c, h := range rows[0] {
			if h == head {
				cell, _ := excelize.CoordinatesToCellName(c+1, row)
				x.SetCellValue(sheet, cell, v)
				return
			}
		}
		t.Fatalf("no column %s in %s", head, sheet)
	}
	setByHeader("事项", "是否收费", 2, "可能")
	setByHeader("事项", "到现场次数", 3, "两次")
	setByHeader("申请材料", "事项序号", 2, "99")
	var buf bytes.Buffer
	x.Write(&buf)
	r := admin.call("POST", "/api/v1/catalogue/import", buf.Bytes())
	if r.Status != 400 {
		t.Fatalf("bad workbook: %d %s", r.Status, r.Raw)
	}
	for _, want := range []string{`"name":"事项","field":"是否收费"`, `应为“是”或“否”`, `"field":"到现场次数"`, `"name":"申请材料","field":"事项序号"`} {
		if !strings.Contains(r.Raw, want) {
			t.Errorf("report lacks %s: %s", want, r.Raw)
		}
	}
	if r := admin.call("POST", "/api/v1/catalogue/import", []byte("PK\x03\x04 not really a zip")); r.Status != 400 || !strings.Contains(r.Raw, "xlsx") {
		t.Fatalf("broken zip: %d %s", r.Status, r.Raw)
	}
}

func TestItemWriteAPI(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		admin, maint := c.login("admin"), c.login("scjgwh")
		r := c.call("GET", "/api/v1/items?dept=scjg&pageSize=1", nil)
		code := r.JSON["items"].([]any)[0].(map[string]any)["code"].(string)
		item := c.call("GET", "/api/v1/items/"+code, nil)
		var body map[string]any = item.JSON
		for _, k := range []string{"typeName", "departmentName", "lists", "formDefinition", "versions", "version"} {
			delete(body, k)
		}
		body["conditions"] = "（修订）" + body["conditions"].(string)
		r = maint.call("PUT", "/api/v1/items/"+code, body)
		if r.Status != 200 || r.JSON["version"].(float64) != 2 || r.str("code") != code {
			t.Fatalf("maintainer update: %d %s", r.Status, snippet(r.Raw))
		}
		if r := c.call("GET", "/api/v1/items/"+code+"?version=1", nil); strings.Contains(r.str("conditions"), "（修订）") {
			t.Fatal("version 1 changed")
		}
		// Another department's item: 404 for the maintainer.
		other := c.call("GET", "/api/v1/items?dept=wsjk&pageSize=1", nil).JSON["items"].([]any)[0].(map[string]any)["code"].(string)
		if r := maint.call("PUT", "/api/v1/items/"+other, body); r.Status != 404 {
			t.Fatalf("maintainer updates another department: %d", r.Status)
		}
		// Moving an item to another department is not theirs to do.
		body["department"] = "wsjk"
		if r := maint.call("PUT", "/api/v1/items/"+code, body); r.Status != 403 {
			t.Fatalf("maintainer moves the item: %d %s", r.Status, r.Raw)
		}
		body["department"] = "scjg"
		// Missing elements: precise field errors, nothing published.
		delete(body, "conditions")
		body["materials"] = []any{}
		r = admin.call("PUT", "/api/v1/items/"+code, body)
		if r.Status != 400 || !strings.Contains(r.Raw, `"conditions":"缺少受理条件"`) || !strings.Contains(r.Raw, `"materials":"至少需要一项申请材料"`) {
			t.Fatalf("incomplete item: %d %s", r.Status, r.Raw)
		}
		if r := admin.call("PUT", "/api/v1/items/"+code, `{"name":"x","colour":"red"}`); r.Status != 400 || !strings.Contains(r.Raw, "未知字段") {
			t.Fatalf("unknown field: %d %s", r.Status, r.Raw)
		}
		if r := c.call("GET", "/api/v1/items/"+code, nil); r.JSON["version"].(float64) != 2 {
			t.Fatal("a refused update was published")
		}
		// A new item.
		fresh := c.call("GET", "/api/v1/items/"+code+"?version=1", nil).JSON
		for _, k := range []string{"typeName", "departmentName", "lists", "formDefinition", "versions", "version"} {
			delete(fresh, k)
		}
		fresh["conditions"] = "新的受理条件"
		fresh["name"] = "食品经营许可（测试新事项）"
		fresh["code"], fresh["implCode"] = "", ""
		r = admin.call("POST", "/api/v1/items", fresh)
		if r.Status != 201 || len(r.str("code")) != 33 || r.str("code") == code {
			t.Fatalf("create: %d %s", r.Status, snippet(r.Raw))
		}
		if r := c.call("GET", "/api/v1/items?q="+url.QueryEscape("测试新事项"), nil); !strings.Contains(r.Raw, "食品经营许可（测试新事项）") {
			t.Fatalf("new item not found: %s", snippet(r.Raw))
		}
		if r := c.login("citizen1").call("POST", "/api/v1/items", fresh); r.Status != 403 && r.Status != 404 {
			t.Fatalf("citizen creates an item: %d", r.Status)
		}
	})
}
