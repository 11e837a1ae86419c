package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestCalendarAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		// Deadlines are public; the shipped 2026 arrangement is in place.
		deadline := func(from, days string) apiResp {
			t.Helper()
			return c.call("GET", "/api/v1/calendar/add-working-days?from="+url.QueryEscape(from)+"&days="+url.QueryEscape(days), nil)
		}
		for _, tc := range []struct {
			from, days, want string
			provisional      bool
		}{
			{"2026-09-30", "3", "2026-10-10", false},
			{"2026-01-01", "1", "2026-01-04", false},
			{"2026-10-03", "0", "2026-10-08", false},
			{"2026-12-30", "5", "2027-01-06", true},
		} {
			r := deadline(tc.from, tc.days)
			if r.Status != 200 || r.str("date") != tc.want || r.JSON["provisional"] != tc.provisional {
				t.Fatalf("%s + %s: %d %s", tc.from, tc.days, r.Status, r.Raw)
			}
		}
		// Bad input: 400 in the error shape, naming the field.
		for _, tc := range []struct {
			query, field, msg string
		}{
			{"from=2026-02-30&days=3", "from", "日期 2026-02-30 无效"},
			{"from=2026-9-30&days=3", "from", "YYYY-MM-DD"},
			{"from=1900-01-01&days=3", "from", "1949年至2200年"},
			{"from=2026-09-30&days=-1", "days", "0到3650"},
			{"from=2026-09-30&days=3651", "days", "0到3650"},
			{"from=2026-09-30&days=abc", "days", "整数"},
			{"from=2026-09-30", "days", "请提供工作日天数"},
			{"days=3", "from", "请提供起算日期"},
		} {
			r := c.call("GET", "/api/v1/calendar/add-working-days?"+tc.query, nil)
			if r.Status != 400 || r.errCode(t) != "invalid" || !strings.Contains(r.Raw, tc.msg) {
				t.Fatalf("%s: %d %s", tc.query, r.Status, r.Raw)
			}
			if f, _ := r.JSON["error"].(map[string]any)["fields"].(map[string]any); f[tc.field] == nil {
				t.Fatalf("%s: no field %s: %s", tc.query, tc.field, r.Raw)
			}
		}
		if r := c.call("GET", "/api/v1/calendar/add-working-days", nil); r.Status != 400 || !strings.Contains(r.Raw, `"from"`) || !strings.Contains(r.Raw, `"days"`) {
			t.Fatalf("no parameters: %d %s", r.Status, r.Raw)
		}

		// A year: only the exceptions, official or not.
		r := c.call("GET", "/api/v1/calendar/2026", nil)
		days, _ := r.JSON["days"].([]any)
		if r.Status != 200 || r.JSON["official"] != true || !strings.Contains(r.str("source"), "国务院办公厅") || len(days) != 39 {
			t.Fatalf("2026: %d %s", r.Status, snippet(r.Raw))
		}
		if first := days[0].(map[string]any); first["date"] != "2026-01-01" || first["workday"] != false || first["name"] != "元旦" {
			t.Fatalf("first day: %v", first)
		}
		if r := c.call("GET", "/api/v1/calendar/2027", nil); r.Status != 200 || r.JSON["official"] != false || r.Raw == "" || !strings.Contains(r.Raw, `"days":[]`) {
			t.Fatalf("2027: %d %s", r.Status, r.Raw)
		}
		for _, y := range []string{"abc", "1800", "2201", "20x6"} {
			if r := c.call("GET", "/api/v1/calendar/"+y, nil); r.Status != 400 || r.errCode(t) != "invalid" || !strings.Contains(r.Raw, `"year"`) {
				t.Fatalf("year %s: %d %s", y, r.Status, r.Raw)
			}
		}

		// Saving a year: administrators only.
		body := map[string]any{"source": "国务院办公厅关于2027年部分节假日安排的通知", "days": []map[string]any{
			{"date": "2027-01-01", "workday": false, "name": "元旦"},
			{"date": "2027-01-02", "workday": false, "name": "元旦"},
			{"date": "2027-01-03", "workday": false, "name": "元旦"},
		}}
		if r := c.call("PUT", "/api/v1/calendar/2027", body); r.Status != 401 {
			t.Fatalf("anonymous save: %d", r.Status)
		}
		if r := c.login("citizen1").call("PUT", "/api/v1/calendar/2027", body); r.Status != 403 || r.errCode(t) != "forbidden" {
			t.Fatalf("citizen save: %d %s", r.Status, r.Raw)
		}
		admin := c.login("admin")
		bad := map[string]any{"source": "x", "days": []map[string]any{
			{"date": "2027-01-01", "workday": false, "name": "元旦"},
			{"date": "2027-02-30", "workday": false, "name": "春节"},
			{"date": "2027-01-01", "workday": false, "name": "元旦"},
			{"date": "2027-05-01", "name": "劳动节"},
		}}
		r = admin.call("PUT", "/api/v1/calendar/2027", bad)
		if r.Status != 400 || r.errCode(t) != "invalid" {
			t.Fatalf("bad year: %d %s", r.Status, r.Raw)
		}
		f := r.JSON["error"].(map[string]any)["fields"].(map[string]any)
		if !strings.Contains(f["days[1].date"].(string), "无效") || !strings.Contains(f["days[2].date"].(string), "重复") || f["days[3].workday"] == nil {
			t.Fatalf("fields: %v", f)
		}
		if r := admin.call("PUT", "/api/v1/calendar/2027", `{"source":"x","days":[{"date":"2027-01-01","workday":"no","name":"元旦"}]}`); r.Status != 400 || !strings.Contains(r.Raw, "workday") {
			t.Fatalf("wrong type: %d %s", r.Status, r.Raw)
		}
		if r := admin.call("PUT", "/api/v1/calendar/abc", body); r.Status != 400 || !strings.Contains(r.Raw, `"year"`) {
			t.Fatalf("bad year path: %d %s", r.Status, r.Raw)
		}
		if r := admin.call("PUT", "/api/v1/calendar/2026", map[string]any{"source": "x", "days": []map[string]any{{"date": "2027-01-01", "workday": false, "name": "元旦"}}}); r.Status != 400 || !strings.Contains(r.Raw, "不在2026年内") {
			t.Fatalf("date of another year: %d %s", r.Status, r.Raw)
		}
		if r := c.call("GET", "/api/v1/calendar/2027", nil); r.JSON["official"] != false {
			t.Fatal("a rejected save changed 2027")
		}
		r = admin.call("PUT", "/api/v1/calendar/2027", body)
		if r.Status != 200 || r.JSON["official"] != true || len(r.JSON["days"].([]any)) != 3 || r.str("updatedAt") == "" {
			t.Fatalf("save 2027: %d %s", r.Status, r.Raw)
		}
		// Deadlines into 2027 now follow its arrangement and are official.
		if r := deadline("2026-12-30", "5"); r.str("date") != "2027-01-07" || r.JSON["provisional"] != false {
			t.Fatalf("into 2027 after saving: %s", r.Raw)
		}
		// The change is in the audit trail.
		r = admin.call("GET", "/api/v1/audit?objectType=calendar_year&objectId=2027", nil)
		if entries, _ := r.JSON["entries"].([]any); len(entries) != 1 || entries[0].(map[string]any)["action"] != "calendar.year.save" {
			t.Fatalf("audit: %s", r.Raw)
		}
		if strings.Contains(a.Log.String(), "internal error") || strings.Contains(a.Log.String(), "panic") {
			t.Fatalf("internal error:\n%s", a.Log.String())
		}
	})
}

