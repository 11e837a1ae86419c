package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yiwang/internal/catalog"
	"yiwang/internal/demo"
)

// The item of the find-a-service journey and what the demo catalogue
// (internal/demo/catalogue.json) says about it.
const (
	foodItem      = "食品经营许可"
	foodBundle    = "开办餐饮店“一件事”"
	foodLegal     = "10个工作日" // legalLimit {10, 工作日}
	foodPromised  = "3个工作日"  // promisedLimit {3, 工作日}
	scjgName      = "桐庐县市场监督管理局"
	desktopWidth  = 1280
	desktopHeight = 900
)

// foodAnswers is the situation of a 个体工商户 opening a new restaurant.
var foodAnswers = map[string]string{"kind": "new", "subject": "individual"}

// In that situation the materials that apply (their "when" allows it, or
// they have none), in the catalogue's order …
var foodMaterialsNew = []string{
	"食品经营许可申请书",
	"申请人营业执照", // kind=new|change|renew
	"法定代表人（负责人、经营者）居民身份证",
	"与食品经营相适应的主要设备设施、经营布局、操作流程等文件",                  // kind=new|change
	"食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度目录", // kind=new
	"授权委托书及受托人居民身份证",
}

// … and those marked for other situations, with the condition that
// excludes them.
var foodMaterialsOther = map[string][]string{
	"食品安全管理人员任命文件":  {"subject=company"},
	"食品经营许可证正副本":    {"kind=change", "kind=renew", "kind=cancel"},
	"变更事项说明及相关证明材料": {"kind=change"},
}

// TestFindServiceJourney: an anonymous visitor on a phone says in their own
// words what they want to do, finds the licence, reads its guide, answers
// the situation questions to get their own list of materials, and switches
// to 大字版.
func TestFindServiceJourney(t *testing.T) {
	eachDB(t, func(t *testing.T, base string) { findServiceJourney(t, base, false) })
}

// TestFindServiceJourneyWithoutJavaScript: the same journey with scripts
// disabled: search, guide, situations and 大字版 are plain links and forms.
func TestFindServiceJourneyWithoutJavaScript(t *testing.T) {
	eachDB(t, func(t *testing.T, base string) { findServiceJourney(t, base, true) })
}

