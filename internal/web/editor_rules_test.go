package web_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// atField finds the message shown right under the named form control.
func atField(body, name string) string {
	re := regexp.MustCompile(`(?s)name="` + regexp.QuoteMeta(name) + `"[^>]*aria-invalid="true".*?<p class="field-error">([^<]*)</p>`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// editSmallCatalogue imports the small catalogue and opens the item with
// the given base code in the editor as admin: the browser and the draft's
// address.
func editSmallCatalogue(t *testing.T, a *testApp, code string) (*browser, string) {
	t.Helper()
	if r := a.api(t).login("admin").call("POST", "/api/v1/catalogue/import", smallCatalogue(t)); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	b := a.browser(t)
	b.login("admin")
	b.get("/admin/catalogue/items")
	p := b.post("/admin/catalogue/items/"+code+"/edit", nil)
	draft := p.Header.Get("Location")
	if p.Status != 303 || !strings.HasPrefix(draft, "/admin/catalogue/drafts/") {
		t.Fatalf("start edit: %d %s", p.Status, draft)
	}
	return b, draft
}

func TestEditorRules(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		b, draft := editSmallCatalogue(t, a, "000117011000")
		ed := b.get(draft)
		form := formValues(ed.Body)
		// An item without rules: every rule field empty, the defaults said in the hints.
		for _, k := range []string{"rules.supplementLimit.amount", "rules.supplementClock", "rules.toleranceDays", "rules.pledgeText", "rules.extension", "rules.delivery"} {
			if form.Get(k) != "" {
				t.Errorf("%s shows %q for the default", k, form.Get(k))
			}
		}
		for _, want := range []string{"办理规则", "补正期限（默认15个工作日）", "默认：补正期间不计算在办理时限内", "默认：部门负责人", `name="rules.delivery" value="online"`} {
			if !strings.Contains(ed.Body, want) {
				t.Errorf("editor lacks %q", want)
			}
		}
		set := func(v url.Values, kv map[string]string) url.Values {
			out := url.Values{}
			for k, vs := range v {
				out[k] = vs
			}
			for k, x := range kv {
				out.Set(k, x)
			}
			return out
		}
		rules := map[string]string{"rules.supplementLimit.amount": "5", "rules.supplementLimit.unit": "1", "rules.supplementClock": "restart",
			"rules.toleranceResult": "issue", "rules.toleranceDays": "20", "rules.pledgeText": "承诺经营场所、设备设施符合要求。",
			"rules.pledgeLimit.amount": "0", "rules.pledgeLimit.unit": "1", "rules.pledgeWorkflow": "pledge",
			"rules.postCheckLimit.amount": "3", "rules.postCheckLimit.unit": "5", "rules.extension": "10", "rules.extensionRole": "approver"}

		// Bad values: refused at their fields, nothing published.
		bad := set(form, rules)
		bad.Set("rules.supplementClock", "pause")
		bad.Del("flags.express")
		bad.Del("flags.freeMail")
		bad["rules.delivery"] = []string{"window", "post"}
		bad.Set("op", "publish")
		p := b.post(draft, bad)
		if p.Status != 400 || !strings.Contains(p.Body, "不能发布") {
			t.Fatalf("publish bad rules: %d %s", p.Status, snippet(p.Body))
		}
		if m := atField(p.Body, "rules.supplementClock"); !strings.Contains(m, `补正计时规则代码 &#34;pause&#34; 不在字典中`) {
			t.Errorf("supplementClock message at the field: %q", m)
		}
		if !regexp.MustCompile(`value="online"> 电子送达</label>\s*<p class="field-error">提供邮寄送达的事项须标为物流快递或免费邮寄</p>`).MatchString(p.Body) {
			t.Errorf("delivery message not at the delivery checkboxes: %s", snippet(p.Body[strings.Index(p.Body, `id="rules"`):]))
		}
		if r := a.api(t).call("GET", "/api/v1/items/000117011000", nil); r.JSON["version"].(float64) != 1 || strings.Contains(r.Raw, "restart") {
			t.Fatalf("bad rules were published: %s", snippet(r.Raw))
		}
		// A number that cannot be read: not even the draft is saved.
		bad = set(form, rules)
		bad.Set("rules.toleranceDays", "十天")
		bad.Set("op", "save")
		if p := b.post(draft, bad); p.Status != 400 || atField(p.Body, "rules.toleranceDays") != "容缺材料补交期限应为整数" || !strings.Contains(p.Body, `value="十天"`) {
			t.Fatalf("unreadable tolerance days: %d %s", p.Status, snippet(p.Body))
		}
		if strings.Contains(b.get(draft).Body, "restart\" selected") {
			t.Fatal("a draft with an unreadable number was saved")
		}

		// Good values: published as typed, and shown again in the editor.
		good := set(form, rules)
		good["rules.delivery"] = []string{"online", "window", "post"}
		good.Set("op", "publish")
		if p := b.post(draft, good); p.Status != 303 {
			t.Fatalf("publish rules: %d %s", p.Status, snippet(p.Body))
		}
		r := a.api(t).call("GET", "/api/v1/items/000117011000", nil)
		got, _ := json.Marshal(r.JSON["rules"])
		want := `{"delivery":["online","window","post"],"extension":10,"extensionRole":"approver","pledgeLimit":{"amount":0,"unit":"1"},"pledgeText":"承诺经营场所、设备设施符合要求。","pledgeWorkflow":"pledge","postCheckLimit":{"amount":3,"unit":"5"},"supplementClock":"restart","supplementLimit":{"amount":5,"unit":"1"},"toleranceDays":20,"toleranceResult":"issue"}`
		if r.JSON["version"].(float64) != 2 || string(got) != want {
			t.Fatalf("published rules (version %v):\n got %s\nwant %s", r.JSON["version"], got, want)
		}
		again := formValues(b.get(b.post("/admin/catalogue/items/000117011000/edit", nil).Header.Get("Location")).Body)
		for k, v := range rules {
			if again.Get(k) != v {
				t.Errorf("editor shows %s = %q, want %q", k, again.Get(k), v)
			}
		}
		if d := strings.Join(again["rules.delivery"], ","); d != "online,window,post" {
			t.Errorf("editor shows delivery %s", d)
		}
		// The guide says them.
		g := b.get("/items/000117011000")
		for _, want := range []string{"收到补正通知之日起5个工作日内补正", "补正材料收到之日起重新计算办理时限", "承诺之日起20个工作日内补齐", "容缺材料补齐前可先行发放结果",
			"当场作出决定", "承诺经营场所、设备设施符合要求。", "作出决定后3个月内核查", "经审批人员批准可延长10个工作日", "电子送达、窗口领取、邮寄送达（免费邮寄）"} {
			if !strings.Contains(g.Body, want) {
				t.Errorf("guide lacks %q", want)
			}
		}
	})
}
