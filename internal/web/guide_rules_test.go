package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestGuideShowsRules: the demo's 食品经营许可 says its rules on the guide
// page (standard, 大字版 and print) and in the PDF 一次告知 sheet.
func TestGuideShowsRules(t *testing.T) {
	a := newDemoApp(t, "")
	r := a.api(t).call("GET", "/api/v1/items?q="+url.QueryEscape("食品经营许可")+"&pageSize=20", nil)
	var code string
	for _, it := range r.JSON["items"].([]any) {
		if m := it.(map[string]any); m["name"] == "食品经营许可" {
			code = m["code"].(string)
		}
	}
	if code == "" {
		t.Fatalf("no demo item 食品经营许可: %s", snippet(r.Raw))
	}
	want := []string{
		"补正期限", "收到补正通知之日起15个工作日内补正", "补正期间不计算在办理时限内",
		"容缺受理", "可容缺的材料：食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度目录、食品安全管理人员任命文件",
		"承诺之日起10个工作日内补齐", "容缺材料补齐前暂缓发放结果",
		"告知承诺制", "当场作出决定", "承诺内容", "具有与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所",
		"事中事后核查", "作出决定后1个月内核查承诺是否属实",
		"现场核查", "经部门负责人批准可延长5个工作日",
		"结果送达方式", "窗口领取、邮寄送达（免费邮寄）、电子送达",
	}
	rulesSection := regexp.MustCompile(`(?s)<section class="card" id="rules">.*?</section>`)
	b := a.browser(t)
	for _, path := range []string{"/items/" + code, "/items/" + code + "/print"} {
		p := b.get(path)
		sec := rulesSection.FindString(p.Body)
		if p.Status != 200 || sec == "" {
			t.Fatalf("%s: %d, no 办理规则 section", path, p.Status)
		}
		for _, w := range want {
			if w != "现场核查" && !strings.Contains(sec, w) {
				t.Errorf("%s: 办理规则 lacks %q", path, w)
			}
		}
		if !strings.Contains(p.Body, "现场核查（5个工作日，不计入办理时限）") {
			t.Errorf("%s: the special procedure is not shown", path)
		}
		if n := strings.Count(p.Body, "可先受理，签署承诺书后10个工作日内补交"); n != 2 {
			t.Errorf("%s: %d materials marked 容缺 with their time, want 2", path, n)
		}
	}
	// 大字版 hides secondary detail; the rules are not secondary.
	b.post("/prefs/elder", url.Values{"elder": {"1"}})
	p := b.get("/items/" + code)
	if !strings.Contains(p.Body, `data-mode="elder"`) || !strings.Contains(rulesSection.FindString(p.Body), "经部门负责人批准可延长5个工作日") {
		t.Fatalf("elder mode guide lacks the rules")
	}

	pdf := b.get("/items/" + code + "/guide.pdf")
	if pdf.Status != 200 || !strings.HasPrefix(pdf.Body, "%PDF-") {
		t.Fatalf("guide PDF: %d", pdf.Status)
	}
	text := pdfText(t, []byte(pdf.Body))
	for _, w := range append(want, "办理规则") {
		if !strings.Contains(text, w) {
			t.Errorf("PDF lacks %q", w)
		}
	}
}
