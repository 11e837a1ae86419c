package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/demo"
	"yiwang/internal/files/filestest"
	"yiwang/internal/stdcode"
)

// itemEntry finds a published demo item by name.
func (a *testApp) itemEntry(t *testing.T, name string) *catalog.Entry {
	t.Helper()
	snap, err := a.Catalog.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range snap.Entries {
		if e.Item.Name == name {
			return e
		}
	}
	t.Fatalf("no demo item %s", name)
	return nil
}

// application is a complete API body for item e by an applicant of the
// given kind ("person", "company" or "staff"), with files uploaded by c.
func (c *apiClient) application(e *catalog.Entry, kind string) map[string]any {
	c.t.Helper()
	sit := map[string]string{}
	for _, s := range e.Item.Situations {
		sit[s.ID] = s.Options[0].ID
	}
	values := demo.FillForm(e.Form, sit, 3, func(src string) bool {
		return strings.HasPrefix(src, "person.") && kind != "staff" || strings.HasPrefix(src, "company.") && kind == "company"
	})
	form := map[string]any{}
	for k, v := range values {
		if len(v) == 1 {
			form[k] = v[0]
		} else {
			form[k] = v
		}
	}
	var mats []map[string]string
	for _, m := range e.Item.MaterialsFor(sit) {
		if casework.MustSubmit(m) {
			r := c.postFile(filePart(m.ID+".pdf", filestest.PDF()))
			if r.Status != http.StatusCreated {
				c.t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			mats = append(mats, map[string]string{"material": m.ID, "file": r.str("id")})
		}
	}
	return map[string]any{"item": e.Item.Code, "situation": sit, "form": form, "materials": mats, "submit": true}
}

func (c *apiClient) act(no, action, comment string) apiResp {
	c.t.Helper()
	return c.call("POST", "/api/v1/cases/"+no+"/actions", map[string]string{"action": action, "comment": comment})
}

func (c *apiClient) actData(no, action, comment string, data map[string]any) apiResp {
	c.t.Helper()
	return c.call("POST", "/api/v1/cases/"+no+"/actions", map[string]any{"action": action, "comment": comment, "data": data})
}

// collectorData is what a hand-over at the window records.
var collectorData = map[string]any{"collector": map[string]any{"name": "李建国", "idNumber": "330122198807154518"}}

func TestCasesAPILifecycle(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		anon := a.api(t)
		citizen := anon.login("citizen2")
		clerk := anon.login("window1")
		approver := anon.login("scjg1")
		head := anon.login("scjgfz")
		e := a.itemEntry(t, "食品经营许可")
		body := citizen.application(e, "person")

		r := citizen.call("POST", "/api/v1/cases", body, "Idempotency-Key", "k-1")
		if r.Status != http.StatusCreated || r.str("status") != "submitted" || len(r.str("caseNo")) != 19 || r.Header.Get("Location") == "" {
			t.Fatalf("create: %d %s", r.Status, r.Raw)
		}
		no := r.str("caseNo")
		again := citizen.call("POST", "/api/v1/cases", body, "Idempotency-Key", "k-1")
		if again.Status != http.StatusCreated || again.str("caseNo") != no || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %s", again.Status, again.Raw)
		}
		// Privacy: another citizen and another department get 404.
		if r := anon.login("citizen1").call("GET", "/api/v1/cases/"+no, nil); r.Status != 404 || r.errCode(t) != "not_found" {
			t.Fatalf("other citizen: %d %s", r.Status, r.Raw)
		}
		if r := anon.login("wsjk1").call("GET", "/api/v1/cases/"+no, nil); r.Status != 404 {
			t.Fatalf("other department: %d", r.Status)
		}
		if r := anon.call("GET", "/api/v1/cases/"+no, nil); r.Status != 401 {
			t.Fatalf("anonymous: %d", r.Status)
		}
		// The wrong role is 403, a state that does not fit is 409.
		if r := approver.act(no, "accept", ""); r.Status != 403 || r.errCode(t) != "forbidden" {
			t.Fatalf("approver accepts: %d %s", r.Status, r.Raw)
		}
		if r := clerk.act(no, "refuse", ""); r.Status != 400 || !strings.Contains(r.Raw, "comment") {
			t.Fatalf("refuse without reason: %d %s", r.Status, r.Raw)
		}
		if r := clerk.act(no, "approve", ""); r.Status != 409 {
			t.Fatalf("approve at acceptance: %d %s", r.Status, r.Raw)
		}
		if r := clerk.act(no, "teleport", ""); r.Status != 400 {
			t.Fatalf("unknown action: %d %s", r.Status, r.Raw)
		}
		// Two clerks accept at once: one wins, the other gets 409.
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i := range codes {
			wg.Add(1)
			go func(i int) { defer wg.Done(); codes[i] = clerk.act(no, "accept", "").Status }(i)
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
			t.Fatalf("concurrent accepts: %v", codes)
		}
		got := citizen.call("GET", "/api/v1/cases/"+no, nil)
		var c struct {
			Status   string
			Deadline struct {
				Promised struct{ Due string }
				Legal    struct{ Due string }
			}
			Timeline      []map[string]any
			Actions       []map[string]any
			Licences      []any
			QueryPassword string
		}
		_ = json.Unmarshal([]byte(got.Raw), &c)
		if c.Status != "accepted" || c.Deadline.Promised.Due == "" || c.Deadline.Legal.Due == "" || len(c.Timeline) != 2 || c.Licences == nil || len(c.Actions) != 1 || c.Actions[0]["action"] != "withdraw" || len(c.QueryPassword) != 6 {
			t.Fatalf("accepted case as the applicant sees it: %s", got.Raw)
		}
		inbox := approver.call("GET", "/api/v1/inbox", nil)
		if inbox.Status != 200 || !strings.Contains(inbox.Raw, no) {
			t.Fatalf("inbox: %s", inbox.Raw)
		}
		if r := approver.act(no, "pass", "材料齐全，经营场所符合要求"); r.Status != 200 || r.str("status") != "processing" {
			t.Fatalf("pass: %d %s", r.Status, r.Raw)
		}
		if r := head.act(no, "approve", ""); r.Status != 200 || r.str("status") != "closed" || r.str("resultCode") != "6" {
			t.Fatalf("approve: %d %s", r.Status, r.Raw)
		}
		if r := clerk.act(no, "handover", ""); r.Status != 400 || !strings.Contains(r.Raw, "data.collector.name") {
			t.Fatalf("handover without the collector: %d %s", r.Status, r.Raw)
		}
		if r := clerk.actData(no, "handover", "", collectorData); r.Status != 200 || r.str("status") != "collected" {
			t.Fatalf("handover: %d %s", r.Status, r.Raw)
		}
		// Lists.
		if r := citizen.call("GET", "/api/v1/my/cases", nil); r.Status != 200 || !strings.Contains(r.Raw, no) {
			t.Fatalf("my cases: %s", r.Raw)
		}
		if r := approver.call("GET", "/api/v1/cases?status=collected&dept=scjg", nil); r.Status != 200 || !strings.Contains(r.Raw, no) {
			t.Fatalf("staff list: %s", r.Raw)
		}
		for _, q := range []string{"status=lost", "from=2026-13-01", "page=0", "overdue=maybe", "dept=nowhere", "pageSize=x"} {
			if r := approver.call("GET", "/api/v1/cases?"+q, nil); r.Status != 400 || r.errCode(t) != "invalid" {
				t.Fatalf("bad filter %s: %d %s", q, r.Status, r.Raw)
			}
		}
		if r := citizen.call("GET", "/api/v1/cases", nil); r.Status != 403 {
			t.Fatalf("citizen used the staff list: %d", r.Status)
		}
		// Public progress lookup, and its refusal of a wrong password.
		pr := anon.call("POST", "/api/v1/progress", map[string]string{"caseNo": no, "password": c.QueryPassword})
		if pr.Status != 200 || pr.str("statusName") != "已领取" || strings.Contains(pr.Raw, "李建国") {
			t.Fatalf("progress: %d %s", pr.Status, pr.Raw)
		}
		wrong := "000000"
		if c.QueryPassword == wrong {
			wrong = "111111"
		}
		if r := anon.call("POST", "/api/v1/progress", map[string]string{"caseNo": no, "password": wrong}); r.Status != 404 {
			t.Fatalf("wrong password: %d %s", r.Status, r.Raw)
		}
		if r := anon.call("POST", "/api/v1/progress", map[string]string{"caseNo": "abc", "password": "12"}); r.Status != 400 || !strings.Contains(r.Raw, "caseNo") {
			t.Fatalf("malformed lookup: %d %s", r.Status, r.Raw)
		}
		// Notices.
		for kind, want := range map[string]string{"receipt": "收件回执", "acceptance": "受理通知书", "decision": "办结通知书"} {
			text := pdfText(t, citizen.raw("GET", "/api/v1/cases/"+no+"/notices/"+kind))
			if !strings.Contains(text, want) || !strings.Contains(text, no) {
				t.Fatalf("%s notice: %s", kind, text)
			}
		}
		if r := citizen.call("GET", "/api/v1/cases/"+no+"/notices/refusal", nil); r.Status != 409 {
			t.Fatalf("refusal notice of an approved case: %d", r.Status)
		}
	})
}