func TestCalendarPage(t *testing.T) {
	eachDB(t, func(t *testing.T, a *testApp) {
		b := a.browser(t)
		// Anonymous visitors are sent to log in.
		if p := b.get("/admin/calendar"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login") {
			t.Fatalf("anonymous: %d", p.Status)
		}
		b.login("admin")
		if p := b.get("/admin"); !strings.Contains(p.Body, `id="tile-calendar"`) {
			t.Fatal("no calendar tile on the admin page")
		}
		p := b.get("/admin/calendar?year=2026")
		if p.Status != 200 {
			t.Fatalf("2026 page: %d %s", p.Status, snippet(p.Body))
		}
		for _, want := range []string{
			"2026年工作日安排", "已录入官方安排", "国务院办公厅",
			`<td class="swap" id="d-2026-10-10"`, "国庆节调休上班",
			`<td class="holiday" id="d-2026-10-01"`, `<td class="rest" id="d-2026-03-14"`, `<td class="work" id="d-2026-03-13"`,
			"<caption>12月</caption>", "2026-10-01 休 国庆节\n", "2026-01-04 班 元旦调休上班\n",
		} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("2026 page lacks %q", want)
			}
		}
		// The deadline calculator works without JavaScript.
		if p := b.get("/admin/calendar?year=2026&from=2026-09-30&days=3"); p.Status != 200 || !strings.Contains(p.Body, "<strong>2026-10-10</strong>（星期六）") {
			t.Fatalf("calculator: %d %s", p.Status, snippet(p.Body))
		}
		if p := b.get("/admin/calendar?year=2026&from=2026-02-30&days=3"); p.Status != 400 || !strings.Contains(p.Body, "日期 2026-02-30 无效") || !strings.Contains(p.Body, `value="2026-02-30"`) {
			t.Fatalf("calculator bad date: %d", p.Status)
		}
		if p := b.get("/admin/calendar?year=abc"); p.Status != 400 || !strings.Contains(p.Body, "年份须为1949至2200之间的整数") {
			t.Fatalf("year=abc: %d", p.Status)
		}
		// A year without an arrangement says so.
		p = b.get("/admin/calendar?year=2027")
		if !strings.Contains(p.Body, "尚未录入2027年的官方节假日安排") || !strings.Contains(p.Body, `<td class="work" id="d-2027-01-01"`) {
			t.Fatalf("2027 page: %s", snippet(p.Body))
		}

		// Bad lines: every bad line named, what was typed kept, nothing saved.
		typed := "2027-01-01 休 元旦\n\n2027-02-30 休 春节\n2027-01-01 休 元旦\n2027-02-06 放 春节\n2027-02-07 班"
		p = b.post("/admin/calendar", url.Values{"year": {"2027"}, "source": {"国办发明电〔2026〕1号"}, "lines": {typed}})
		if p.Status != 400 {
			t.Fatalf("bad lines: %d %s", p.Status, snippet(p.Body))
		}
		for _, want := range []string{
			"第3行：日期 2027-02-30 无效", "第4行：日期 2027-01-01 重复（第1行已填写）", "第5行：类型“放”应为“休”或“班”", "第6行：请填写名称",
			`id="form-error"`, "2027-02-30 休 春节\n2027-01-01 休 元旦", `value="国办发明电〔2026〕1号"`,
			// A newline after <textarea> keeps a typed leading blank line, so line numbers stay right.
			"aria-describedby=\"line-errors\">\n" + typed + "</textarea>",
		} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("bad-lines page lacks %q", want)
			}
		}
		if p := b.post("/admin/calendar", url.Values{"year": {"2027"}, "source": {""}, "lines": {"2027-01-01 休 元旦"}}); p.Status != 400 || !strings.Contains(p.Body, "请填写依据") || !strings.Contains(p.Body, "2027-01-01 休 元旦") {
			t.Fatalf("no source: %d", p.Status)
		}
		if p := b.post("/admin/calendar", url.Values{"year": {"abc"}, "source": {"x"}, "lines": {"2027-01-01 休 元旦"}}); p.Status != 400 {
			t.Fatalf("post year=abc: %d", p.Status)
		}
		if r := a.api(t).call("GET", "/api/v1/calendar/2027", nil); r.JSON["official"] != false {
			t.Fatal("a rejected form saved 2027")
		}

		// A good save replaces the year and says so.
		p = b.post("/admin/calendar", url.Values{"year": {"2027"}, "source": {"国办发明电〔2026〕1号"},
			"lines": {"2027-01-01 休 元旦\r\n2027-01-02 休 元旦\r\n2027-01-03 休 元旦\r\n2027-02-06 班 春节调休上班\r\n"}})
		if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/calendar?year=2027" {
			t.Fatalf("save: %d %s", p.Status, snippet(p.Body))
		}
		p = b.follow(p)
		for _, want := range []string{"已保存2027年工作日安排：休息日3天，调休上班1天", "已录入官方安排：国办发明电〔2026〕1号", "赵敏",
			`<td class="holiday" id="d-2027-01-01"`, `<td class="swap" id="d-2027-02-06"`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("after save lacks %q", want)
			}
		}
		var n int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'calendar.year.save' AND object_id = '2027'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audit entries: %d %v", n, err)
		}

		// Everyone else: 403.
		for _, user := range []string{"window1", "citizen1", "scjgwh"} {
			o := a.browser(t)
			o.login(user)
			if p := o.get("/admin/calendar?year=2026"); p.Status != 403 {
				t.Errorf("%s GET: %d", user, p.Status)
			}
			if p := o.post("/admin/calendar", url.Values{"year": {"2026"}, "source": {"x"}, "lines": {"2026-01-05 休 假"}}); p.Status != 403 {
				t.Errorf("%s POST: %d", user, p.Status)
			}
		}
		if r := a.api(t).call("GET", "/api/v1/calendar/2026", nil); len(r.JSON["days"].([]any)) != 39 {
			t.Fatal("a refused save changed 2026")
		}
	})
}