func findServiceJourney(t *testing.T, base string, noScript bool) {
	item := demoItem(t, foodItem)
	checkFoodData(t, item)
	b := newTab(t, base, browserOpt{width: phoneWidth, height: phoneHeight, noScript: noScript})

	// Search from the home page, in the visitor's own words.
	b.open("/")
	if noScript {
		if typ := eval[string](b, "typeof window.htmx"); typ != "undefined" {
			t.Fatalf("scripts still run: typeof htmx = %q", typ)
		}
	}
	b.do("type the question into the search box",
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "我想开饭店"),
		chromedp.Click(chromedp.CSS(`form[role="search"] button[type="submit"]`)),
	)
	b.waitUntil("the search results", `location.pathname === "/items" && document.getElementById("results") !== null`)
	if q := eval[string](b, `new URLSearchParams(location.search).get("q") || ""`); q != "我想开饭店" {
		t.Errorf("results address has q=%q, want 我想开饭店", q)
	}
	results := b.texts("#results li a")
	for _, want := range []string{foodItem, foodBundle} {
		if !slices.Contains(results, want) {
			t.Errorf("results for 我想开饭店 lack %s; got %q", want, results)
		}
	}
	b.noHorizontalOverflow(phoneWidth, "search results")

	// Open the licence's guide.
	href := eval[string](b, `(Array.from(document.querySelectorAll("#results li a")).find(a => a.innerText.trim() === `+jsString(foodItem)+`) || {}).getAttribute?.("href") || ""`)
	if !strings.HasPrefix(href, "/items/") {
		t.Fatalf("no result link named %s%s", foodItem, b.where())
	}
	b.do("click the result "+foodItem, chromedp.Click(chromedp.CSS(`#results a[href="`+href+`"]`)))
	b.waitUntil("the guide of "+foodItem, `location.pathname === `+jsString(href)+` && document.getElementById("guide") !== null`)
	if h := b.textOf("#guide h1"); h != foodItem {
		t.Errorf("guide heading = %q, want %s", h, foodItem)
	}
	guide := b.text("guide")
	for _, want := range []string{"法定办结时限", "承诺办结时限", "申请材料"} {
		if !strings.Contains(guide, want) {
			t.Errorf("the guide does not show %s", want)
		}
	}
	if s := b.text("legal-limit"); !strings.HasPrefix(s, foodLegal) {
		t.Errorf("#legal-limit = %q, want %s", s, foodLegal)
	}
	if s := b.text("promised-limit"); !strings.HasPrefix(s, foodPromised) {
		t.Errorf("#promised-limit = %q, want %s", s, foodPromised)
	}
	before := b.materials()
	if len(before) != len(item.Materials) {
		t.Errorf("before answering, #materials lists %d materials, want all %d of the item: %q", len(before), len(item.Materials), before)
	}
	if !b.present("#materials h2 small") {
		t.Errorf("before answering, #materials does not ask to answer the questions first")
	}
	b.noHorizontalOverflow(phoneWidth, "guide")
	b.screenshot("guide-" + jsMode(noScript) + "-" + dbName(t))

	// Answer every situation question.
	if !b.present("#situations") {
		t.Fatalf("the guide of %s has no #situations, but the item has %d questions", foodItem, len(item.Situations))
	}
	questions := eval[[]string](b, `[...new Set(Array.from(document.querySelectorAll("#situations input[type=radio]")).map(e => e.name))]`)
	sort.Strings(questions)
	if want := sortedKeys(foodAnswers); !slices.Equal(questions, want) {
		t.Fatalf("#situations asks %q, want the questions %q", questions, want)
	}
	for _, q := range questions {
		b.do("answer "+q+"="+foodAnswers[q],
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`#situations input[name=%q][value=%q]`, q, foodAnswers[q]))))
	}
	b.do("submit the answers", chromedp.Click(chromedp.ID("situation-submit")))
	b.waitUntil("the guide for the answered situation",
		`new URLSearchParams(location.search).get("kind") === "new" && document.getElementById("guide") !== null && !document.querySelector("#materials h2 small")`)
	b.checkAnswered("after answering", foodAnswers)
	after := b.materials()
	if len(after) > len(before) {
		t.Errorf("after answering, #materials lists %d materials, more than the %d before", len(after), len(before))
	}
	if !slices.Equal(after, foodMaterialsNew) {
		t.Errorf("materials for kind=new, subject=individual:\n got %q\nwant %q", after, foodMaterialsNew)
	}
	for name := range foodMaterialsOther {
		if slices.Contains(after, name) {
			t.Errorf("material %s (for %v only) is still listed for a new 个体工商户", name, foodMaterialsOther[name])
		}
	}
	b.noHorizontalOverflow(phoneWidth, "guide with answers")

	// 大字版: the same guide, larger, still fits the phone.
	font := b.fontSize("#page")
	cell := b.fontSize("#materials td")
	guidePath := b.path()
	b.do("switch to elder mode",
		chromedp.Click(chromedp.ID("elder-toggle")),
		chromedp.WaitVisible(chromedp.CSS("#page.elder")),
		chromedp.WaitVisible(chromedp.ID("guide")),
	)
	if p := b.path(); p != guidePath {
		t.Errorf("after the toggle the address is %q, want the guide %q", p, guidePath)
	}
	if s := b.fontSize("#page"); s <= font {
		t.Errorf("elder mode: font-size of #page is %gpx, standard %gpx; want it larger", s, font)
	}
	if s := b.fontSize("#materials td"); s <= cell {
		t.Errorf("elder mode: font-size of the materials table is %gpx, standard %gpx; want it larger", s, cell)
	}
	b.noHorizontalOverflow(phoneWidth, "guide, elder mode")
	b.screenshot("guide-elder-" + jsMode(noScript) + "-" + dbName(t))
	// Back where the toggle was pressed means the visitor's answers too.
	if got := eval[string](b, "location.search"); !strings.Contains(got, "kind=new") || !strings.Contains(got, "subject=individual") {
		t.Errorf("大字版 toggle dropped the answered situation: after it the address is %s%s, before it was %s?kind=new&subject=individual (materials listed now %d, before %d)",
			b.path(), got, guidePath, len(b.materials()), len(after))
	}
}

