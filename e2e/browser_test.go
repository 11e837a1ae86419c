package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestCitizenJourney is the journey of an older citizen on a phone: log in,
// switch to 大字版 (elder mode), see it kept after a reload, log out, and be
// sure the old session is gone.
func TestCitizenJourney(t *testing.T) {
	eachDB(t, func(t *testing.T, base string) {
		b := newTab(t, base, browserOpt{width: phoneWidth, height: phoneHeight})

		b.open("/login")
		b.noHorizontalOverflow(phoneWidth, "login page")
		b.login("citizen1", demoPassword)

		// The citizen's home.
		b.do("wait for the citizen home", chromedp.WaitVisible(chromedp.ID("tile-cases")))
		if p := b.path(); p != "/" {
			t.Errorf("after login the address is %q, want /", p)
		}
		if !b.present("#tile-find") {
			t.Errorf("citizen home has no #tile-find%s", b.where())
		}
		if who := b.text("who"); !strings.Contains(who, "王秀英") {
			t.Errorf("header #who = %q, want it to name 王秀英", who)
		}
		if b.present("#login-link") {
			t.Error("#login-link shown while logged in")
		}
		if mode := eval[string](b, `document.getElementById("page").dataset.mode`); mode != "standard" {
			t.Fatalf("before the toggle #page data-mode = %q, want standard", mode)
		}
		b.noHorizontalOverflow(phoneWidth, "citizen home, standard mode")
		before := b.fontSize("#page")

		// Switch to 大字版.
		b.do("switch to elder mode",
			chromedp.Click(chromedp.ID("elder-toggle")),
			chromedp.WaitVisible(chromedp.CSS("#page.elder")),
			chromedp.WaitVisible(chromedp.ID("tile-cases")),
		)
		checkElder := func(when string) {
			t.Helper()
			if mode := eval[string](b, `document.getElementById("page").dataset.mode`); mode != "elder" {
				t.Errorf("%s: #page data-mode = %q, want elder", when, mode)
			}
			if !b.present("#page.elder") {
				t.Errorf("%s: #page lacks class elder", when)
			}
			if p := b.path(); p != "/" {
				t.Errorf("%s: address is %q, want / (back where the toggle was pressed)", when, p)
			}
		}
		checkElder("after the toggle")
		if after := b.fontSize("#page"); after <= before {
			t.Errorf("elder mode: computed font-size of #page is %gpx, standard mode %gpx; want it larger", after, before)
		}
		if s := b.fontSize("#tile-cases strong"); s <= before*1.1 {
			t.Errorf("elder mode: tile heading font-size %gpx is not larger than the standard body text %gpx", s, before)
		}
		b.noHorizontalOverflow(phoneWidth, "citizen home, elder mode")

		// The choice sticks.
		b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("tile-cases")))
		checkElder("after a reload")
		b.screenshot("citizen-home-elder-" + dbName(t))

		// Log out; the old session must not come back.
		old := b.sessionCookie()
		if old == nil || old.Value == "" {
			t.Fatal("no yiwang_session cookie while logged in")
		}
		if !old.HTTPOnly {
			t.Error("session cookie is not HttpOnly")
		}
		b.do("log out",
			chromedp.Click(chromedp.ID("logout")),
			chromedp.WaitVisible(chromedp.ID("login-link")),
		)
		if b.present("#who") || b.present("#logout") {
			t.Errorf("after logout the header still shows the user%s", b.where())
		}
		if c := b.sessionCookie(); c != nil && c.Value != "" {
			t.Errorf("session cookie still set after logout")
		}
		b.open("/me")
		if p := b.path(); p != "/login" {
			t.Errorf("after logout /me lands on %q, want /login%s", p, b.where())
		}
		// Replay the old cookie: the server must have ended the session.
		b.setCookie("yiwang_session", old.Value)
		b.open("/me")
		if p := b.path(); p != "/login" {
			t.Errorf("with the logged-out session cookie /me lands on %q, want /login%s", p, b.where())
		}
		b.do("login form shown", chromedp.WaitVisible(chromedp.ID("username")))
	})
}

