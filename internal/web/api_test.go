package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"yiwang/internal/audit"
	"yiwang/internal/stdcode"
)

func validID(first17 string) string {
	c, err := stdcode.IDCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// citizen1's ID number in the demo data.
var citizen1ID = validID("33012219560312002")

func TestAPILoginAndMe(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		r := c.call("POST", "/api/v1/login", map[string]string{"username": "citizen1", "password": "wrong-password"})
		if r.Status != 401 || r.errCode(t) != "unauthenticated" {
			t.Fatalf("wrong password: %d %s", r.Status, r.Raw)
		}
		r = c.call("POST", "/api/v1/login", map[string]string{"username": "nobody", "password": "yiwang-demo"})
		if r.Status != 401 || !strings.Contains(r.Raw, "用户名或密码错误") {
			t.Fatalf("unknown user: %d %s", r.Status, r.Raw)
		}
		r = c.call("POST", "/api/v1/login", map[string]string{"username": "Citizen1 ", "password": "yiwang-demo"})
		if r.Status != 200 || r.str("token") == "" {
			t.Fatalf("login: %d %s", r.Status, r.Raw)
		}
		user := r.JSON["user"].(map[string]any)
		if user["username"] != "citizen1" || user["displayName"] != "王秀英" || user["kind"] != "person" {
			t.Fatalf("user: %v", user)
		}
		if strings.Contains(r.Raw, "yiwang-demo") || strings.Contains(r.Raw, citizen1ID) {
			t.Fatal("login answer leaks a secret or an ID number")
		}
		me := &apiClient{t: t, base: a.URL, token: r.str("token")}
		if m := me.call("GET", "/api/v1/me", nil); m.Status != 200 || m.str("displayName") != "王秀英" {
			t.Fatalf("me: %d %s", m.Status, m.Raw)
		}
		// No token, a bad token, a malformed header: 401 in the error shape.
		if m := c.call("GET", "/api/v1/me", nil); m.Status != 401 || m.errCode(t) != "unauthenticated" {
			t.Fatalf("anonymous me: %d %s", m.Status, m.Raw)
		}
		bad := &apiClient{t: t, base: a.URL, token: "not-a-token"}
		if m := bad.call("GET", "/api/v1/me", nil); m.Status != 401 {
			t.Fatalf("bad token: %d", m.Status)
		}
		if m := c.call("GET", "/api/v1/me", nil, "Authorization", "Basic Zm9vOmJhcg=="); m.Status != 401 || m.errCode(t) != "unauthenticated" {
			t.Fatalf("basic auth: %d %s", m.Status, m.Raw)
		}
		// Logout ends the token.
		if m := me.call("POST", "/api/v1/logout", nil); m.Status != 204 {
			t.Fatalf("logout: %d %s", m.Status, m.Raw)
		}
		if m := me.call("GET", "/api/v1/me", nil); m.Status != 401 {
			t.Fatalf("token works after logout: %d", m.Status)
		}
		// Company agent: acts for the company.
		comp := c.login("company1")
		if m := comp.call("GET", "/api/v1/me", nil); m.Status != 200 || !strings.Contains(m.Raw, "桐庐春江餐饮管理有限公司") {
			t.Fatalf("company me: %s", m.Raw)
		}
	})
}