// TestGuidePrintAndPDF: the guide of an answered situation prints as
// 一次告知 and downloads as a PDF with the same answers.
func TestGuidePrintAndPDF(t *testing.T) {
	eachDB(t, func(t *testing.T, base string) {
		code := itemCode(t, base, foodItem)
		b := newTab(t, base, browserOpt{})
		q := url.Values{}
		for k, v := range foodAnswers {
			q.Set(k, v)
		}
		b.open("/items/" + code + "?" + q.Encode())
		b.do("wait for the guide", chromedp.WaitVisible(chromedp.ID("guide")), chromedp.WaitVisible(chromedp.ID("print-link")))
		want := b.materials()
		if !slices.Equal(want, foodMaterialsNew) {
			t.Errorf("materials of the answered guide:\n got %q\nwant %q", want, foodMaterialsNew)
		}
		pdfURL := eval[string](b, `document.getElementById("pdf-link").href`)
		printHref := get(b, "href of #print-link", chromedp.AttributeValue(chromedp.ID("print-link"), "href"))
		for k, v := range foodAnswers {
			if !strings.Contains(printHref.Value, k+"="+v) {
				t.Errorf("#print-link %q does not carry the answer %s=%s", printHref.Value, k, v)
			}
			if !strings.Contains(pdfURL, k+"="+v) {
				t.Errorf("#pdf-link %q does not carry the answer %s=%s", pdfURL, k, v)
			}
		}

		// The print page.
		b.do("open the print page", chromedp.Click(chromedp.ID("print-link")))
		b.waitUntil("the print page", `location.pathname === "/items/`+code+`/print" && document.querySelector("#guide.print") !== null`)
		title := get(b, "title", chromedp.Title())
		if !strings.Contains(title, "一次告知") || !strings.Contains(title, foodItem) {
			t.Errorf("print page title = %q, want it to name %s and 一次告知", title, foodItem)
		}
		if b.present("#print-link") || b.present("#pdf-link") {
			t.Errorf("the print page shows the print/PDF buttons")
		}
		if got := b.materials(); !slices.Equal(got, want) {
			t.Errorf("print page materials:\n got %q\nwant the guide's %q", got, want)
		}
		b.checkAnswered("print page", foodAnswers)
		b.noHorizontalOverflow(phoneWidth, "print page")

		// The PDF, fetched from the same server.
		if !strings.HasPrefix(pdfURL, base+"/items/"+code+"/guide.pdf") {
			t.Fatalf("#pdf-link points at %q, want %s/items/%s/guide.pdf", pdfURL, base, code)
		}
		res, body := fetch(t, pdfURL)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%.300s", pdfURL, res.Status, body)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("GET %s: Content-Type %q, want application/pdf", pdfURL, ct)
		}
		if !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Errorf("GET %s: body starts %q, want %%PDF-", pdfURL, body[:min(len(body), 16)])
		}
		if !bytes.Contains(body[max(0, len(body)-1024):], []byte("%%EOF")) {
			t.Errorf("GET %s: %d bytes without %%%%EOF at the end: truncated PDF", pdfURL, len(body))
		}
		t.Logf("PDF %d bytes", len(body))
	})
}

