package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
)

// licenceOf finds a licence of the given type in the caller's wallet.
func (c *apiClient) licenceOf(typ string) map[string]any {
	c.t.Helper()
	r := c.call("GET", "/api/v1/licences", nil)
	if r.Status != 200 {
		c.t.Fatalf("my licences: %d %s", r.Status, r.Raw)
	}
	for _, l := range r.JSON["licences"].([]any) {
		if m := l.(map[string]any); m["typeName"] == typ {
			return m
		}
	}
	c.t.Fatalf("no %s in %s", typ, r.Raw)
	return nil
}

// verifyFile posts a file to the verification API as multipart.
func (c *apiClient) verifyFile(name string, b []byte) apiResp {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(b)
	mw.Close()
	return c.call("POST", "/api/v1/licences/verify", body.Bytes(), "Content-Type", mw.FormDataContentType())
}

func TestLicencesAPI(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		anon := a.api(t)
		company := anon.login("company1")
		food := company.licenceOf("食品经营许可证")
		id := food["id"].(string)

		if r := company.call("GET", "/api/v1/licences/"+id, nil); r.Status != 200 || r.str("number") != food["number"] || len(r.JSON["fields"].([]any)) == 0 {
			t.Fatalf("get: %d %s", r.Status, r.Raw)
		}
		file := company.raw("GET", "/api/v1/licences/"+id+"/pdf")
		if !bytes.HasPrefix(file, []byte("%PDF-")) || !strings.Contains(pdfText(t, file), "食品经营许可证") {
			t.Fatalf("pdf: %.100q", file)
		}
		if png := company.raw("GET", "/api/v1/licences/"+id+"/qr.png"); !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("qr.png: %.20q", png)
		}
		// Not the caller's: 404 for other people and other departments, 401 anonymous.
		for _, u := range []string{"citizen1", "wsjk1"} {
			for _, p := range []string{"", "/pdf", "/qr.png"} {
				if r := anon.login(u).call("GET", "/api/v1/licences/"+id+p, nil); r.Status != 404 || r.errCode(t) != "not_found" {
					t.Fatalf("%s GET %s: %d %s", u, p, r.Status, r.Raw)
				}
			}
		}
		if r := anon.call("GET", "/api/v1/licences/"+id, nil); r.Status != 401 {
			t.Fatalf("anonymous: %d", r.Status)
		}
		if r := anon.login("scjg1").call("GET", "/api/v1/licences/"+id, nil); r.Status != 200 {
			t.Fatalf("issuing department: %d %s", r.Status, r.Raw)
		}

		// Verification by anyone: QR text, and the PDF.
		if r := anon.call("POST", "/api/v1/licences/verify", map[string]string{"qr": food["verifyUrl"].(string)}); r.Status != 200 || r.JSON["valid"] != true {
			t.Fatalf("verify qr: %d %s", r.Status, r.Raw)
		}
		if r := anon.verifyFile("licence.pdf", file); r.Status != 200 || r.JSON["valid"] != true || r.JSON["checked"] != "pdf" {
			t.Fatalf("verify pdf: %d %s", r.Status, r.Raw)
		}
		bad := bytes.Clone(file)
		bad[1000] ^= 0x01 // in the document, before the signature block
		if r := anon.verifyFile("licence.pdf", bad); r.Status != 200 || r.JSON["valid"] != false || !strings.Contains(r.str("reason"), "改动") {
			t.Fatalf("tampered pdf: %d %s", r.Status, r.Raw)
		}
		// Bad input: a reason, never a 500.
		for name, body := range map[string]any{"garbage": map[string]string{"qr": "YWL1.garbage"}, "url": map[string]string{"qr": "https://example.com/?p=x"}} {
			if r := anon.call("POST", "/api/v1/licences/verify", body); r.Status != 200 || r.JSON["valid"] != false || r.str("reason") == "" {
				t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		for name, body := range map[string]any{"empty": map[string]string{"qr": ""}, "not json": "{", "wrong type": `{"qr": 5}`} {
			if r := anon.call("POST", "/api/v1/licences/verify", body); r.Status != 400 || r.errCode(t) != "invalid" {
				t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		if r := anon.verifyFile("big.pdf", bytes.Repeat([]byte("%PDF-"), 2<<20)); r.Status != 413 {
			t.Fatalf("9 MB upload: %d %s", r.Status, r.Raw)
		}
		if r := anon.verifyFile("notes.txt", []byte("just some text")); r.Status != 200 || r.JSON["valid"] != false {
			t.Fatalf("text file: %d %s", r.Status, r.Raw)
		}

		// Revoke and annotate: only the issuing department's approvers, with a reason.
		if r := company.call("POST", "/api/v1/licences/"+id+"/revoke", map[string]string{"reason": "不再经营"}); r.Status != 403 {
			t.Fatalf("holder revokes: %d %s", r.Status, r.Raw)
		}
		if r := anon.login("wsjk1").call("POST", "/api/v1/licences/"+id+"/revoke", map[string]string{"reason": "不再经营"}); r.Status != 404 {
			t.Fatalf("other department revokes: %d %s", r.Status, r.Raw)
		}
		approver := anon.login("scjg1")
		if r := approver.call("POST", "/api/v1/licences/"+id+"/annotations", map[string]string{"text": ""}); r.Status != 400 || !strings.Contains(r.Raw, `"text"`) {
			t.Fatalf("empty annotation: %d %s", r.Status, r.Raw)
		}
		if r := approver.call("POST", "/api/v1/licences/"+id+"/annotations", map[string]string{"text": "经营项目增加：网络经营"}); r.Status != 201 || len(r.JSON["annotations"].([]any)) != 1 {
			t.Fatalf("annotate: %d %s", r.Status, r.Raw)
		}
		if r := approver.call("POST", "/api/v1/licences/"+id+"/revoke", map[string]string{}); r.Status != 400 || !strings.Contains(r.Raw, `"reason"`) {
			t.Fatalf("revoke without reason: %d %s", r.Status, r.Raw)
		}
		if r := approver.call("POST", "/api/v1/licences/"+id+"/revoke", map[string]string{"reason": "经营者申请注销"}); r.Status != 200 || r.str("state") != "revoked" {
			t.Fatalf("revoke: %d %s", r.Status, r.Raw)
		}
		// The demo's held licences were issued outside a case: nobody is
		// told through a case's notices (a case-issued licence's revocation
		// is told: TestLicenceInsteadOfMaterial).
		var told int
		if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM outbox WHERE topic = 'licence.revoked'`).Scan(&told); err != nil || told != 0 {
			t.Fatalf("outbox events for a case-less licence's revocation: %d %v", told, err)
		}
		if r := anon.call("POST", "/api/v1/licences/verify", map[string]string{"qr": food["qr"].(string)}); r.JSON["valid"] != false || !strings.Contains(r.str("reason"), "注销") {
			t.Fatalf("verify after revocation: %s", r.Raw)
		}
		if r := anon.call("GET", "/api/v1/licences/trust.pem", nil); r.Status != 200 || !strings.HasPrefix(r.Raw, "-----BEGIN CERTIFICATE-----") {
			t.Fatalf("trust.pem: %d %.80s", r.Status, r.Raw)
		}
		if r := anon.call("GET", "/api/v1/licence-types", nil); r.Status != 200 || !strings.Contains(r.Raw, "食品经营许可证") {
			t.Fatalf("types: %d", r.Status)
		}
		// Licence types as data: administrators list and change them.
		admin := anon.login("admin")
		newType := []map[string]any{{"code": "11100000000013338W099", "name": "临时身份证明", "definedBy": "公安部", "holder": "person",
			"validity": map[string]int{"months": 3}, "fields": []map[string]any{{"key": "reason", "label": "事由", "from": []string{"matter"}}}}}
		if r := approver.call("PUT", "/api/v1/licence-types", newType); r.Status != 403 {
			t.Fatalf("an approver changes types: %d %s", r.Status, r.Raw)
		}
		badType := []map[string]any{{"code": "11100000000013338X099", "name": "临时身份证明", "definedBy": "公安部", "holder": "person"}}
		if r := admin.call("PUT", "/api/v1/licence-types", badType); r.Status != 400 || !strings.Contains(r.Raw, "统一社会信用代码") {
			t.Fatalf("a type with a bad code: %d %s", r.Status, r.Raw)
		}
		for name, body := range map[string]any{"empty list": "[]", "not JSON": "[{", "an object": `{"name": "x"}`} {
			if r := admin.call("PUT", "/api/v1/licence-types", body); r.Status != 400 || r.errCode(t) != "invalid" {
				t.Fatalf("types, %s: %d %s", name, r.Status, r.Raw)
			}
		}
		if r := admin.call("PUT", "/api/v1/licence-types", newType); r.Status != 200 || !strings.Contains(r.Raw, "临时身份证明") {
			t.Fatalf("save type: %d %s", r.Status, r.Raw)
		}
		// The licence page's forms, as a browser without JavaScript posts them.
		other := company.licenceOf("营业执照")["id"].(string)
		sb := a.browser(t)
		sb.login("scjg1")
		if pg := sb.get("/licences/" + other); pg.Status != 200 || !strings.Contains(pg.Body, `id="annotate-form"`) || !strings.Contains(pg.Body, `id="revoke-form"`) {
			t.Fatalf("the approver's licence page: %d %s", pg.Status, snippet(pg.Body))
		}
		if pg := sb.post("/licences/"+other+"/annotate", url.Values{"text": {"x"}}); pg.Status != 400 || !strings.Contains(pg.Body, "请写明理由") {
			t.Fatalf("annotate form with one character: %d %s", pg.Status, snippet(pg.Body))
		}
		if pg := sb.follow(sb.post("/licences/"+other+"/annotate", url.Values{"text": {"住所门牌号变更为迎春南路190号"}})); !strings.Contains(pg.Body, "住所门牌号变更为迎春南路190号") || !strings.Contains(pg.Body, "已加注") {
			t.Fatalf("after annotating: %s", snippet(pg.Body))
		}
		if pg := sb.post("/licences/"+other+"/revoke", url.Values{"reason": {"经营者申请注销"}, "csrf": {"forged"}}); pg.Status != 403 {
			t.Fatalf("revoke form with a forged CSRF token: %d", pg.Status)
		}
		cp := a.browser(t)
		cp.login("citizen1")
		if pg := cp.get("/licences/" + other); pg.Status != 404 {
			t.Fatalf("citizen1 opens company1's licence page: %d", pg.Status)
		}
		ab := a.browser(t)
		ab.login("admin")
		if pg := ab.get("/admin/licences"); pg.Status != 200 || !strings.Contains(pg.Body, "临时身份证明") || !strings.Contains(pg.Body, "桐庐县市场监督管理局电子证照专用章") {
			t.Fatalf("admin licences page: %d %s", pg.Status, snippet(pg.Body))
		}
		cb := a.browser(t)
		cb.login("citizen1")
		if pg := cb.get("/admin/licences"); pg.Status != 403 && pg.Status != 404 {
			t.Fatalf("a citizen opens the admin licences page: %d", pg.Status)
		}

		// The verification endpoint is rate-limited per address.
		limited := false
		for range 200 {
			if r := anon.call("POST", "/api/v1/licences/verify", map[string]string{"qr": "x"}); r.Status == 429 {
				limited = r.errCode(t) == "rate_limited"
				break
			}
		}
		if !limited {
			t.Fatal("200 verifications in a row were not rate-limited")
		}
	})
}

// TestLicenceInsteadOfMaterial: 免提交 — company1 applies for 食品经营许可
// giving the company's 营业执照 and the agent's own identity card from the
// wallet instead of files, with consent; the use is recorded on the
// licence; the approver sees the licence data, verified; approving issues
// a new 食品经营许可证 in the same transaction; an approval whose licence
// cannot be issued is not made.
func TestLicenceInsteadOfMaterial(t *testing.T) {
	eachDemoDB(t, func(t *testing.T, a *testApp) {
		anon := a.api(t)
		company := anon.login("company1")
		e := a.itemEntry(t, "食品经营许可")
		body := company.application(e, "company")
		biz := company.licenceOf("营业执照")["id"].(string)
		card := company.licenceOf("居民身份证")["id"].(string)
		other := anon.login("citizen2").licenceOf("居民身份证")["id"].(string)
		food := company.licenceOf("食品经营许可证")["id"].(string)
		with := func(licence, idCard string, consent bool) map[string]any {
			b := map[string]any{}
			for k, v := range body {
				b[k] = v
			}
			var mats []map[string]any
			for _, m := range body["materials"].([]map[string]string) {
				if m["material"] != "licence" && m["material"] != "id" {
					mats = append(mats, map[string]any{"material": m["material"], "file": m["file"]})
				}
			}
			mats = append(mats, map[string]any{"material": "licence", "licence": licence, "consent": consent},
				map[string]any{"material": "id", "licence": idCard, "consent": true})
			b["materials"] = mats
			return b
		}
		for name, c := range map[string]struct {
			body map[string]any
			want string
		}{
			"no consent":        {with(biz, card, false), "授权"},
			"another's licence": {with(biz, other, false), "不是申请人持有的"},
			"wrong type":        {with(food, card, true), "须为营业执照"},
			"unknown licence":   {with("01a00000-0000-7000-8000-000000000000", card, true), "不存在"},
		} {
			if r := company.call("POST", "/api/v1/cases", c.body); r.Status != 400 || !strings.Contains(r.Raw, c.want) {
				t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
			}
		}
		// 免填写: 经营场所 left empty is filled from the 营业执照.
		good := with(biz, card, true)
		form := map[string]any{}
		for k, v := range body["form"].(map[string]any) {
			if k != "businessPlace" {
				form[k] = v
			}
		}
		good["form"] = form
		r := company.call("POST", "/api/v1/cases", good)
		if r.Status != 201 {
			t.Fatalf("apply with licences: %d %s", r.Status, r.Raw)
		}
		no := r.str("caseNo")
		if place := r.JSON["form"].(map[string]any)["businessPlace"]; place == nil || place.([]any)[0] != "浙江省杭州市桐庐县桐君街道迎春南路188号" {
			t.Fatalf("经营场所 not filled from the 营业执照: %s", r.Raw)
		}
		var c struct {
			LicenceUses []struct {
				MaterialID string
				Verified   bool
				Consent    string
				Licence    struct{ ID, TypeName string }
				Fields     []struct{ Label, Value string }
			}
		}
		view := anon.login("scjg1").call("GET", "/api/v1/cases/"+no, nil)
		_ = json.Unmarshal([]byte(view.Raw), &c)
		if len(c.LicenceUses) != 2 || !c.LicenceUses[0].Verified || !c.LicenceUses[1].Verified || c.LicenceUses[0].Consent != "本人在线授权" {
			t.Fatalf("the approver's view of the licences given: %s", view.Raw)
		}
		if c.LicenceUses[0].MaterialID != "id" || c.LicenceUses[1].Licence.TypeName != "营业执照" || len(c.LicenceUses[1].Fields) == 0 {
			t.Fatalf("licence uses: %+v", c.LicenceUses)
		}
		lic := company.call("GET", "/api/v1/licences/"+biz, nil)
		if uses := lic.JSON["uses"].([]any); len(uses) != 1 || !strings.Contains(lic.Raw, "办理“食品经营许可”") || !strings.Contains(lic.Raw, no) || !strings.Contains(lic.Raw, "桐庐县市场监督管理局") {
			t.Fatalf("use record: %s", lic.Raw)
		}

		// Approving issues the licence with the decision; when it cannot be
		// issued (the department's seal was withdrawn) nothing is decided.
		clerk, approver, head := anon.login("window1"), anon.login("scjg1"), anon.login("scjgfz")
		if r := clerk.act(no, "accept", ""); r.Status != 200 {
			t.Fatalf("accept: %d %s", r.Status, r.Raw)
		}
		if r := approver.act(no, "pass", "材料齐全"); r.Status != 200 {
			t.Fatalf("pass: %d %s", r.Status, r.Raw)
		}
		ctx := context.Background()
		if _, err := a.DB.ExecContext(ctx, `UPDATE seal_keys SET active = FALSE WHERE department_id = (SELECT id FROM departments WHERE code = 'scjg')`); err != nil {
			t.Fatal(err)
		}
		a.Licences.Forget()
		if r := head.act(no, "approve", ""); r.Status != 409 || !strings.Contains(r.Raw, "电子印章") {
			t.Fatalf("approve without a seal: %d %s", r.Status, r.Raw)
		}
		if r := company.call("GET", "/api/v1/cases/"+no, nil); r.str("status") != "processing" || len(r.JSON["licences"].([]any)) != 0 {
			t.Fatalf("after the failed approval: %s", r.Raw)
		}
		if _, err := a.DB.ExecContext(ctx, `UPDATE seal_keys SET active = TRUE WHERE department_id = (SELECT id FROM departments WHERE code = 'scjg') AND algorithm = 'sm2'`); err != nil {
			t.Fatal(err)
		}
		a.Licences.Forget()
		if r := head.act(no, "approve", ""); r.Status != 200 || r.str("status") != "closed" {
			t.Fatalf("approve: %d %s", r.Status, r.Raw)
		}
		got := company.call("GET", "/api/v1/cases/"+no, nil)
		issued, _ := got.JSON["licences"].([]any)
		if len(issued) != 1 || issued[0].(map[string]any)["typeName"] != "食品经营许可证" || issued[0].(map[string]any)["caseNo"] != no {
			t.Fatalf("licences of the approved case: %s", got.Raw)
		}
		if text := pdfText(t, company.raw("GET", "/api/v1/cases/"+no+"/notices/decision")); !strings.Contains(text, "已签发") || !strings.Contains(text, issued[0].(map[string]any)["number"].(string)) {
			t.Fatalf("the decision notice does not tell of the licence: %s", text)
		}
		qr := issued[0].(map[string]any)["qr"].(string)
		if r := anon.call("POST", "/api/v1/licences/verify", map[string]string{"qr": qr}); r.JSON["valid"] != true {
			t.Fatalf("the new licence: %s", r.Raw)
		}
		// Revoking it tells the holder through the case's notices.
		newID := issued[0].(map[string]any)["id"].(string)
		if r := approver.call("POST", "/api/v1/licences/"+newID+"/revoke", map[string]string{"reason": "经营场所已拆除"}); r.Status != 200 {
			t.Fatalf("revoke the new licence: %d %s", r.Status, r.Raw)
		}
		var payload string
		if err := a.DB.QueryRowContext(ctx, `SELECT o.payload FROM outbox o JOIN cases c ON c.id = o.object_id WHERE o.topic = 'licence.revoked' AND c.case_no = ?`, no).Scan(&payload); err != nil || !strings.Contains(payload, "经营场所已拆除") {
			t.Fatalf("the revocation's outbox event: %q %v", payload, err)
		}

		// The apply page offers the wallet's licences for those materials.
		b := a.browser(t)
		b.login("company1")
		pg := b.get("/items/" + url.PathEscape(e.Item.Code) + "/apply?kind=new&subject=individual")
		if pg.Status != 200 || !strings.Contains(pg.Body, `id="use-licence-licence"`) || !strings.Contains(pg.Body, `name="consent.licence"`) || !strings.Contains(pg.Body, biz) {
			t.Fatalf("apply page without the 免提交 choice: %d %s", pg.Status, snippet(pg.Body))
		}
		if !strings.Contains(pg.Body, "已按您的电子证照填入") || !strings.Contains(pg.Body, `value="浙江省杭州市桐庐县桐君街道迎春南路188号"`) {
			t.Fatalf("apply page without 免填写 from the 营业执照: %s", snippet(pg.Body[strings.Index(pg.Body, "businessPlace"):]))
		}
	})
}