func TestAPIBadInput(t *testing.T) {
	a := newApp(t, "")
	c := a.api(t)
	cases := []struct {
		name, body, ctype string
		status            int
		code, msg         string
	}{
		{"malformed", `{"username": "citizen1",`, "application/json", 400, "invalid", "JSON"},
		{"not an object", `["citizen1"]`, "application/json", 400, "invalid", "JSON 对象"},
		{"unknown field", `{"username":"citizen1","password":"x","admin":true}`, "application/json", 400, "invalid", "未知字段"},
		{"wrong type", `{"username":123,"password":"x"}`, "application/json", 400, "invalid", "username"},
		{"two objects", `{"username":"a","password":"b"}{"x":1}`, "application/json", 400, "invalid", "一个 JSON 对象"},
		{"empty", ``, "application/json", 400, "invalid", "为空"},
		{"form content type", `username=citizen1&password=yiwang-demo`, "application/x-www-form-urlencoded", 400, "invalid", "JSON"},
		{"missing fields", `{}`, "application/json", 400, "invalid", "请输入用户名"},
		{"oversized", `{"username":"` + strings.Repeat("x", 2<<20) + `","password":"x"}`, "application/json", 413, "too_large", "字节"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.call("POST", "/api/v1/login", tc.body, "Content-Type", tc.ctype)
			if r.Status != tc.status || r.errCode(t) != tc.code || !strings.Contains(r.Raw, tc.msg) {
				t.Fatalf("got %d %s", r.Status, r.Raw)
			}
		})
	}
	// Unknown routes and methods answer in the error shape too.
	if r := c.call("GET", "/api/v1/no-such-thing", nil); r.Status != 404 || r.errCode(t) != "not_found" {
		t.Fatalf("unknown route: %d %s", r.Status, r.Raw)
	}
	r := c.call("DELETE", "/api/v1/login", nil)
	if r.Status != 405 || r.errCode(t) != "method_not_allowed" || !strings.Contains(r.Header.Get("Allow"), "POST") {
		t.Fatalf("wrong method: %d %s %v", r.Status, r.Raw, r.Header)
	}
	if r := c.call("GET", "/api/v1/regions?parent=12ab", nil); r.Status != 400 || r.errCode(t) != "invalid" {
		t.Fatalf("bad region code: %d %s", r.Status, r.Raw)
	}
	if r := c.call("GET", "/api/v1/regions/999999999999", nil); r.Status != 400 && r.Status != 404 {
		t.Fatalf("unknown region: %d %s", r.Status, r.Raw)
	}
	admin := c.login("admin")
	if r := admin.call("GET", "/api/v1/audit?before=abc", nil); r.Status != 400 || r.errCode(t) != "invalid" {
		t.Fatalf("bad before: %d %s", r.Status, r.Raw)
	}
	if r := admin.call("GET", "/api/v1/accounts?kind=alien", nil); r.Status != 400 {
		t.Fatalf("bad kind: %d %s", r.Status, r.Raw)
	}
	if r := admin.call("PUT", "/api/v1/me/preferences", `{}`); r.Status != 400 || !strings.Contains(r.Raw, "elderMode") {
		t.Fatalf("empty preferences: %d %s", r.Status, r.Raw)
	}
	// Nothing above was an internal error.
	if strings.Contains(a.Log.String(), "internal error") || strings.Contains(a.Log.String(), "panic") {
		t.Fatalf("bad input caused an internal error:\n%s", a.Log.String())
	}
}