// TestCatalogueEditorInBrowser: the administrator shortens an item's
// promised limit, previews the draft, publishes version 2; version 1 keeps
// the old limit, and nothing but the limit changes. A number that is not
// one is refused with the typed text kept.
func TestCatalogueEditorInBrowser(t *testing.T) {
	eachDB(t, func(t *testing.T, base string) {
		b := newTab(t, base, browserOpt{width: desktopWidth, height: desktopHeight})
		b.open("/login")
		b.login("admin", demoPassword)
		b.do("wait for the admin home", chromedp.WaitVisible(chromedp.ID("tile-admin")))

		// The first item of the department whose promised limit can shrink.
		limits := map[string]catalog.Limit{}
		for _, s := range searchItems(t, base, "dept=scjg&pageSize=100") {
			limits[s.Code] = s.PromisedLimit
		}
		b.open("/admin/catalogue/items")
		b.do("wait for the item table", chromedp.WaitVisible(chromedp.ID("editable-items")))
		rows := eval[[][]string](b, `Array.from(document.querySelectorAll("#editable-items tbody tr")).map(r => [r.cells[0].innerText.trim(), r.cells[1] ? r.cells[1].innerText.trim() : "", (r.querySelector("a") || {}).getAttribute?.("href") || ""])`)
		row, name, code := -1, "", ""
		for i, r := range rows {
			c := strings.TrimPrefix(r[2], "/items/")
			if r[1] == scjgName && limits[c].Amount >= 2 {
				row, name, code = i, r[0], c
				break
			}
		}
		if row < 0 {
			t.Fatalf("no item of %s with a promised limit of 2 or more in #editable-items (%d rows)", scjgName, len(rows))
		}
		old := limits[code]
		newAmount := old.Amount - 1
		unit := catalog.LimitUnits[old.Unit]
		t.Logf("editing row %d: %s (%s), promised %d%s → %d", row+1, name, code, old.Amount, unit, newAmount)
		v1 := itemJSON(t, base, code, "")
		if v := v1["version"]; v != 1.0 {
			t.Fatalf("%s is at version %v before the edit, want 1", code, v)
		}

		b.do("click 编辑 of "+name,
			chromedp.Click(chromedp.CSS(fmt.Sprintf("#editable-items tbody tr:nth-child(%d) button", row+1))))
		b.waitUntil("the editor", `location.pathname.startsWith("/admin/catalogue/drafts/") && document.querySelector('[name="promisedLimit.amount"]') !== null`)
		draft := b.path()
		if h := b.textOf("#main h1"); !strings.Contains(h, name) {
			t.Errorf("editor heading %q does not name %s", h, name)
		}
		if v := b.value(`[name="promisedLimit.amount"]`); v != fmt.Sprint(old.Amount) {
			t.Errorf("editor promisedLimit.amount = %q, want %d", v, old.Amount)
		}
		visits := b.value(`[name="visits"]`)

		// Bad input: refused, the typed text kept, nothing saved.
		b.setField(`[name="visits"]`, "两次")
		b.do("save the draft", chromedp.Click(chromedp.ID("save-draft")))
		b.waitUntil("the refusal", `document.body.innerText.includes("到现场次数应为整数")`)
		if v := b.value(`[name="visits"]`); v != "两次" {
			t.Errorf("after the refusal [name=visits] = %q, want the typed 两次", v)
		}
		if inv := eval[string](b, `document.querySelector('[name="visits"]').getAttribute("aria-invalid") || ""`); inv != "true" {
			t.Errorf("[name=visits] is not marked aria-invalid after the refusal")
		}
		if !b.present("#form-error") {
			t.Errorf("no #form-error after the refusal%s", b.where())
		}
		b.open(draft)
		if v := b.value(`[name="visits"]`); v != visits {
			t.Errorf("after the refused save the draft has visits %q, want the unchanged %q", v, visits)
		}

		// Shorten the promised limit and preview.
		b.setField(`[name="promisedLimit.amount"]`, fmt.Sprint(newAmount))
		b.do("preview the draft", chromedp.Click(chromedp.ID("preview-draft")))
		b.waitUntil("the preview", `location.pathname === `+jsString(draft+"/preview")+` && document.getElementById("preview-banner") !== null`)
		wantLimit := fmt.Sprintf("%d个%s", newAmount, unit)
		if s := b.text("promised-limit"); !strings.HasPrefix(s, wantLimit) {
			t.Errorf("preview #promised-limit = %q, want %s", s, wantLimit)
		}
		if b.present("#print-link") {
			t.Errorf("the preview offers #print-link for an unpublished draft")
		}
		// Not published yet.
		if got := itemJSON(t, base, code, ""); limitAmount(got) != old.Amount {
			t.Errorf("after preview the published %s has promised %d, want the old %d", code, limitAmount(got), old.Amount)
		}

		// Back to the draft and publish.
		b.do("back to the draft", chromedp.Click(chromedp.CSS("#preview-banner a")))
		b.waitUntil("the editor again", `location.pathname === `+jsString(draft)+` && document.getElementById("publish-draft") !== null`)
		if v := b.value(`[name="promisedLimit.amount"]`); v != fmt.Sprint(newAmount) {
			t.Errorf("the saved draft has promisedLimit.amount %q, want %d", v, newAmount)
		}
		b.do("publish", chromedp.Click(chromedp.ID("publish-draft")))
		b.waitUntil("the published guide", `location.pathname === "/items/`+code+`" && document.getElementById("guide") !== null`)
		if f := b.textOf("#main .flash"); !strings.Contains(f, "已发布第 2 版") {
			t.Errorf("flash after publishing = %q, want 已发布第 2 版", f)
		}
		if s := b.text("promised-limit"); !strings.HasPrefix(s, wantLimit) {
			t.Errorf("published #promised-limit = %q, want %s", s, wantLimit)
		}
		if h := b.text("guide"); !strings.Contains(h, "第 2 版") {
			t.Errorf("the published guide does not say 第 2 版")
		}

		// Version 1 keeps the old limit; version 2 differs only by it.
		old1 := itemJSON(t, base, code, "1")
		if a := limitAmount(old1); a != old.Amount {
			t.Errorf("GET /api/v1/items/%s?version=1: promisedLimit.amount %d, want the old %d", code, a, old.Amount)
		}
		if v := old1["version"]; v != 1.0 {
			t.Errorf("?version=1 answers version %v", v)
		}
		v2 := itemJSON(t, base, code, "")
		if a := limitAmount(v2); a != newAmount || v2["version"] != 2.0 {
			t.Errorf("current %s: version %v promisedLimit.amount %d, want version 2 with %d", code, v2["version"], a, newAmount)
		}
		// The version list grows; the item of version 1 stays as it was.
		delete(v1, "versions")
		delete(old1, "versions")
		if d := jsonDiff("", v1, old1); len(d) > 0 {
			t.Errorf("version 1 changed by publishing version 2 (field: before → after):\n%s", strings.Join(d, "\n"))
		}
		for _, m := range []map[string]any{v1, v2} {
			delete(m, "version")
			delete(m, "versions")
			delete(m["promisedLimit"].(map[string]any), "amount")
			// Themes are a set; the editor lists them in its own order.
			if th, ok := m["themes"].([]any); ok {
				sort.Slice(th, func(i, j int) bool { return fmt.Sprint(th[i]) < fmt.Sprint(th[j]) })
			}
		}
		if d := jsonDiff("", v1, v2); len(d) > 0 {
			t.Errorf("editing only the promised limit in the editor changed %d more things from version 1 to version 2 (field: version 1 → version 2):\n%s", len(d), strings.Join(d, "\n"))
		}
	})
}

