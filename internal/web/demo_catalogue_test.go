package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestDemoCatalogue runs the demo catalogue through search, every guide
// page and an Excel round trip, on both databases.
func TestDemoCatalogue(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		c := a.api(t)
		// Everyday words find the right items among the first three.
		for q, want := range map[string]string{
			"开饭店": "食品经营许可", "我想开饭店": "食品经营许可", "营业执照": "个体工商户设立登记", "生孩子": "出生",
			"退休": "退休", "食品经营": "食品经营许可", "社保卡": "社会保障卡申领", "低保": "最低生活保障",
			"驾照": "驾驶证", "房产证": "不动产", "结婚": "结婚登记",
		} {
			r := c.call("GET", "/api/v1/items?pageSize=3&q="+url.QueryEscape(q), nil)
			items, _ := r.JSON["items"].([]any)
			found := false
			for _, it := range items {
				if strings.Contains(it.(map[string]any)["name"].(string), want) {
					found = true
				}
			}
			if !found {
				t.Errorf("%q: no %q in the top three: %v", q, want, items)
			}
		}
		// 开饭店 also finds the 开办餐饮店 bundle.
		if r := c.call("GET", "/api/v1/items?q="+url.QueryEscape("开饭店"), nil); !strings.Contains(r.Raw, "开办餐饮店") {
			t.Errorf("开饭店 misses the 开办餐饮店 bundle: %s", snippet(r.Raw))
		}
		// Every list of the seeds is non-empty.
		r := c.call("GET", "/api/v1/lists", nil)
		for _, l := range r.JSON["lists"].([]any) {
			m := l.(map[string]any)
			if m["count"].(float64) == 0 {
				t.Errorf("list %s is empty", m["name"])
			}
		}
		// Every item's guide page renders, with a situation answered too.
		all := c.call("GET", "/api/v1/items?pageSize=100", nil)
		items := all.JSON["items"].([]any)
		if all.JSON["total"].(float64) < 90 || len(items) < 90 {
			t.Fatalf("demo catalogue has %v items", all.JSON["total"])
		}
		depts := map[string]bool{}
		b := a.browser(t)
		for _, it := range items {
			m := it.(map[string]any)
			depts[m["department"].(string)] = true
			code := m["code"].(string)
			if p := b.get("/items/" + code); p.Status != 200 || !strings.Contains(p.Body, "申请材料") {
				t.Errorf("guide %s (%s): %d", code, m["name"], p.Status)
			}
		}
		if len(depts) < 12 {
			t.Errorf("only %d departments have items", len(depts))
		}
		if p := b.get("/items/" + items[0].(map[string]any)["code"].(string) + "/guide.pdf"); p.Status != 200 || !strings.HasPrefix(p.Body, "%PDF") {
			t.Errorf("guide PDF: %d", p.Status)
		}
		// The whole catalogue survives an Excel round trip unchanged.
		admin := c.login("admin")
		before := admin.call("GET", "/api/v1/catalogue/export", nil).Raw
		x := admin.call("GET", "/api/v1/catalogue/export?format=xlsx", nil)
		r = admin.call("POST", "/api/v1/catalogue/import", []byte(x.Raw))
		if r.Status != 200 || r.JSON["unchanged"].(float64) != all.JSON["total"].(float64) {
			t.Fatalf("xlsx round trip: %d %s", r.Status, snippet(r.Raw))
		}
		if after := admin.call("GET", "/api/v1/catalogue/export", nil).Raw; after != before {
			t.Fatal("the catalogue changed in an Excel round trip")
		}
	})
}
