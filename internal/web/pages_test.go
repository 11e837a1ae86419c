package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yiwang/internal/stdcode"
)

func TestPagesLoginLogoutByRole(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		homes := map[string][]string{
			"citizen1":    {"王秀英", `id="tile-cases"`, `id="tile-find"`, `id="tile-licences"`, "我的办件"},
			"company1":    {"桐庐春江餐饮管理有限公司", "经办人：陈晓峰", `id="tile-cases"`},
			"window1":     {"张丽", `id="tile-desk"`, "窗口工作台", "浙江省杭州市桐庐县（含下级）"},
			"scjg1":       {"刘伟", `id="tile-inbox"`, "待办件", "桐庐县市场监督管理局"},
			"admin":       {"赵敏", `id="tile-admin"`, "系统管理"},
			"supervisor1": {"孙建军", `id="tile-audit"`},
		}
		for user, wants := range homes {
			b := a.browser(t)
			home := b.login(user)
			if home.Status != 200 {
				t.Fatalf("%s home: %d", user, home.Status)
			}
			for _, w := range wants {
				if !strings.Contains(home.Body, w) {
					t.Errorf("%s home lacks %q", user, w)
				}
			}
			if user != "admin" && strings.Contains(home.Body, `id="tile-admin"`) {
				t.Errorf("%s sees the admin tile", user)
			}
			out := b.post("/logout", nil)
			if out.Status != http.StatusSeeOther {
				t.Fatalf("%s logout: %d", user, out.Status)
			}
			after := b.follow(out)
			if !strings.Contains(after.Body, `id="login-link"`) || !strings.Contains(after.Body, "您已安全退出") {
				t.Fatalf("%s after logout: %s", user, snippet(after.Body))
			}
			if p := b.get("/me"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login") {
				t.Fatalf("%s: /me after logout: %d %s", user, p.Status, p.Header.Get("Location"))
			}
		}
	})
}

