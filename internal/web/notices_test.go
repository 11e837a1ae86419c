package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"yiwang/internal/notify/notifytest"
)

// withNotices gives citizen2 three notices (the newest a decision) and
// company1 one, as the worker makes them from outbox events.
func withNotices(t *testing.T, a *testApp) (caseNo string) {
	t.Helper()
	cases := notifytest.New(t, a.DB)
	mine, theirs := cases.Person("citizen2"), cases.Company("company1")
	at := time.Now()
	cases.Event(mine, "case.accepted", nil, at)
	cases.Event(mine, "case.supplement_requested", map[string]any{"materials": []string{"营业执照"}, "due": "2026-10-12", "reason": "复印件不清晰"}, at.Add(time.Minute))
	cases.Event(mine, "case.decided", map[string]any{"result": "approved", "resultCode": "6"}, at.Add(2*time.Minute))
	cases.Event(theirs, "case.accepted", nil, at)
	if _, err := a.Notify.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	return cases.No(mine)
}

func TestNoticesAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		withNotices(t, a)
		anon := a.api(t)
		if r := anon.call("GET", "/api/v1/my/notices", nil); r.Status != 401 || r.errCode(t) != "unauthenticated" {
			t.Fatalf("no login: %d %s", r.Status, r.Raw)
		}
		me := anon.login("citizen2")
		r := me.call("GET", "/api/v1/my/notices?pageSize=2", nil)
		list, _ := r.JSON["notices"].([]any)
		if r.Status != 200 || len(list) != 2 || r.JSON["more"] != true || r.JSON["unread"] != float64(3) {
			t.Fatalf("first page: %d %s", r.Status, r.Raw)
		}
		newest := list[0].(map[string]any)
		if newest["title"] != "准予许可" || newest["topic"] != "case.decided" || newest["readAt"] != nil {
			t.Fatalf("newest notice: %v", newest)
		}
		if r := me.call("GET", "/api/v1/my/notices?page=2&pageSize=2", nil); len(r.JSON["notices"].([]any)) != 1 || r.JSON["more"] != false {
			t.Fatalf("second page: %s", r.Raw)
		}
		for q, field := range map[string]string{"page=0": "page", "page=abc": "page", "page=1001": "page", "pageSize=101": "pageSize", "unread=maybe": "unread"} {
			r := me.call("GET", "/api/v1/my/notices?"+q, nil)
			if r.Status != 400 || r.errCode(t) != "invalid" || !strings.Contains(r.Raw, `"`+field+`"`) {
				t.Errorf("%s: %d %s", q, r.Status, r.Raw)
			}
		}
		id := newest["id"].(string)
		read := me.call("POST", "/api/v1/my/notices/"+id+"/read", nil)
		if read.Status != 200 || read.str("readAt") == "" {
			t.Fatalf("mark read: %d %s", read.Status, read.Raw)
		}
		if again := me.call("POST", "/api/v1/my/notices/"+id+"/read", nil); again.Status != 200 || again.str("readAt") != read.str("readAt") {
			t.Fatalf("marking again changed readAt: %s → %s", read.str("readAt"), again.str("readAt"))
		}
		if r := me.call("GET", "/api/v1/my/notices?unread=true", nil); r.JSON["unread"] != float64(2) || len(r.JSON["notices"].([]any)) != 2 {
			t.Fatalf("unread after one read: %s", r.Raw)
		}
		// Bad and foreign ids.
		if r := me.call("POST", "/api/v1/my/notices/not-an-id/read", nil); r.Status != 400 || r.errCode(t) != "invalid" {
			t.Errorf("bad id: %d %s", r.Status, r.Raw)
		}
		if r := me.call("POST", "/api/v1/my/notices/0190a4c2-7e3b-7c1e-9d2f-3b4a5c6d7e8f/read", nil); r.Status != 404 || r.errCode(t) != "not_found" {
			t.Errorf("unknown id: %d %s", r.Status, r.Raw)
		}
		theirs := anon.login("company1")
		tl := theirs.call("GET", "/api/v1/my/notices", nil)
		if tl.JSON["unread"] != float64(1) {
			t.Fatalf("company notices: %s", tl.Raw)
		}
		theirID := tl.JSON["notices"].([]any)[0].(map[string]any)["id"].(string)
		if r := me.call("POST", "/api/v1/my/notices/"+theirID+"/read", nil); r.Status != 404 {
			t.Errorf("someone else's notice: %d %s", r.Status, r.Raw)
		}
		if r := anon.login("citizen1").call("POST", "/api/v1/my/notices/"+id+"/read", nil); r.Status != 404 {
			t.Errorf("another person reading citizen2's notice: %d", r.Status)
		}
		if r := theirs.call("GET", "/api/v1/my/notices", nil); r.JSON["unread"] != float64(1) {
			t.Fatalf("someone else's read touched company1's notice: %s", r.Raw)
		}
		if r := me.call("POST", "/api/v1/my/notices/read-all", nil); r.Status != 200 || r.JSON["marked"] != float64(2) {
			t.Fatalf("read all: %d %s", r.Status, r.Raw)
		}
		if r := anon.login("window1").call("GET", "/api/v1/my/notices", nil); r.Status != 200 || len(r.JSON["notices"].([]any)) != 0 {
			t.Fatalf("staff: %d %s", r.Status, r.Raw)
		}
	})
}

func TestContactAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		me := a.api(t).login("citizen2")
		r := me.call("GET", "/api/v1/me/contact", nil)
		if r.Status != 200 || r.str("phoneMasked") != "136****8866" || r.str("emailMasked") != "li*******@example.com" {
			t.Fatalf("contact: %d %s", r.Status, r.Raw)
		}
		for body, want := range map[string]int{`{"email": "not an address"}`: 400, `{}`: 400, `{"email": 5}`: 400, `{"email": "a@b.cn", "x": 1}`: 400} {
			if r := me.call("PUT", "/api/v1/me/email", body); r.Status != want || r.errCode(t) != "invalid" {
				t.Errorf("%s: %d %s", body, r.Status, r.Raw)
			}
		}
		if r := me.call("PUT", "/api/v1/me/email", map[string]string{"email": " LiJG@Example.COM "}); r.Status != 200 || r.str("emailMasked") != "Li**@example.com" {
			t.Fatalf("set e-mail: %d %s", r.Status, r.Raw)
		}
		if r := me.call("PUT", "/api/v1/me/email", map[string]string{"email": ""}); r.Status != 200 || r.str("emailMasked") != "" {
			t.Fatalf("clear e-mail: %d %s", r.Status, r.Raw)
		}
		var n int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'person.email_set'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d e-mail changes on the trail, want 2 (%v)", n, err)
		}
		staff := a.api(t).login("window1")
		if r := staff.call("PUT", "/api/v1/me/email", map[string]string{"email": "a@b.cn"}); r.Status != 403 {
			t.Errorf("staff e-mail: %d %s", r.Status, r.Raw)
		}
		if r := staff.call("GET", "/api/v1/me/contact", nil); r.Status != 404 {
			t.Errorf("staff contact: %d %s", r.Status, r.Raw)
		}
		if r := a.api(t).call("PUT", "/api/v1/me/email", map[string]string{"email": "a@b.cn"}); r.Status != 401 {
			t.Errorf("no login: %d", r.Status)
		}
	})
}