func TestLoginRateLimited(t *testing.T) {
	a := newApp(t, "")
	c := a.api(t)
	for i := 0; i < 5; i++ {
		if r := c.call("POST", "/api/v1/login", map[string]string{"username": "citizen2", "password": "guess-" + string(rune('a'+i))}); r.Status != 401 {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	r := c.call("POST", "/api/v1/login", map[string]string{"username": "citizen2", "password": "yiwang-demo"})
	if r.Status != 429 || r.errCode(t) != "rate_limited" {
		t.Fatalf("6th attempt: %d %s", r.Status, r.Raw)
	}
	// Another account is not locked by citizen2's failures.
	if r := c.call("POST", "/api/v1/login", map[string]string{"username": "citizen1", "password": "yiwang-demo"}); r.Status != 200 {
		t.Fatalf("citizen1 locked out too: %d", r.Status)
	}
}

func TestAuthorization(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		cit1, cit2, clerk, admin, scjg := c.login("citizen1"), c.login("citizen2"), c.login("window1"), c.login("admin"), c.login("scjg1")
		p1 := cit1.call("GET", "/api/v1/me", nil).str("personId")
		if p1 == "" {
			t.Fatal("citizen1 has no person id")
		}
		// Own data: masked.
		r := cit1.call("GET", "/api/v1/people/"+p1, nil)
		if r.Status != 200 || r.str("idNumberMasked") != "3301**********"+citizen1ID[14:] || strings.Contains(r.Raw, citizen1ID) {
			t.Fatalf("own person: %d %s", r.Status, r.Raw)
		}
		// Someone else's person is 404, not 403, for a citizen and an approver.
		for _, who := range []*apiClient{cit2, scjg} {
			if r := who.call("GET", "/api/v1/people/"+p1, nil); r.Status != 404 || r.errCode(t) != "not_found" {
				t.Fatalf("other's person: %d %s", r.Status, r.Raw)
			}
			if r := who.call("POST", "/api/v1/people/"+p1+"/reveal", map[string]string{"reason": "好奇"}); r.Status != 404 {
				t.Fatalf("other's reveal: %d %s", r.Status, r.Raw)
			}
		}
		// Staff-only and admin-only routes.
		if r := cit1.call("GET", "/api/v1/accounts", nil); r.Status != 403 {
			t.Fatalf("citizen lists accounts: %d", r.Status)
		}
		if r := clerk.call("GET", "/api/v1/audit", nil); r.Status != 403 {
			t.Fatalf("clerk reads audit: %d", r.Status)
		}
		if r := cit1.call("GET", "/api/v1/people?idNumber="+citizen1ID, nil); r.Status != 403 {
			t.Fatalf("citizen searches people: %d", r.Status)
		}
		if r := cit1.call("POST", "/api/v1/departments", map[string]string{"code": "x"}); r.Status != 403 {
			t.Fatalf("citizen creates department: %d %s", r.Status, r.Raw)
		}
		// The clerk finds the person by ID number (lookup hash) — masked.
		r = clerk.call("GET", "/api/v1/people?idNumber="+citizen1ID, nil)
		if r.Status != 200 || r.str("id") != p1 || strings.Contains(r.Raw, citizen1ID) {
			t.Fatalf("clerk lookup: %d %s", r.Status, r.Raw)
		}
		if r := clerk.call("GET", "/api/v1/people?idNumber="+validID("11010519491231002"), nil); r.Status != 404 {
			t.Fatalf("unknown ID: %d %s", r.Status, r.Raw)
		}
		if r := clerk.call("GET", "/api/v1/people?idNumber=330122195603120020", nil); r.Status != 400 && !strings.Contains(r.Raw, "校验") {
			t.Fatalf("bad check digit: %d %s", r.Status, r.Raw)
		}
		// Reveal needs a reason, and is audited with it.
		if r := clerk.call("POST", "/api/v1/people/"+p1+"/reveal", map[string]string{"reason": " "}); r.Status != 400 || !strings.Contains(r.Raw, "事由") {
			t.Fatalf("reveal without reason: %d %s", r.Status, r.Raw)
		}
		r = clerk.call("POST", "/api/v1/people/"+p1+"/reveal", map[string]string{"reason": "窗口核验身份"})
		if r.Status != 200 || r.str("idNumber") != citizen1ID || r.str("phone") != "13957112345" {
			t.Fatalf("reveal: %d %s", r.Status, r.Raw)
		}
		entries, err := audit.List(context.Background(), a.DB, audit.Filter{ObjectType: "person", ObjectID: p1})
		if err != nil || len(entries) != 1 || entries[0].Action != "person.reveal" || entries[0].ActorName != "张丽" || !strings.Contains(entries[0].Detail, "窗口核验身份") {
			t.Fatalf("reveal audit: %+v %v", entries, err)
		}
		if strings.Contains(entries[0].Detail, citizen1ID) {
			t.Fatal("the audit trail holds the unmasked ID number")
		}
		// The admin reads the trail and the chain verifies.
		r = admin.call("GET", "/api/v1/audit?objectType=person&objectId="+p1, nil)
		if r.Status != 200 || !strings.Contains(r.Raw, "person.reveal") {
			t.Fatalf("audit api: %d %s", r.Status, r.Raw)
		}
		r = admin.call("GET", "/api/v1/audit/verify", nil)
		if r.Status != 200 || r.JSON["ok"] != true || r.JSON["checked"].(float64) < 6 {
			t.Fatalf("verify: %d %s", r.Status, r.Raw)
		}
		// Personal data is encrypted at rest: the database holds no plain ID number or phone.
		var n int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM people WHERE id_number_enc LIKE ? OR phone_enc LIKE ? OR id_number_masked = ?`,
			"%"+citizen1ID[6:14]+"%", "%13957112345%", citizen1ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("plain personal data at rest: n=%d err=%v", n, err)
		}
	})
}

func TestAPIDepartments(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		r := c.call("GET", "/api/v1/departments", nil)
		if r.Status != 200 || !strings.Contains(r.Raw, "桐庐县市场监督管理局") {
			t.Fatalf("departments: %d %s", r.Status, r.Raw)
		}
		if r := c.call("GET", "/api/v1/departments/scjg", nil); r.Status != 200 || r.str("name") != "桐庐县市场监督管理局" || r.str("regionName") != "浙江省杭州市桐庐县" {
			t.Fatalf("department by code: %d %s", r.Status, r.Raw)
		}
		if r := c.call("GET", "/api/v1/departments/nope", nil); r.Status != 404 {
			t.Fatalf("unknown department: %d", r.Status)
		}
		if r := c.call("GET", "/api/v1/regions?parent=330122000000", nil); r.Status != 200 || !strings.Contains(r.Raw, "横村镇") {
			t.Fatalf("regions: %d %s", r.Status, r.Raw)
		}
		if r := c.call("GET", "/api/v1/centres", nil); r.Status != 200 || !strings.Contains(r.Raw, "综合受理窗口") || !strings.Contains(r.Raw, "户籍业务专窗") {
			t.Fatalf("centres: %d %s", r.Status, r.Raw)
		}
		admin := c.login("admin")
		good := map[string]string{"code": "lyj", "name": "桐庐县林业局", "creditCode": "", "regionCode": "330122000000"}
		body, _ := stdcode.CreditCodeCheckChar("11330122002493291")
		good["creditCode"] = "11330122002493291" + string(body)
		bad := map[string]string{"code": "LY J", "name": "", "creditCode": "11330122002493291X", "regionCode": "3301"}
		r = admin.call("POST", "/api/v1/departments", bad)
		if r.Status != 400 {
			t.Fatalf("bad department: %d %s", r.Status, r.Raw)
		}
		fields := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
		for _, f := range []string{"code", "name", "creditCode", "regionCode"} {
			if fields[f] == nil {
				t.Errorf("no message for field %s: %v", f, fields)
			}
		}
		unknownRegion := map[string]string{"code": "lyj", "name": "桐庐县林业局", "creditCode": good["creditCode"], "regionCode": "330127000000"}
		if r := admin.call("POST", "/api/v1/departments", unknownRegion); r.Status != 400 || !strings.Contains(r.Raw, "不存在") {
			t.Fatalf("unknown region: %d %s", r.Status, r.Raw)
		}
		r = admin.call("POST", "/api/v1/departments", good)
		if r.Status != 201 || r.str("code") != "lyj" {
			t.Fatalf("create: %d %s", r.Status, r.Raw)
		}
		if r := admin.call("POST", "/api/v1/departments", good); r.Status != 409 || r.errCode(t) != "conflict" {
			t.Fatalf("duplicate: %d %s", r.Status, r.Raw)
		}
		var n int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM departments WHERE code = 'lyj'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("departments named lyj: %d %v", n, err)
		}
	})
}

func TestRegisterAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		count := func() int {
			var n int
			if err := a.DB.QueryRowContext(context.Background(), `SELECT (SELECT count(*) FROM people) + (SELECT count(*) FROM accounts)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		newID := validID("33012220010101123")
		bad := []map[string]string{
			{"username": "xu", "password": "short", "name": "", "idNumber": "330122200101011230", "phone": "123"},
			{"username": "xuming", "password": "abc12345!", "name": "徐明", "idNumber": newID[:17] + "0", "phone": "13800000000"},
			{"username": "citizen1", "password": "abc12345!", "name": "徐明", "idNumber": newID, "phone": "13800000000"},
			{"username": "xuming", "password": "abc12345!", "name": "王秀英", "idNumber": citizen1ID, "phone": "13800000000"},
		}
		wantStatus := []int{400, 400, 409, 409}
		for i, in := range bad {
			r := c.call("POST", "/api/v1/register", in)
			if r.Status != wantStatus[i] {
				t.Fatalf("bad registration %d: %d %s", i, r.Status, r.Raw)
			}
			r.errCode(t)
		}
		if count() != before {
			t.Fatal("a refused registration left rows behind")
		}
		r := c.call("POST", "/api/v1/register", map[string]string{"username": "xuming", "password": "abc12345!", "name": "徐明", "idNumber": newID, "phone": "138 0000 0000"})
		if r.Status != 201 || r.str("username") != "xuming" {
			t.Fatalf("register: %d %s", r.Status, r.Raw)
		}
		if count() != before+2 {
			t.Fatal("registration did not create a person and an account")
		}
		if r := c.call("POST", "/api/v1/login", map[string]string{"username": "xuming", "password": "abc12345!"}); r.Status != 200 {
			t.Fatalf("new account cannot log in: %d", r.Status)
		}
	})
}