func TestLoginFormBadInput(t *testing.T) {
	a := newApp(t, "")
	b := a.browser(t)
	b.get("/login")
	p := b.post("/login", url.Values{"username": {"citizen1"}, "password": {"nope-nope"}})
	if p.Status != 401 || !strings.Contains(p.Body, "用户名或密码错误") || !strings.Contains(p.Body, `value="citizen1"`) {
		t.Fatalf("wrong password page: %d %s", p.Status, snippet(p.Body))
	}
	p = b.post("/login", url.Values{"username": {""}, "password": {""}})
	if p.Status != 400 || !strings.Contains(p.Body, "请输入用户名") || !strings.Contains(p.Body, "请输入密码") {
		t.Fatalf("empty login: %d", p.Status)
	}
	// The login redirect goes back where the visitor was, never off-site.
	p = b.post("/login", url.Values{"username": {"citizen1"}, "password": {"yiwang-demo"}, "next": {"//evil.example/x"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("open redirect: %d %s", p.Status, p.Header.Get("Location"))
	}
}

func TestCSRF(t *testing.T) {
	a := newApp(t, "")
	b := a.browser(t)
	b.get("/login")
	// Missing and forged tokens are refused before anything happens.
	for _, tok := range []string{"", "forged-token"} {
		p := b.post("/login", url.Values{"csrf": {tok}, "username": {"citizen1"}, "password": {"yiwang-demo"}})
		if p.Status != 403 || !strings.Contains(p.Body, "页面已过期") {
			t.Fatalf("csrf %q: %d %s", tok, p.Status, snippet(p.Body))
		}
	}
	// A token from another visitor does not work either.
	other := a.browser(t)
	other.get("/login")
	if p := b.post("/login", url.Values{"csrf": {other.csrf}, "username": {"citizen1"}, "password": {"yiwang-demo"}}); p.Status != 403 {
		t.Fatalf("foreign token accepted: %d", p.Status)
	}
	home := b.login("admin")
	// After login the token is bound to the session: the pre-login token is dead.
	oldTok := b.csrf
	_ = home
	if p := b.post("/admin/departments", url.Values{"csrf": {other.csrf}, "name": {"x"}}); p.Status != 403 {
		t.Fatalf("anonymous token accepted in a session: %d", p.Status)
	}
	b.csrf = oldTok
	// Cross-site POSTs are refused by origin even with a valid token.
	req, _ := http.NewRequest("POST", a.URL+"/prefs/elder", strings.NewReader(url.Values{"csrf": {b.csrf}, "elder": {"1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.Status != 403 {
		t.Fatalf("cross-site post: %d", p.Status)
	}
	// A cookie-authenticated API write needs the header token too.
	req, _ = http.NewRequest("PUT", a.URL+"/api/v1/me/preferences", strings.NewReader(`{"elderMode":true}`))
	req.Header.Set("Content-Type", "application/json")
	if p := b.do(req); p.Status != 403 {
		t.Fatalf("cookie API write without token: %d", p.Status)
	}
	req, _ = http.NewRequest("PUT", a.URL+"/api/v1/me/preferences", strings.NewReader(`{"elderMode":true}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf)
	if p := b.do(req); p.Status != 200 {
		t.Fatalf("cookie API write with token: %d %s", p.Status, p.Body)
	}
}

func TestElderMode(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		// A visitor's choice sticks in a cookie, and carries into their account at login.
		b := a.browser(t)
		b.get("/")
		p := b.follow(b.post("/prefs/elder", url.Values{"elder": {"1"}, "next": {"/centres"}}))
		if !strings.Contains(p.Body, `class="elder"`) || !strings.Contains(p.Body, "桐庐县政务服务中心") {
			t.Fatalf("elder mode not applied: %s", snippet(p.Body))
		}
		if p := b.get("/"); !strings.Contains(p.Body, `data-mode="elder"`) {
			t.Fatal("elder mode did not stick")
		}
		home := b.login("citizen2")
		if !strings.Contains(home.Body, `data-mode="elder"`) {
			t.Fatal("elder mode lost at login")
		}
		var on bool
		if err := a.DB.QueryRowContext(context.Background(), `SELECT elder_mode FROM accounts WHERE username = 'citizen2'`).Scan(&on); err != nil || !on {
			t.Fatalf("elder mode not stored on the account: %v %v", on, err)
		}
		// A fresh browser (another device) gets the account's choice.
		b2 := a.browser(t)
		if home := b2.login("citizen2"); !strings.Contains(home.Body, `data-mode="elder"`) {
			t.Fatal("elder mode not carried to another device")
		}
		p = b2.follow(b2.post("/prefs/elder", url.Values{"elder": {"0"}, "next": {"/"}}))
		if !strings.Contains(p.Body, `data-mode="standard"`) {
			t.Fatal("could not switch back")
		}
		// Via the API too.
		c := a.api(t).login("citizen2")
		if r := c.call("PUT", "/api/v1/me/preferences", map[string]bool{"elderMode": true}); r.Status != 200 || r.JSON["elderMode"] != true {
			t.Fatalf("api preferences: %d %s", r.Status, r.Raw)
		}
	})
}

func TestRegisterForm(t *testing.T) {
	a := newApp(t, "")
	b := a.browser(t)
	b.get("/register")
	p := b.post("/register", url.Values{"name": {"徐明"}, "idNumber": {"330122200101011230"}, "phone": {"1380000"}, "username": {"xuming"}, "password": {"abc"}})
	if p.Status != 400 {
		t.Fatalf("bad registration: %d", p.Status)
	}
	for _, want := range []string{"校验位", "手机号", "密码至少需要8位", `value="徐明"`, `value="xuming"`, `value="1380000"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("bad registration page lacks %q", want)
		}
	}
	if strings.Contains(p.Body, `value="abc"`) {
		t.Error("the password was echoed back")
	}
	c, _ := stdcode.IDCheckChar("33012220010101123")
	p = b.post("/register", url.Values{"name": {"徐明"}, "idNumber": {"33012220010101123" + string(c)}, "phone": {"13800000000"}, "username": {"xuming"}, "password": {"abc12345!"}})
	home := b.follow(p)
	if !strings.Contains(home.Body, "注册成功") || !strings.Contains(home.Body, "徐明") {
		t.Fatalf("after registration: %s", snippet(home.Body))
	}
	me := b.get("/me")
	if !strings.Contains(me.Body, "3301**********") || strings.Contains(me.Body, "33012220010101123") {
		t.Fatalf("profile not masked: %s", snippet(me.Body))
	}
	full := b.post("/me/reveal", nil)
	if !strings.Contains(full.Body, "33012220010101123") || !strings.Contains(full.Body, "13800000000") {
		t.Fatalf("own reveal: %d", full.Status)
	}
}

func TestAdminDepartmentForm(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		b := a.browser(t)
		b.login("admin")
		if p := b.get("/admin/departments"); p.Status != 200 || !strings.Contains(p.Body, "桐庐县卫生健康局") {
			t.Fatalf("department list: %d", p.Status)
		}
		p := b.post("/admin/departments", url.Values{"name": {"桐庐县林业局"}, "code": {"LY!"}, "creditCode": {"113301220024932911"}, "regionCode": {"330122000000"}})
		if p.Status != 400 || !strings.Contains(p.Body, "部门代码只能是") || !strings.Contains(p.Body, "校验") || !strings.Contains(p.Body, `value="桐庐县林业局"`) {
			t.Fatalf("bad department form: %d %s", p.Status, snippet(p.Body))
		}
		cc, _ := stdcode.CreditCodeCheckChar("11330122002493291")
		p = b.post("/admin/departments", url.Values{"name": {"桐庐县林业局"}, "code": {"lyj"}, "creditCode": {"11330122002493291" + string(cc)}, "regionCode": {"330122000000"}})
		list := b.follow(p)
		if !strings.Contains(list.Body, "已新增部门：桐庐县林业局") || !strings.Contains(list.Body, "<code>lyj</code>") {
			t.Fatalf("after create: %s", snippet(list.Body))
		}
		audit := b.get("/admin/audit")
		if !strings.Contains(audit.Body, "department.create") {
			t.Fatal("department creation not in the trail")
		}
		v := b.post("/admin/audit/verify", nil)
		if !strings.Contains(v.Body, "审计链完整") {
			t.Fatalf("verify page: %s", snippet(v.Body))
		}
		// Non-admins cannot see administration pages.
		c := a.browser(t)
		c.login("window1")
		for _, path := range []string{"/admin", "/admin/departments", "/admin/accounts", "/admin/regions"} {
			if p := c.get(path); p.Status != 403 {
				t.Errorf("clerk %s: %d", path, p.Status)
			}
		}
	})
}

func TestAdminPagesAndPeople(t *testing.T) {
	a := newApp(t, "")
	b := a.browser(t)
	b.login("admin")
	acc := b.get("/admin/accounts?kind=person")
	if acc.Status != 200 || !strings.Contains(acc.Body, "王秀英") || strings.Contains(acc.Body, citizen1ID) || !strings.Contains(acc.Body, "3301**********") {
		t.Fatalf("accounts page: %d", acc.Status)
	}
	if p := b.get("/admin/regions?parent=330122000000"); !strings.Contains(p.Body, "横村镇") || !strings.Contains(p.Body, "桐庐县") {
		t.Fatal("regions page")
	}
	if p := b.get("/admin/regions?parent=33x"); p.Status != 400 {
		t.Fatalf("bad region parent: %d", p.Status)
	}
	if p := b.get("/admin"); !strings.Contains(p.Body, "部门") || p.Status != 200 {
		t.Fatal("admin page")
	}
	// Window desk: look up by ID number, then reveal with a reason.
	w := a.browser(t)
	w.login("window1")
	p := w.get("/desk?idNumber=" + citizen1ID)
	if !strings.Contains(p.Body, "王秀英") || strings.Contains(p.Body, citizen1ID+"<") {
		t.Fatalf("desk lookup: %s", snippet(p.Body))
	}
	if p := w.get("/desk?idNumber=12345"); p.Status != 400 || !strings.Contains(p.Body, "18位") {
		t.Fatalf("desk bad id: %d", p.Status)
	}
	var personID string
	if err := a.DB.QueryRowContext(context.Background(), `SELECT person_id FROM accounts WHERE username = 'citizen1'`).Scan(&personID); err != nil {
		t.Fatal(err)
	}
	w.get("/people/" + personID)
	if p := w.post("/people/"+personID+"/reveal", url.Values{"reason": {""}}); p.Status != 400 || !strings.Contains(p.Body, "请填写查看事由") {
		t.Fatalf("reveal without reason: %d", p.Status)
	}
	if p := w.post("/people/"+personID+"/reveal", url.Values{"reason": {"窗口核验身份"}}); !strings.Contains(p.Body, citizen1ID) {
		t.Fatalf("reveal: %d", p.Status)
	}
	// Another citizen gets 404 for that person's page.
	c := a.browser(t)
	c.login("citizen2")
	if p := c.get("/people/" + personID); p.Status != 404 {
		t.Fatalf("citizen2 sees citizen1: %d", p.Status)
	}
	if p := c.get("/desk"); p.Status != 403 {
		t.Fatalf("citizen at the desk: %d", p.Status)
	}
	if p := c.get("/no/such/page"); p.Status != 404 || !strings.Contains(p.Body, "页面不存在") {
		t.Fatalf("404 page: %d", p.Status)
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	a := newApp(t, "")
	r := a.api(t).call("GET", "/api/v1/openapi.json", nil)
	if r.Status != 200 || r.JSON["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %d", r.Status)
	}
	paths := r.JSON["paths"].(map[string]any)
	documented := map[string]bool{}
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			documented[strings.ToUpper(m)+" "+p] = true
			o := op.(map[string]any)
			if o["summary"] == "" || o["responses"] == nil {
				t.Errorf("%s %s lacks summary or responses", m, p)
			}
		}
	}
	registered := a.Server.APIPatterns()
	if len(registered) < 15 {
		t.Fatalf("only %d API patterns registered", len(registered))
	}
	for _, pat := range registered {
		if !documented[pat] {
			t.Errorf("route %s is not in the OpenAPI document", pat)
		}
		delete(documented, pat)
	}
	for pat := range documented {
		t.Errorf("OpenAPI documents %s, which the router does not serve", pat)
	}
	// Every documented route answers something other than 404/405 (it is really routed).
	c := a.api(t).login("admin")
	for _, pat := range registered {
		m, p, _ := strings.Cut(pat, " ")
		p = strings.NewReplacer("{code}", "330122000000", "{id}", "scjg").Replace(p)
		var body any
		if m != "GET" {
			body = "{}"
		}
		resp := c.call(m, p, body)
		if resp.Status == 404 && resp.JSON["error"] != nil && strings.Contains(resp.Raw, "不存在的页面或接口") || resp.Status == 405 {
			t.Errorf("%s is documented but not routed (%d)", pat, resp.Status)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Raw), &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"Error", "loginResponse", "userView", "Department"} {
		if schemas[name] == nil {
			t.Errorf("schema %s missing", name)
		}
	}
}

func TestPublicPageCacheKeepsTokensPersonal(t *testing.T) {
	a := newDemoApp(t, "")
	b1, b2 := a.browser(t), a.browser(t)
	p1 := b1.get("/centres")
	p2 := b2.get("/centres") // served from the cache
	if p1.Status != 200 || p2.Status != 200 || b1.csrf == "" || b1.csrf == b2.csrf {
		t.Fatalf("tokens: %q %q", b1.csrf, b2.csrf)
	}
	if strings.Contains(p2.Body, "placeholder") {
		t.Fatal("the cache placeholder reached a visitor")
	}
	// Each visitor's token works for them.
	if p := b2.post("/prefs/elder", url.Values{"elder": {"1"}, "next": {"/centres"}}); p.Status != 303 {
		t.Fatalf("elder toggle from a cached page: %d", p.Status)
	}
	// Elder mode is a different cached page.
	if p := b2.get("/centres"); !strings.Contains(p.Body, `data-mode="elder"`) {
		t.Fatal("elder visitor got the standard page")
	}
	if p := b1.get("/centres"); strings.Contains(p.Body, `data-mode="elder"`) {
		t.Fatal("standard visitor got the elder page")
	}
	// Logged-in people never get a cached anonymous page.
	b1.login("citizen1")
	if p := b1.get("/"); !strings.Contains(p.Body, "王秀英") {
		t.Fatal("logged-in home came from the anonymous cache")
	}
}