// raw fetches a non-JSON body.
func (c *apiClient) raw(method, path string) []byte {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
	}
	return b.Bytes()
}

func TestCasesAPIBadInput(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		citizen := a.api(t).login("citizen2")
		e := a.itemEntry(t, "食品经营许可")
		good := citizen.application(e, "person")
		count := func() int {
			var n int
			_ = a.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM cases`).Scan(&n)
			return n
		}
		before := count()
		clone := func() map[string]any {
			b, _ := json.Marshal(good)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			return m
		}
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"not JSON", "{", ""},
			{"unknown top-level field", `{"item":"x","hack":1}`, "hack"},
			{"form value of the wrong kind", func() any { m := clone(); m["form"].(map[string]any)["area"] = map[string]any{"x": 1}; return m }(), "form.area"},
			{"number out of range", func() any { m := clone(); m["form"].(map[string]any)["area"] = -5; return m }(), "form.area"},
			{"unknown material", func() any {
				m := clone()
				m["materials"] = append(m["materials"].([]any), map[string]any{"material": "passport", "file": "x"})
				return m
			}(), "materials"},
			{"missing file", func() any {
				m := clone()
				m["materials"].([]any)[0].(map[string]any)["file"] = "01960000-0000-7000-8000-000000000000"
				return m
			}(), "materials[0].file"},
			{"wrong version", func() any { m := clone(); m["itemVersion"] = 99; return m }(), "itemVersion"},
			{"no item", map[string]any{"submit": true}, "item"},
		}
		for _, tc := range cases {
			r := citizen.call("POST", "/api/v1/cases", tc.body)
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Raw)
				continue
			}
			r.errCode(t)
			if tc.field != "" && !strings.Contains(r.Raw, tc.field) {
				t.Errorf("%s: the answer does not name %s: %s", tc.name, tc.field, r.Raw)
			}
		}
		if n := count(); n != before {
			t.Fatalf("bad requests left %d cases", n-before)
		}
		// An upload that is not what its name says is refused.
		if r := citizen.postFile(filePart("scan.pdf", []byte("MZ\x90\x00 not a pdf at all"))); r.Status != 400 {
			t.Fatalf("fake pdf: %d %s", r.Status, r.Raw)
		}
		// Drafts: saved partial, kept after a failed submit, then updated.
		draft := clone()
		draft["submit"] = false
		draft["form"] = map[string]any{"businessPlace": "桐庐县春江路158号"}
		r := citizen.call("POST", "/api/v1/cases", draft)
		if r.Status != 201 || r.str("status") != "draft" || r.str("caseNo") != "" {
			t.Fatalf("draft: %d %s", r.Status, r.Raw)
		}
		id := r.str("id")
		if r := citizen.act(id, "submit", ""); r.Status != 400 {
			t.Fatalf("incomplete draft submitted: %d %s", r.Status, r.Raw)
		}
		good2 := clone()
		good2["item"] = ""
		r = citizen.call("PUT", "/api/v1/cases/"+id, good2)
		if r.Status != 200 || r.str("status") != "submitted" || r.str("caseNo") == "" {
			t.Fatalf("draft updated and submitted: %d %s", r.Status, r.Raw)
		}
		if r := citizen.call("PUT", "/api/v1/cases/"+id, good2); r.Status != 409 && r.Status != 404 {
			t.Fatalf("editing a submitted case: %d %s", r.Status, r.Raw)
		}
	})
}

func TestWorkflowAPI(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		admin := a.api(t).login("admin")
		r := admin.call("GET", "/api/v1/workflows/standard", nil)
		if r.Status != 200 || r.str("id") != "standard" {
			t.Fatalf("get: %d %s", r.Status, r.Raw)
		}
		var wf map[string]any
		_ = json.Unmarshal([]byte(r.Raw), &wf)
		delete(wf, "revision")
		delete(wf, "updatedAt")
		steps := wf["steps"].([]any)
		steps[1].(map[string]any)["actions"].([]any)[0].(map[string]any)["to"] = []string{"nowhere"}
		bad := admin.call("PUT", "/api/v1/workflows/standard", wf)
		if bad.Status != 400 || !strings.Contains(bad.Raw, "steps[1].actions[0].to[0]") || !strings.Contains(bad.Raw, "不存在的环节") {
			t.Fatalf("workflow to nowhere: %d %s", bad.Status, bad.Raw)
		}
		if r := admin.call("PUT", "/api/v1/workflows/other", wf); r.Status != 400 {
			t.Fatalf("id mismatch: %d", r.Status)
		}
		if r := a.api(t).login("scjg1").call("PUT", "/api/v1/workflows/standard", wf); r.Status != 403 && r.Status != 400 {
			t.Fatalf("approver saved a workflow: %d", r.Status)
		}
		if r := a.api(t).login("citizen1").call("GET", "/api/v1/workflows", nil); r.Status != 403 {
			t.Fatalf("citizen read workflows: %d", r.Status)
		}
	})
}

// postMultipart posts a multipart form with the page's CSRF token in the
// URL (as the application form does).
func (b *browser) postMultipart(path string, fields url.Values, files map[string][]byte) page {
	b.t.Helper()
	var parts []upPart
	fields.Set("csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			parts = append(parts, upPart{field: k, filename: "-", content: []byte(v)})
		}
	}
	for k, content := range files {
		parts = append(parts, upPart{field: k, filename: strings.TrimPrefix(k, "m.") + ".pdf", content: content})
	}
	body, ct := multipartBody(b.t, parts...)
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req, _ := http.NewRequest("POST", b.base+path+sep+"csrf="+url.QueryEscape(b.csrf), bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	return b.do(req)
}

func TestApplicationPages(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		e := a.itemEntry(t, "食品经营许可")
		b := a.browser(t)
		b.login("citizen2")
		sit := url.Values{"kind": {"new"}, "subject": {"individual"}}
		form := b.get("/items/" + e.Item.Code + "/apply?" + sit.Encode())
		if form.Status != 200 || !strings.Contains(form.Body, `id="application"`) || !strings.Contains(form.Body, `name="m.application"`) {
			t.Fatalf("apply page: %d %s", form.Status, snippet(form.Body))
		}
		// The situation not yet answered: no form.
		if p := b.get("/items/" + e.Item.Code + "/apply"); !strings.Contains(p.Body, `id="answer-first"`) {
			t.Fatalf("form shown before the situation: %s", snippet(p.Body))
		}
		fields := url.Values{"item": {e.Item.Code}, "itemVersion": {fmt.Sprint(e.Item.Version)}, "s.kind": {"new"}, "s.subject": {"individual"}, "do": {"submit"}}
		for k, vs := range demo.FillForm(e.Form, catalog.Answers{"kind": "new", "subject": "individual"}, 5, func(src string) bool { return strings.HasPrefix(src, "person.") }) {
			fields["f."+k] = vs
		}
		// Missing a required material and a field: errors, typed values kept,
		// the uploaded file kept as a ticked box.
		place := fields.Get("f.businessPlace")
		area := fields.Get("f.area")
		fields.Del("f.area")
		p := b.postMultipart("/items/"+e.Item.Code+"/apply", fields, map[string][]byte{"m.application": filestest.PDF()})
		if p.Status != 400 || !strings.Contains(p.Body, "请上传") || !strings.Contains(p.Body, place) || !strings.Contains(p.Body, `name="keep.application"`) {
			t.Fatalf("incomplete application: %d %s", p.Status, snippet(p.Body))
		}
		keep := regexpValue(t, p.Body, `name="keep.application" value="([^"]+)"`)
		fields.Set("f.area", area)
		fields.Set("keep.application", keep)
		files := map[string][]byte{}
		for _, m := range e.Item.MaterialsFor(catalog.Answers{"kind": "new", "subject": "individual"}) {
			if (m.Necessity == "必要" || m.Necessity == "容缺") && m.ID != "application" {
				files["m."+m.ID] = filestest.PDF()
			}
		}
		// A file that is not what it says is refused by content.
		bad := map[string][]byte{"m.licence": []byte("GIF89a this is no pdf")}
		if p := b.postMultipart("/items/"+e.Item.Code+"/apply", fields, bad); p.Status != 400 || !strings.Contains(p.Body, "licence.pdf") {
			t.Fatalf("fake file: %d %s", p.Status, snippet(p.Body))
		}
		done := b.postMultipart("/items/"+e.Item.Code+"/apply", fields, files)
		if done.Status != http.StatusSeeOther || !strings.HasPrefix(done.Header.Get("Location"), "/cases/") {
			t.Fatalf("submit: %d %s", done.Status, snippet(done.Body))
		}
		cp := b.follow(done)
		if !strings.Contains(cp.Body, "申请已提交") || !strings.Contains(cp.Body, `id="case-status">待预审`) || !strings.Contains(cp.Body, `id="query-password"`) {
			t.Fatalf("case page: %s", snippet(cp.Body))
		}
		no := strings.TrimPrefix(done.Header.Get("Location"), "/cases/")

		// The clerk accepts on the page; a refusal without reason comes back.
		clerk := a.browser(t)
		clerk.login("window1")
		if d := clerk.get("/desk"); !strings.Contains(d.Body, no) {
			t.Fatalf("desk queue misses the case: %s", snippet(d.Body))
		}
		cp = clerk.get("/cases/" + no)
		task := regexpValue(t, cp.Body, `name="task" value="([^"]+)"`)
		if p := clerk.post("/cases/"+no+"/act", url.Values{"task": {task}, "action": {"refuse"}}); p.Status != 400 || !strings.Contains(p.Body, "须写明理由") {
			t.Fatalf("refuse without reason: %d %s", p.Status, snippet(p.Body))
		}
		if p := clerk.post("/cases/"+no+"/act", url.Values{"task": {task}, "action": {"accept"}}); p.Status != http.StatusSeeOther {
			t.Fatalf("accept: %d %s", p.Status, snippet(p.Body))
		}
		if p := clerk.get("/cases/" + no); !strings.Contains(p.Body, `id="case-status">已受理`) || !strings.Contains(p.Body, `id="promised-due"`) {
			t.Fatalf("accepted page: %s", snippet(p.Body))
		}
		// The approver's inbox lists it; a second click on accept is a conflict.
		ap := a.browser(t)
		ap.login("scjg1")
		if p := ap.get("/inbox"); !strings.Contains(p.Body, no) || !strings.Contains(p.Body, "审查") {
			t.Fatalf("inbox: %s", snippet(p.Body))
		}
		if p := clerk.post("/cases/"+no+"/act", url.Values{"task": {task}, "action": {"accept"}}); p.Status != 409 {
			t.Fatalf("stale accept: %d", p.Status)
		}
		// Someone else's case is 404 on every page of it.
		other := a.browser(t)
		other.login("citizen1")
		for _, path := range []string{"/cases/" + no, "/cases/" + no + "/notice/receipt", "/cases/" + no + "/files/" + keep} {
			if p := other.get(path); p.Status != 404 {
				t.Fatalf("%s for another citizen: %d", path, p.Status)
			}
		}
		// The applicant can download their own material from the case.
		if p := b.get("/cases/" + no + "/files/" + keep); p.Status != 200 || !strings.HasPrefix(p.Body, "%PDF") {
			t.Fatalf("own material: %d", p.Status)
		}
		// The clerk may read it too (staff of the case), audited.
		if p := clerk.get("/cases/" + no + "/files/" + keep); p.Status != 200 {
			t.Fatalf("clerk reads material: %d", p.Status)
		}
		// Public progress page.
		pw := regexpValue(t, b.get("/cases/"+no).Body, `id="query-password">(\d{6})`)
		anon := a.browser(t)
		anon.get("/progress")
		if p := anon.post("/progress", url.Values{"caseNo": {no}, "password": {pw}}); p.Status != 200 || !strings.Contains(p.Body, "已受理") {
			t.Fatalf("progress page: %d %s", p.Status, snippet(p.Body))
		}
		if p := anon.post("/progress", url.Values{"caseNo": {no}, "password": {"12ab56"}}); p.Status != 400 || !strings.Contains(p.Body, "6位数字") {
			t.Fatalf("bad password format: %d", p.Status)
		}
	})
}