func TestOpsRoutes(t *testing.T) {
	a := newApp(t, "")
	c := a.api(t)
	// In order: /metrics shows the requests counted before it.
	for _, pw := range [][2]string{{"/healthz", "ok"}, {"/readyz", "ready"}, {"/metrics", `yiwang_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`}} {
		path, want := pw[0], pw[1]
		r := c.call("GET", path, nil)
		if r.Status != 200 || !strings.Contains(r.Raw, want) {
			t.Fatalf("%s: %d %s", path, r.Status, snippet(r.Raw))
		}
	}
	r := c.call("GET", "/api/v1/version", nil)
	if r.Status != 200 || r.str("database") != "sqlite" {
		t.Fatalf("version: %s", r.Raw)
	}
	// Every response carries the security headers and a request id.
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "X-Request-Id"} {
		if r.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("weak security headers: %v", r.Header)
	}
	// A sane incoming request id is kept, a hostile one replaced.
	if r := c.call("GET", "/healthz", nil, "X-Request-Id", "abc-123"); r.Header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("request id not kept: %q", r.Header.Get("X-Request-Id"))
	}
	if r := c.call("GET", "/healthz", nil, "X-Request-Id", "<script>"); r.Header.Get("X-Request-Id") == "<script>" {
		t.Error("hostile request id echoed")
	}
	// readyz fails when the database is gone.
	a.DB.Close()
	if r := c.call("GET", "/readyz", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with closed db: %d", r.Status)
	}
}