// waitUntil polls the JavaScript condition (evaluated as DevTools does, so
// also with the page's scripts disabled) until it is true, within
// stepTimeout. Errors while a page loads count as false.
func (b *tab) waitUntil(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	var last error
	for {
		ok, err := chromedp.Run(ctx, chromedp.EvaluateAsDevTools[bool](cond))
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("wait for %s: %s still false after %v (last error: %v)%s", what, cond, stepTimeout, last, b.where())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// textOf is the visible text of the first element matching the CSS
// selector, waiting for it.
func (b *tab) textOf(sel string) string {
	b.t.Helper()
	return get(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// texts is the trimmed visible text of every element matching sel.
func (b *tab) texts(sel string) []string {
	b.t.Helper()
	return eval[[]string](b, `Array.from(document.querySelectorAll(`+jsString(sel)+`)).map(e => e.innerText.trim())`)
}

// materials lists the names of the rows of the materials table, in order.
func (b *tab) materials() []string {
	b.t.Helper()
	return eval[[]string](b, `Array.from(document.querySelectorAll("#materials tbody tr")).map(r => r.cells[0].childNodes[0].textContent.trim().replace(/^\d+\.\s*/, ""))`)
}

// checkAnswered fails unless exactly the answers' radios are checked.
func (b *tab) checkAnswered(when string, answers map[string]string) {
	b.t.Helper()
	got := eval[map[string]string](b, `Object.fromEntries(Array.from(document.querySelectorAll("#situations input[type=radio]:checked")).map(e => [e.name, e.value]))`)
	if !reflect.DeepEqual(got, answers) {
		b.t.Errorf("%s: checked situation answers %v, want %v", when, got, answers)
	}
}

// value is the current value of the form field sel.
func (b *tab) value(sel string) string {
	b.t.Helper()
	return get(b, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

// setField replaces the text of an input as a person does: select it all,
// type over it.
func (b *tab) setField(sel, v string) {
	b.t.Helper()
	b.do("type "+v+" into "+sel,
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.ScrollIntoView(chromedp.CSS(sel)),
		chromedp.Focus(chromedp.CSS(sel)),
		chromedp.EvaluateAsDevTools[chromedp.Void](`document.querySelector(`+jsString(sel)+`).select()`),
		chromedp.SendKeys(chromedp.CSS(sel), v),
	)
	if got := b.value(sel); got != v {
		b.t.Fatalf("typed %q into %s, it holds %q", v, sel, got)
	}
}

func jsMode(noScript bool) string {
	if noScript {
		return "nojs"
	}
	return "js"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// demoItem is the item of the demo catalogue with this name.
func demoItem(t *testing.T, name string) catalog.Item {
	t.Helper()
	var f catalog.File
	if err := json.Unmarshal(demo.CatalogueJSON, &f); err != nil {
		t.Fatalf("demo catalogue: %v", err)
	}
	for _, it := range f.Items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("demo catalogue has no item %s", name)
	return catalog.Item{}
}

// checkFoodData makes sure the demo data still says what the journey's
// expectations were read from.
func checkFoodData(t *testing.T, it catalog.Item) {
	t.Helper()
	when := map[string][]string{}
	var names []string
	for _, m := range it.Materials {
		when[m.Name] = m.When
		names = append(names, m.Name)
	}
	for name, w := range foodMaterialsOther {
		if !slices.Equal(when[name], w) {
			t.Fatalf("demo data changed: %s of %s applies when %q, the test expects %q; update foodMaterialsOther", name, foodItem, when[name], w)
		}
	}
	for _, name := range foodMaterialsNew {
		if _, ok := when[name]; !ok {
			t.Fatalf("demo data changed: %s has no material %s; update foodMaterialsNew (materials: %q)", foodItem, name, names)
		}
	}
	if len(foodMaterialsNew)+len(foodMaterialsOther) != len(it.Materials) {
		t.Fatalf("demo data changed: %s has %d materials, the test knows %d; update foodMaterialsNew/Other", foodItem, len(it.Materials), len(foodMaterialsNew)+len(foodMaterialsOther))
	}
}

// fetch GETs an absolute URL of the application within stepTimeout.
func fetch(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", u, err)
	}
	return res, body
}

// fetchJSON GETs an API path and decodes the 200 answer into v.
func fetchJSON(t *testing.T, base, path string, v any) {
	t.Helper()
	res, body := fetch(t, base+path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%.500s", path, res.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v\n%.500s", path, err, body)
	}
}

type catItem struct {
	Code          string        `json:"code"`
	Name          string        `json:"name"`
	PromisedLimit catalog.Limit `json:"promisedLimit"`
}

// searchItems is GET /api/v1/items?query.
func searchItems(t *testing.T, base, query string) []catItem {
	t.Helper()
	var page struct {
		Items []catItem `json:"items"`
		Total int       `json:"total"`
	}
	fetchJSON(t, base, "/api/v1/items?"+query, &page)
	if page.Total > len(page.Items) {
		t.Fatalf("GET /api/v1/items?%s: %d of %d items on the page", query, len(page.Items), page.Total)
	}
	return page.Items
}

// itemCode is the 业务办理项编码 of the published item with this name.
func itemCode(t *testing.T, base, name string) string {
	t.Helper()
	for _, s := range searchItems(t, base, "q="+url.QueryEscape(name)) {
		if s.Name == name {
			return s.Code
		}
	}
	t.Fatalf("GET /api/v1/items?q=%s does not find the item %s", name, name)
	return ""
}

// itemJSON is GET /api/v1/items/{code}[?version=], decoded generically.
func itemJSON(t *testing.T, base, code, version string) map[string]any {
	t.Helper()
	path := "/api/v1/items/" + code
	if version != "" {
		path += "?version=" + version
	}
	var m map[string]any
	fetchJSON(t, base, path, &m)
	return m
}

func limitAmount(item map[string]any) int {
	l, _ := item["promisedLimit"].(map[string]any)
	a, _ := l["amount"].(float64)
	return int(a)
}

// jsonDiff lists the differences between two decoded JSON values as
// "path: a → b", at most 40.
func jsonDiff(path string, a, b any) []string {
	var out []string
	var walk func(p string, a, b any)
	walk = func(p string, a, b any) {
		if len(out) >= 40 || reflect.DeepEqual(a, b) {
			return
		}
		switch av := a.(type) {
		case map[string]any:
			if bv, ok := b.(map[string]any); ok {
				keys := map[string]bool{}
				for k := range av {
					keys[k] = true
				}
				for k := range bv {
					keys[k] = true
				}
				var ks []string
				for k := range keys {
					ks = append(ks, k)
				}
				sort.Strings(ks)
				for _, k := range ks {
					walk(strings.TrimPrefix(p+"."+k, "."), av[k], bv[k])
				}
				return
			}
		case []any:
			if bv, ok := b.([]any); ok && len(av) == len(bv) {
				for i := range av {
					walk(fmt.Sprintf("%s[%d]", p, i), av[i], bv[i])
				}
				return
			}
		}
		out = append(out, fmt.Sprintf("  %s: %s → %s", p, short(a), short(b)))
	}
	walk(path, a, b)
	return out
}

func short(v any) string {
	if v == nil {
		return "(absent)"
	}
	j, _ := json.Marshal(v)
	if s := []rune(string(j)); len(s) > 60 {
		return string(s[:60]) + "…"
	}
	return string(j)
}