func TestDeskIntakePages(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		e := a.itemEntry(t, "结婚登记")
		clerk := a.browser(t)
		clerk.login("window1")
		if p := clerk.get("/desk?q=" + url.QueryEscape("结婚登记")); !strings.Contains(p.Body, "intake-"+e.Item.Code) {
			t.Fatalf("desk search: %s", snippet(p.Body))
		}
		idn := validIDNumber("33012219920808002")
		if p := clerk.get("/desk?idNumber=" + idn); !strings.Contains(p.Body, "未找到") {
			t.Fatalf("unknown person: %s", snippet(p.Body))
		}
		sit := map[string]string{}
		for _, s := range e.Item.Situations {
			sit[s.ID] = s.Options[0].ID
		}
		q := url.Values{"item": {e.Item.Code}, "idNumber": {idn}}
		fields := url.Values{"item": {e.Item.Code}, "itemVersion": {fmt.Sprint(e.Item.Version)}, "idNumber": {idn}, "do": {"submit"}}
		for k, v := range sit {
			q.Set(k, v)
			fields.Set("s."+k, v)
		}
		if p := clerk.get("/desk/apply?" + q.Encode()); p.Status != 200 || !strings.Contains(p.Body, `id="applicant-fields"`) {
			t.Fatalf("intake form: %d %s", p.Status, snippet(p.Body))
		}
		for k, vs := range demo.FillForm(e.Form, sit, 9, nil) {
			fields["f."+k] = vs
		}
		files := map[string][]byte{}
		for _, m := range e.Item.MaterialsFor(sit) {
			if casework.MustSubmit(m) {
				files["m."+m.ID] = filestest.PDF()
			}
		}
		// Without name and phone the walk-in cannot be registered.
		if p := clerk.postMultipart("/desk/apply", fields, files); p.Status != 400 || !strings.Contains(p.Body, "请填写姓名") {
			t.Fatalf("walk-in without name: %d %s", p.Status, snippet(p.Body))
		}
		fields.Set("name", "周雨萱")
		fields.Set("phone", "13867150021")
		done := clerk.postMultipart("/desk/apply", fields, files)
		if done.Status != http.StatusSeeOther {
			t.Fatalf("intake: %d %s", done.Status, snippet(done.Body))
		}
		cp := clerk.follow(done)
		if !strings.Contains(cp.Body, "周雨萱") || !strings.Contains(cp.Body, "窗口") || !strings.Contains(cp.Body, `id="act-approve"`) {
			t.Fatalf("window case page: %s", snippet(cp.Body))
		}
		no := strings.TrimPrefix(done.Header.Get("Location"), "/cases/")
		receipt := clerk.get("/cases/" + no + "/notice/receipt")
		text := pdfText(t, []byte(receipt.Body))
		if !strings.Contains(text, "收件回执") || strings.Contains(text, idn) || !strings.Contains(text, idn[:4]+"**********"+idn[14:]) {
			t.Fatalf("receipt: %s", text)
		}
	})
}

func regexpValue(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexpMust(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in %s", pattern, snippet(body))
	}
	return m[1]
}

func regexpMust(p string) *regexp.Regexp { return regexp.MustCompile(p) }

// validIDNumber completes the first 17 digits of a 公民身份号码 with its
// check character.
func validIDNumber(first17 string) string {
	c, err := stdcode.IDCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}