// TestWrongPassword shows the Chinese error and keeps what was typed.
func TestWrongPassword(t *testing.T) {
	eachDB(t, func(t *testing.T, base string) {
		b := newTab(t, base, browserOpt{})
		b.open("/login")
		b.login("citizen1", "not-the-password")
		b.do("wait for the error", chromedp.WaitVisible(chromedp.ID("form-error")))
		if msg := b.text("form-error"); !strings.Contains(msg, "用户名或密码错误") {
			t.Errorf("#form-error = %q, want 用户名或密码错误", msg)
		}
		if u := get(b, "username value", chromedp.Value(chromedp.ID("username"))); u != "citizen1" {
			t.Errorf("#username = %q after the failed login, want the typed citizen1", u)
		}
		if pw := get(b, "password value", chromedp.Value(chromedp.ID("password"))); pw != "" {
			t.Errorf("#password kept its value after the failed login")
		}
		if b.present("#who") {
			t.Error("logged in with a wrong password")
		}
		b.noHorizontalOverflow(phoneWidth, "login page with error")
	})
}

// TestRoleHomes: every kind of account lands on its own home page.
func TestRoleHomes(t *testing.T) {
	roles := []struct {
		user     string
		tile     string // element that only this role's home has
		contains string // text the page must show
		staff    bool
	}{
		{"window1", "tile-desk", "张丽", true},
		{"scjg1", "tile-inbox", "刘伟", true},
		{"admin", "tile-admin", "赵敏", true},
		{"company1", "tile-cases", "桐庐春江餐饮管理有限公司", false},
	}
	eachDB(t, func(t *testing.T, base string) {
		for _, r := range roles {
			t.Run(r.user, func(t *testing.T) {
				b := newTab(t, base, browserOpt{})
				b.open("/login")
				b.login(r.user, demoPassword)
				b.do("wait for the home of "+r.user, chromedp.WaitVisible(chromedp.ID(r.tile)))
				if p := b.path(); p != "/" {
					t.Errorf("after login the address is %q, want /", p)
				}
				if h := b.text("main"); !strings.Contains(h, r.contains) {
					t.Errorf("home of %s does not show %q:\n%s", r.user, r.contains, h)
				}
				if r.staff && b.present("#tile-cases") {
					t.Errorf("staff account %s sees the citizen tile #tile-cases", r.user)
				}
				if !r.staff {
					if who := b.text("who"); !strings.Contains(who, r.contains) {
						t.Errorf("header #who = %q, want the company %q", who, r.contains)
					}
					for _, staffTile := range []string{"#tile-desk", "#tile-inbox", "#tile-admin"} {
						if b.present(staffTile) {
							t.Errorf("%s sees the staff tile %s", r.user, staffTile)
						}
					}
				}
				b.noHorizontalOverflow(phoneWidth, "home of "+r.user)
			})
		}
	})
}

// TestWithoutJavaScript: the pages are plain HTML forms, so logging in,
// 大字版 and logging out work with scripts disabled.
func TestWithoutJavaScript(t *testing.T) {
	eachDB(t, func(t *testing.T, base string) {
		b := newTab(t, base, browserOpt{noScript: true})
		b.open("/login")
		if typ := eval[string](b, "typeof window.htmx"); typ != "undefined" {
			t.Fatalf("scripts still run: typeof htmx = %q", typ)
		}
		b.login("citizen2", demoPassword)
		b.do("wait for the citizen home", chromedp.WaitVisible(chromedp.ID("tile-cases")))
		if who := b.text("who"); !strings.Contains(who, "李建国") {
			t.Errorf("header #who = %q, want 李建国", who)
		}
		before := b.fontSize("#page")
		b.do("switch to elder mode",
			chromedp.Click(chromedp.ID("elder-toggle")),
			chromedp.WaitVisible(chromedp.CSS("#page.elder")),
		)
		if mode := eval[string](b, `document.getElementById("page").dataset.mode`); mode != "elder" {
			t.Errorf("#page data-mode = %q, want elder", mode)
		}
		if after := b.fontSize("#page"); after <= before {
			t.Errorf("elder mode: computed font-size of #page is %gpx, standard mode %gpx; want it larger", after, before)
		}
		b.do("switch back to standard mode",
			chromedp.Click(chromedp.ID("elder-toggle")),
			chromedp.WaitVisible(chromedp.CSS(`#page[data-mode="standard"]`)),
		)
		b.do("log out",
			chromedp.Click(chromedp.ID("logout")),
			chromedp.WaitVisible(chromedp.ID("login-link")),
		)
		b.open("/me")
		if p := b.path(); p != "/login" {
			t.Errorf("after logout /me lands on %q, want /login", p)
		}
	})
}

// dbName is the database subtest ("sqlite" or "postgres") t runs under.
func dbName(t *testing.T) string {
	for _, part := range strings.Split(t.Name(), "/") {
		if part == "sqlite" || part == "postgres" {
			return part
		}
	}
	return "db"
}