func TestNoticesPage(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		caseNo := withNotices(t, a)
		anon := a.browser(t)
		if p := anon.get("/my/notices"); p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/login?next=%2Fmy%2Fnotices" {
			t.Fatalf("no login: %d %s", p.Status, p.Header.Get("Location"))
		}
		b := a.browser(t)
		home := b.login("citizen2")
		if !strings.Contains(home.Body, `id="unread-count">3<`) || !strings.Contains(home.Body, `href="/my/notices"`) || !strings.Contains(home.Body, "我的消息") {
			t.Fatalf("header without the unread count: %s", snippet(home.Body))
		}
		p := b.get("/my/notices")
		for _, want := range []string{"<h1>我的消息", "3 条未读", "准予许可", "补正通知", "复印件不清晰", "2026年10月12日", `href="/cases/` + caseNo + `"`,
			`action="/my/notices/read-all"`, `name="csrf"`, `id="contact-phone">136****8866<`, `id="contact-email">li*******@example.com<`, `aria-current="page">我的消息`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(p.Body, "13605718866") {
			t.Fatal("the full phone number is on the page")
		}
		m := readForm.FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no read form on the page: %s", snippet(p.Body))
		}
		id := m[1]
		// A form without its token changes nothing.
		if r := b.post("/my/notices/"+id+"/read", url.Values{"csrf": {""}}); r.Status != 403 {
			t.Fatalf("without csrf: %d", r.Status)
		}
		r := b.post("/my/notices/"+id+"/read", url.Values{"next": {"/my/notices?page=1"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/my/notices?page=1" {
			t.Fatalf("mark read: %d %s", r.Status, r.Header.Get("Location"))
		}
		p = b.follow(r)
		if !strings.Contains(p.Body, `id="unread-count">2<`) || !strings.Contains(p.Body, "2 条未读") {
			t.Fatalf("after reading one: %s", snippet(p.Body))
		}
		if r := b.post("/my/notices/"+id+"/read", url.Values{"next": {"//evil.example/"}}); r.Header.Get("Location") != "/my/notices" {
			t.Fatalf("off-site next: %s", r.Header.Get("Location"))
		}
		if r := b.post("/my/notices/nope/read", nil); r.Status != 400 || !strings.Contains(r.Body, "消息编号格式不正确") {
			t.Errorf("bad id: %d", r.Status)
		}
		other := a.browser(t)
		other.login("citizen1")
		if r := other.post("/my/notices/"+id+"/read", nil); r.Status != 404 || !strings.Contains(r.Body, "未找到该消息") {
			t.Errorf("someone else's notice: %d", r.Status)
		}
		if r := other.get("/my/notices"); strings.Contains(r.Body, "准予许可") || !strings.Contains(r.Body, "还没有消息") {
			t.Errorf("citizen1 sees citizen2's notices")
		}
		if r := b.get("/my/notices?page=abc"); r.Status != 400 {
			t.Errorf("bad page: %d", r.Status)
		}
		if r := b.get("/my/notices?unread=1"); strings.Count(r.Body, `class="notice unread"`) != 2 || strings.Contains(r.Body, `class="notice"`) {
			t.Errorf("unread only: %d unread", strings.Count(r.Body, `class="notice unread"`))
		}

		// The e-mail form: a bad address comes back with its message and
		// what was typed; a good one is saved.
		r = b.post("/my/contact/email", url.Values{"email": {"li at example"}})
		if r.Status != 400 || !strings.Contains(r.Body, `id="email-err"`) || !strings.Contains(r.Body, `value="li at example"`) || !strings.Contains(r.Body, "准予许可") {
			t.Fatalf("bad e-mail: %d %s", r.Status, snippet(r.Body))
		}
		r = b.post("/my/contact/email", url.Values{"email": {"lijg@example.org"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save e-mail: %d %s", r.Status, snippet(r.Body))
		}
		if p := b.follow(r); !strings.Contains(p.Body, "通知邮箱已保存：li**@example.org") || !strings.Contains(p.Body, `id="contact-email">li**@example.org<`) {
			t.Fatalf("after saving: %s", snippet(p.Body))
		}

		r = b.post("/my/notices/read-all", url.Values{"next": {"/my/notices"}})
		if p := b.follow(r); !strings.Contains(p.Body, "已将 2 条消息标为已读") || strings.Contains(p.Body, `id="unread-count"`) || strings.Contains(p.Body, `class="notice unread"`) {
			t.Fatalf("after reading all: %s", snippet(p.Body))
		}

		// 大字版 and the company's view.
		b.follow(b.post("/prefs/elder", url.Values{"elder": {"1"}, "next": {"/my/notices"}}))
		if p := b.get("/my/notices"); !strings.Contains(p.Body, `data-mode="elder"`) || !strings.Contains(p.Body, "准予许可") {
			t.Fatal("elder mode page")
		}
		c := a.browser(t)
		c.login("company1")
		if p := c.get("/my/notices"); !strings.Contains(p.Body, "已受理") || !strings.Contains(p.Body, `id="contact-email">ch**********@example.com<`) {
			t.Fatalf("company page: %s", snippet(p.Body))
		}
		s := a.browser(t)
		s.login("window1")
		if p := s.get("/my/notices"); p.Status != 200 || strings.Contains(p.Body, `id="contact"`) || strings.Contains(p.Body, `id="notices-link"`) {
			t.Fatalf("staff page: %d", p.Status)
		}
	})
}

// Through the real worker: an event written by a change reaches the
// applicant's page without anyone draining by hand (the POST nudges it).
func TestNoticesArriveThroughTheWorker(t *testing.T) {
	a := newApp(t, "")
	cases := notifytest.New(t, a.DB)
	c := cases.Person("citizen2")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Notify.Run(ctx) }()
	stop := func() { cancel(); <-done }
	defer stop()
	cases.Event(c, "case.ready", map[string]any{"delivery": "window"}, time.Now())
	b := a.browser(t)
	b.login("citizen2")
	b.post("/prefs/elder", url.Values{"elder": {"0"}}) // any change nudges the worker
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p := b.get("/my/notices"); strings.Contains(p.Body, "结果可领取") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the notice never arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if !strings.Contains(a.Log.String(), "notice sent (log only)") {
		t.Fatal("no SMS or e-mail went to the log sender")
	}
	if strings.Contains(a.Log.String(), "13605718866") {
		t.Fatal("the log holds a full phone number")
	}
}

var readForm = regexp.MustCompile(`action="/my/notices/([0-9a-f-]{36})/read"`)

// A real case through casework: what its events tell the applicant.
func TestNoticesFollowARealCase(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		anon := a.api(t)
		citizen, clerk := anon.login("citizen2"), anon.login("window1")
		r := citizen.call("POST", "/api/v1/cases", citizen.application(a.itemEntry(t, "食品经营许可"), "person"))
		if r.Status != http.StatusCreated {
			t.Fatalf("apply: %d %s", r.Status, r.Raw)
		}
		no := r.str("caseNo")
		if r := clerk.act(no, "accept", ""); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Raw)
		}
		if _, err := a.Notify.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := citizen.call("GET", "/api/v1/my/notices", nil)
		list, _ := got.JSON["notices"].([]any)
		if len(list) != 2 {
			t.Fatalf("notices: %s", got.Raw)
		}
		for i, want := range []string{"已受理", "申请已提交"} {
			n := list[i].(map[string]any)
			if n["title"] != want || n["caseNo"] != no || !strings.Contains(n["body"].(string), "“食品经营许可") {
				t.Errorf("notice %d: %v, want %s of %s", i, n, want, no)
			}
		}
		var sent int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM notice_deliveries WHERE state = 'sent' AND case_no = ? AND topic = 'case.accepted'`, no).Scan(&sent); err != nil || sent != 2 {
			t.Fatalf("%d messages of the acceptance sent (SMS and e-mail), want 2 (%v)", sent, err)
		}
	})
}
