package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"yiwang/internal/files/filestest"
)

// The exceptions of a case through the API: what each refuses, and a
// 补正 round trip.
func TestCaseProceduresAPI(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		anon := a.api(t)
		citizen := anon.login("citizen2")
		clerk := anon.login("window1")
		approver := anon.login("scjg1")
		head := anon.login("scjgfz")
		e := a.itemEntry(t, "食品经营许可")

		// A pledge date in the past, a key material deferred, an address missing.
		body := citizen.application(e, "person")
		body["deferred"] = []map[string]string{{"material": "rules", "due": "2020-01-01"}}
		body["tolerancePledge"] = true
		if r := citizen.call("POST", "/api/v1/cases", body); r.Status != 400 || !strings.Contains(r.Raw, "deferred[0]") {
			t.Fatalf("pledge date in the past: %d %s", r.Status, r.Raw)
		}
		body = citizen.application(e, "person")
		body["delivery"] = map[string]string{"method": "post", "recipient": "李建国"}
		if r := citizen.call("POST", "/api/v1/cases", body); r.Status != 400 || !strings.Contains(r.Raw, "delivery.address") {
			t.Fatalf("post without an address: %d %s", r.Status, r.Raw)
		}
		body = citizen.application(e, "person")
		body["mode"] = "pledge"
		if r := citizen.call("POST", "/api/v1/cases", body); r.Status != 400 || !strings.Contains(r.Raw, `"pledge"`) {
			t.Fatalf("unsigned pledge: %d %s", r.Status, r.Raw)
		}

		r := citizen.call("POST", "/api/v1/cases", citizen.application(e, "person"))
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Raw)
		}
		no := r.str("caseNo")
		revision := func() string {
			g := citizen.call("GET", "/api/v1/cases/"+no, nil)
			var c struct {
				Revision int
				Status   string
				Timeline []any
			}
			_ = json.Unmarshal([]byte(g.Raw), &c)
			return fmt.Sprint(c.Revision, c.Status, len(c.Timeline))
		}
		before := revision()
		if r := approver.actData(no, "special-end", "结束", nil); r.Status != 409 {
			t.Fatalf("ending a special procedure never started: %d %s", r.Status, r.Raw)
		}
		if r := clerk.actData(no, "handover", "", collectorData); r.Status != 409 {
			t.Fatalf("delivering a result that is not ready: %d %s", r.Status, r.Raw)
		}
		if after := revision(); after != before {
			t.Fatalf("refused actions changed the case: %s → %s", before, after)
		}
		if r := clerk.act(no, "accept", ""); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Raw)
		}
		if r := approver.actData(no, "supplement", "", map[string]any{"materials": []map[string]string{{"material": "layout", "reason": "未标注面积"}}, "bogus": true}); r.Status != 400 || !strings.Contains(r.Raw, "data.bogus") {
			t.Fatalf("unknown data: %d %s", r.Status, r.Raw)
		}
		if r := approver.actData(no, "supplement", "", map[string]any{"materials": []map[string]string{{"material": "layout", "reason": "经营布局图未标注各区域面积"}}}); r.Status != 200 || r.str("status") != "supplement" {
			t.Fatalf("supplement: %d %s", r.Status, r.Raw)
		}
		pdfNotice := citizen.call("GET", "/api/v1/cases/"+no+"/notices/supplement", nil)
		if pdfNotice.Status != 200 || !strings.HasPrefix(pdfNotice.Raw, "%PDF") {
			t.Fatalf("supplement notice: %d", pdfNotice.Status)
		}
		up := citizen.postFile(filePart("布局图.pdf", filestest.PDF()))
		if r := citizen.actData(no, "supply", "", map[string]any{"materials": []map[string]string{{"material": "application", "file": up.str("id")}}}); r.Status != 400 {
			t.Fatalf("supplementing a material not asked for: %d %s", r.Status, r.Raw)
		}
		if r := citizen.actData(no, "supply", "", map[string]any{"materials": []map[string]string{{"material": "layout", "file": up.str("id")}}}); r.Status != 200 || r.str("status") != "accepted" {
			t.Fatalf("supply: %d %s", r.Status, r.Raw)
		}
		if r := approver.act(no, "pass", ""); r.Status != 200 {
			t.Fatalf("pass: %d %s", r.Status, r.Raw)
		}
		if r := head.act(no, "approve", ""); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Raw)
		}
		decided := revision()
		if r := citizen.act(no, "withdraw", ""); r.Status != 409 {
			t.Fatalf("withdrawing a decided case: %d %s", r.Status, r.Raw)
		}
		if r := citizen.actData(no, "supply", "", map[string]any{"materials": []map[string]string{{"material": "layout", "file": up.str("id")}}}); r.Status != 409 {
			t.Fatalf("supplementing with nothing asked: %d %s", r.Status, r.Raw)
		}
		if after := revision(); after != decided {
			t.Fatalf("refused actions changed the decided case: %s → %s", decided, after)
		}
		if r := anon.login("citizen1").act(no, "withdraw", ""); r.Status != 404 {
			t.Fatalf("someone else's case: %d %s", r.Status, r.Raw)
		}
	})
}

