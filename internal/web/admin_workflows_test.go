package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminWorkflowPages(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		b := a.browser(t)
		b.login("admin")
		list := b.get("/admin/workflows")
		if list.Status != 200 || !strings.Contains(list.Body, "承诺件（受理—审查—决定）") || !strings.Contains(list.Body, "/admin/workflows/joint-zjj") {
			t.Fatalf("list: %d %s", list.Status, snippet(list.Body))
		}
		p := b.get("/admin/workflows/joint-zjj")
		if p.Status != 200 || !strings.Contains(p.Body, "县住建局出具意见") || !strings.Contains(p.Body, "（并行）") || !strings.Contains(p.Body, "汇合") {
			t.Fatalf("joint workflow page: %s", snippet(p.Body))
		}
		def := regexpValue(t, p.Body, `(?s)<textarea id="definition"[^>]*>(.*?)</textarea>`)
		def = htmlUnescape(def)
		// A step nobody may act in is refused with the field named; the
		// text stays as typed.
		broken := strings.Replace(def, `"department": "zjj"`, `"department": ""`, 1)
		r := b.post("/admin/workflows/joint-zjj", url.Values{"definition": {broken}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "没有人可以处理") || !strings.Contains(r.Body, "steps[2].actor.department") {
			t.Fatalf("broken save: %d %s", r.Status, snippet(r.Body))
		}
		if r := b.post("/admin/workflows/joint-zjj", url.Values{"definition": {"{not json"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "不是有效的 JSON") {
			t.Fatalf("bad JSON: %d", r.Status)
		}
		renamed := strings.Replace(def, `"name": "县住建局出具意见"`, `"name": "住建部门并联审查意见"`, 1)
		ok := b.post("/admin/workflows/joint-zjj", url.Values{"definition": {renamed}})
		if ok.Status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", ok.Status, snippet(ok.Body))
		}
		if p := b.follow(ok); !strings.Contains(p.Body, "住建部门并联审查意见") || !strings.Contains(p.Body, "第 2 版") {
			t.Fatalf("after save: %s", snippet(p.Body))
		}
		// Not for other staff.
		o := a.browser(t)
		o.login("scjg1")
		if p := o.get("/admin/workflows"); p.Status != http.StatusForbidden {
			t.Fatalf("approver sees workflow admin: %d", p.Status)
		}
		// The test installation does not allow moving the clock.
		if p := b.get("/admin/clock"); p.Status != 200 || !strings.Contains(p.Body, "不可调整") {
			t.Fatalf("clock page: %s", snippet(p.Body))
		}
		if p := b.post("/admin/clock", url.Values{"move": {"1d"}}); p.Status != http.StatusForbidden {
			t.Fatalf("clock moved without control: %d", p.Status)
		}
	})
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&")
	return r.Replace(s)
}