// The case page without JavaScript: the approver's 补正 form, the
// applicant's supplement upload, the notice on the page.
func TestSupplementPages(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		anon := a.api(t)
		citizen := anon.login("citizen2")
		e := a.itemEntry(t, "食品经营许可")
		r := citizen.call("POST", "/api/v1/cases", citizen.application(e, "person"))
		no := r.str("caseNo")
		if r := anon.login("window1").act(no, "accept", ""); r.Status != 200 {
			t.Fatalf("accept: %d", r.Status)
		}
		ab := a.browser(t)
		ab.login("scjg1")
		p := ab.get("/cases/" + no)
		if !strings.Contains(p.Body, `id="form-supplement"`) || !strings.Contains(p.Body, `id="form-special"`) || !strings.Contains(p.Body, `id="form-extend"`) {
			t.Fatalf("the approver's case page lacks the procedure forms: %s", snippet(p.Body))
		}
		// A material ticked without a reason: refused, said on the page.
		bad := ab.post("/cases/"+no+"/act", url.Values{"action": {"supplement"}, "m": {"layout"}})
		if bad.Status != 400 || !strings.Contains(bad.Body, "需要补正的原因") {
			t.Fatalf("supplement without a reason: %d %s", bad.Status, snippet(bad.Body))
		}
		ok := ab.post("/cases/"+no+"/act", url.Values{"action": {"supplement"}, "m": {"layout", "rules"},
			"reason.layout": {"经营布局图未标注各功能区面积"}, "reason.rules": {"缺少进货查验记录制度"}})
		p = ab.follow(ok)
		if !strings.Contains(p.Body, `id="supplement-notice"`) || !strings.Contains(p.Body, "补正中") || !strings.Contains(p.Body, "缺少进货查验记录制度") {
			t.Fatalf("after the notice: %s", snippet(p.Body))
		}
		cb := a.browser(t)
		cb.login("citizen2")
		p = cb.get("/cases/" + no)
		if !strings.Contains(p.Body, `id="form-supply"`) || !strings.Contains(p.Body, `name="m.layout"`) || strings.Contains(p.Body, `name="m.application"`) {
			t.Fatalf("the applicant's supplement form: %s", snippet(p.Body))
		}
		half := cb.postMultipart("/cases/"+no+"/act", url.Values{"action": {"supply"}}, map[string][]byte{"m.layout": filestest.PDF()})
		if half.Status != 400 || !strings.Contains(half.Body, "请补正") {
			t.Fatalf("half a supplement: %d %s", half.Status, snippet(half.Body))
		}
		done := cb.postMultipart("/cases/"+no+"/act", url.Values{"action": {"supply"}}, map[string][]byte{"m.layout": filestest.PDF(), "m.rules": filestest.PDF()})
		p = cb.follow(done)
		if !strings.Contains(p.Body, "已受理") || strings.Contains(p.Body, `id="form-supply"`) || !strings.Contains(p.Body, `id="procedures"`) {
			t.Fatalf("after the supplement: %s", snippet(p.Body))
		}
	})
}
