package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The licence of the journeys: 食品经营许可 yields 食品经营许可证, issued
// by the department of the item.
const (
	foodLicenceType = "食品经营许可证"
	foodIssuer      = "桐庐县市场监督管理局"
	// citizen2 (李建国) applies and holds the licence.
	licenceHolder = "李建国"
)

// TestLicenceJourneys: electronic licences (电子证照) from issue to
// revocation, on one application per database.
//
//  1. citizen2 applies online for 食品经营许可; window1 accepts, scjg1
//     reviews, scjgfz approves (准予), which issues the 食品经营许可证 in
//     the same transaction. On a phone the citizen finds it in 我的证照
//     (number, 有效), opens it, sees the 亮证 QR code load and downloads
//     the PDF (食品经营许可证, the holder, 核验地址). An anonymous visitor
//     opens the QR code's address and sees ✔ 真实有效 by 桐庐县市场监督管理局,
//     uploads the PDF (✔ 真实有效) and the PDF with one byte changed
//     (✖ 核验未通过, because it was altered).
//  2. On a phone in 大字版, 我的证照 and the licence page do not scroll
//     sideways and their controls can be reached.
//  3. scjg1 revokes it: without a reason the page asks for one and the
//     licence stays 有效; with one it is 已注销, the holder's 我的证照 says
//     so, and the QR code's address now verifies as ✖ 真实但已失效 naming
//     the 注销. citizen1 cannot see citizen2's licence (404).
func TestLicenceJourneys(t *testing.T) {
	eachDB(t, licenceJourneys)
}

// licenceRun is what the journeys share: the people's browsers and the
// licence issued in the first one.
type licenceRun struct {
	t    *testing.T
	base string

	citizen, reviewer, anon *tab

	caseNo     string
	id, number string
	verifyPath string // the QR code's address, /verify?p=…
	pdf        []byte
}

func licenceJourneys(t *testing.T, base string) {
	start := time.Now()
	r := &licenceRun{t: t, base: base}
	r.issueWalletVerify()
	t.Logf("journey 1 (issue, 我的证照, PDF, verify) of %s took %v", r.number, time.Since(start).Round(time.Millisecond))
	mark := time.Now()
	r.phoneElder()
	t.Logf("journey 2 (phone, 大字版) took %v", time.Since(mark).Round(time.Millisecond))
	mark = time.Now()
	r.revoke()
	t.Logf("journey 3 (revoke, verify, another citizen) took %v; licence journeys %v in all", time.Since(mark).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// issueWalletVerify is journey 1.
func (r *licenceRun) issueWalletVerify() {
	t, base := r.t, r.base
	code := itemCode(t, base, foodItem)
	files := sampleFiles(t)
	r.citizen = loggedIn(t, base, "citizen2", browserOpt{})
	citizen := r.citizen
	r.caseNo = citizen.applyFood(code, files, func() { citizen.upload("rules", files["规章制度目录.pdf"]) })
	caseNo := r.caseNo

	// The others are tabs of their own browser contexts in the citizen's
	// Chromium: separate cookie jars, without starting Chromium each time.
	desktop := browserOpt{width: desktopWidth, height: desktopHeight}
	window := citizen.besideAs(t, "window1", desktop)
	window.openCase(caseNo, "act-accept")
	window.act("受理", "accept", "已受理")
	r.reviewer = citizen.besideAs(t, "scjg1", desktop)
	r.reviewer.openCase(caseNo, "act-pass")
	r.reviewer.act("审查通过", "pass", "办理中")
	head := citizen.besideAs(t, "scjgfz", desktop)
	head.openCase(caseNo, "act-approve")
	head.act("准予", "approve", "办结（准予）")

	// The case lists the licence its approval issued.
	var c struct {
		Licences []struct {
			ID, TypeName, Number, State, CaseNo string
		} `json:"licences"`
	}
	res, body := citizen.fetchAsBrowser("/api/v1/cases/" + caseNo)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/cases/%s as citizen2 after 准予: %s\n%.300s", caseNo, res.Status, body)
	}
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("GET /api/v1/cases/%s: %v\n%.300s", caseNo, err, body)
	}
	if len(c.Licences) != 1 || c.Licences[0].TypeName != foodLicenceType || c.Licences[0].ID == "" || c.Licences[0].Number == "" {
		t.Fatalf("after 准予 the case %s lists the licences %+v, want one %s (its approval issues it)", caseNo, c.Licences, foodLicenceType)
	}
	r.id, r.number = c.Licences[0].ID, c.Licences[0].Number
	if n := c.Licences[0].CaseNo; n != caseNo {
		t.Errorf("the case's new licence %s names the case %q, want %s", r.number, n, caseNo)
	}
	if s := c.Licences[0].State; s != "valid" {
		t.Errorf("the case's new licence %s has the state %q, want valid", r.number, s)
	}

	// 我的证照, from the nav.
	citizen.open("/")
	navLink := `nav.main-nav a[href="/my/licences"]`
	if !citizen.present(navLink) {
		t.Fatalf("the citizen's nav has no link to /my/licences: %q", citizen.texts("nav.main-nav a"))
	}
	if s := citizen.textOf(navLink); s != "我的证照" {
		t.Errorf("the nav link to /my/licences says %q, want 我的证照", s)
	}
	citizen.press("open 我的证照 from the nav", navLink, `document.getElementById("licences") !== null`)
	if p := citizen.path(); p != "/my/licences" {
		t.Fatalf("the nav's 我的证照 led to %s, want /my/licences", p)
	}
	card := "#licence-" + r.id
	if !citizen.present(card) {
		t.Fatalf("我的证照 has no card %s of the licence %s of case %s; it shows:\n%s", card, r.number, caseNo, citizen.text("licences"))
	}
	cardText := citizen.textOf(card)
	if !strings.Contains(cardText, foodLicenceType) || !strings.Contains(cardText, r.number) {
		t.Errorf("the card of the new licence does not show %s %s:\n%s", foodLicenceType, r.number, cardText)
	}
	if s := citizen.textOf(card + " .tag"); s != "有效" {
		t.Errorf("the card of the new licence %s is tagged %q, want 有效", r.number, s)
	}
	// citizen2's demo licences are there too.
	for _, want := range []string{"居民身份证", "机动车驾驶证", "结婚证"} {
		if !anyContains(citizen.texts("#licences li.licence-card h2"), want) {
			t.Errorf("我的证照 lacks the demo licence %s: %q", want, citizen.texts("#licences li.licence-card h2"))
		}
	}
	citizen.noHorizontalOverflow(phoneWidth, "我的证照 on a phone")

	// The licence page.
	citizen.press("open the licence from its card", card+` h2 a[href="/licences/`+r.id+`"]`, `document.getElementById("licence-data") !== null`)
	if p := citizen.path(); p != "/licences/"+r.id {
		t.Errorf("the card's link led to %s, want /licences/%s", p, r.id)
	}
	if s := citizen.text("licence-number"); s != r.number {
		t.Errorf("#licence-number = %q, want %s", s, r.number)
	}
	if s := citizen.text("licence-state"); s != "有效" {
		t.Errorf("#licence-state = %q, want 有效", s)
	}
	facts := citizen.facts("#licence-data")
	for label, want := range map[string]string{"持证主体": licenceHolder, "发证机关": foodIssuer, "办件编号": caseNo} {
		if facts[label] != want {
			t.Errorf("the licence page's %s = %q, want %s; it shows %q", label, facts[label], want, facts)
		}
	}
	if facts["经营者名称"] != foodCompanyName {
		t.Errorf("the licence page's 经营者名称 = %q, want %s of the application form; it shows %q", facts["经营者名称"], foodCompanyName, facts)
	}
	if citizen.text("uses") == "" {
		t.Errorf("the licence page has an empty 用证记录 (#uses)")
	}
	// 亮证: the QR code loads.
	if !citizen.present("#show img.qr") {
		t.Fatalf("the holder's licence page has no 亮证 QR code (#show img.qr)%s", citizen.where())
	}
	citizen.waitUntil("the 亮证 QR code to load", `document.querySelector("#show img.qr").complete`)
	if w := eval[int](citizen, `document.querySelector("#show img.qr").naturalWidth`); w <= 0 {
		t.Errorf("the 亮证 QR code %s did not load (naturalWidth %d)", eval[string](citizen, `document.querySelector("#show img.qr").src`), w)
	}
	citizen.noHorizontalOverflow(phoneWidth, "licence page on a phone")
	citizen.screenshot("licence-" + dbName(t))

	// 下载 PDF.
	href := get(citizen, "href of #licence-pdf", chromedp.AttributeValue(chromedp.ID("licence-pdf"), "href"))
	if !href.Exists || href.Value != "/licences/"+r.id+"/pdf" {
		t.Fatalf("#licence-pdf (下载 PDF) points at %q, want /licences/%s/pdf", href.Value, r.id)
	}
	res, r.pdf = citizen.fetchAsBrowser(href.Value)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("下载 PDF: GET %s: %s\n%.300s", href.Value, res.Status, r.pdf)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("下载 PDF: Content-Type %q, want application/pdf", ct)
	}
	if !strings.HasPrefix(string(r.pdf), "%PDF-") {
		t.Fatalf("下载 PDF: the body starts %q, want %%PDF-", r.pdf[:min(len(r.pdf), 16)])
	}
	text := pdfText(t, r.pdf)
	for _, want := range []string{foodLicenceType, licenceHolder, "核验地址", r.number} {
		if !strings.Contains(text, want) {
			t.Errorf("the licence PDF does not contain %s:\n%s", want, text)
		}
	}

	// The QR code's address, opened by someone not logged in.
	v := get(citizen, "href of #licence-verify", chromedp.AttributeValue(chromedp.ID("licence-verify"), "href"))
	u, err := url.Parse(v.Value)
	if !v.Exists || err != nil || u.Path != "/verify" || u.Query().Get("p") == "" {
		t.Fatalf("#licence-verify (在线核验) points at %q, want the verification address /verify?p=…", v.Value)
	}
	r.verifyPath = u.RequestURI()
	r.anon = citizen.beside(t, browserOpt{})
	anon := r.anon
	anon.open(r.verifyPath)
	anon.checkVerdict("the QR code's address", "✔ 真实有效")
	vf := anon.facts("#verify-result")
	for label, want := range map[string]string{"发证机关": foodIssuer, "证照名称": foodLicenceType, "证照编号": r.number} {
		if vf[label] != want {
			t.Errorf("verifying the QR code's address: %s = %q, want %s; the result shows %q", label, vf[label], want, vf)
		}
	}
	if s := anon.text("verify-state"); s != "有效" {
		t.Errorf("verifying the QR code's address: #verify-state = %q, want 有效", s)
	}
	if id := idNumber("33012219880715301"); strings.Contains(anon.text("verify-result"), id) {
		t.Errorf("the public verification shows the holder's full ID number %s:\n%s", id, anon.text("verify-result"))
	}
	anon.noHorizontalOverflow(phoneWidth, "verification result on a phone")

	// The PDF, uploaded as downloaded, with one byte of the document
	// changed, and with one byte of the signature block after the
	// document's %%EOF changed.
	end := bytes.Index(r.pdf, []byte("%%EOF"))
	if end < 0 || len(r.pdf)-end < 64 {
		t.Fatalf("the licence PDF (%d bytes) has no signature block after its %%%%EOF (at %d)", len(r.pdf), end)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, foodLicenceType+".pdf")
	altered := filepath.Join(dir, foodLicenceType+"（改）.pdf")
	badSeal := filepath.Join(dir, foodLicenceType+"（改签章）.pdf")
	for file, at := range map[string]int{good: -1, altered: end / 2, badSeal: end + (len(r.pdf)-end)/2} {
		b := append([]byte(nil), r.pdf...)
		if at >= 0 {
			b[at] ^= 0x01
		}
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	anon.uploadForVerification(good)
	anon.checkVerdict("the downloaded PDF", "✔ 真实有效")
	if s := anon.text("verify-state"); s != "有效" {
		t.Errorf("verifying the downloaded PDF: #verify-state = %q, want 有效", s)
	}
	anon.uploadForVerification(altered)
	anon.checkVerdict("the PDF with byte "+strconv.Itoa(end/2)+" of the document changed", "✖ 核验未通过")
	if s := anon.text("verify-reason"); !strings.Contains(s, "改动") && !strings.Contains(s, "签章") {
		t.Errorf("verifying the altered PDF: #verify-reason = %q, want it to say the file was altered (改动) or does not match its 签章", s)
	}
	if anon.present("#verify-state") {
		t.Errorf("verifying the altered PDF shows a licence state %q", anon.text("verify-state"))
	}
	anon.uploadForVerification(badSeal)
	anon.checkVerdict("the PDF with a byte of its signature block changed", "✖ 核验未通过")
	if anon.present("#verify-state") {
		t.Errorf("verifying the PDF with an altered signature block shows a licence state %q", anon.text("verify-state"))
	}
	t.Logf("the PDF with a byte of its signature block changed: %s", anon.text("verify-reason"))
}

// phoneElder is journey 2: the holder on a phone in 大字版.
func (r *licenceRun) phoneElder() {
	citizen := r.citizen
	citizen.open("/my/licences")
	if !citizen.present("#page.elder") {
		citizen.press("switch to 大字版", "#elder-toggle", `document.querySelector("#page.elder") !== null`)
	}
	if p := citizen.path(); p != "/my/licences" {
		r.t.Errorf("大字版 on 我的证照 leads to %s, want to stay on /my/licences", p)
		citizen.open("/my/licences")
	}
	citizen.checkElderPage("我的证照")
	card := "#licence-" + r.id
	for _, sel := range []string{card + " h2 a", card + ` a[href="/licences/` + r.id + `#show"]`, card + ` a[href="/licences/` + r.id + `/pdf"]`} {
		citizen.reachable("我的证照 in 大字版", sel)
	}
	citizen.screenshot("my-licences-elder-" + dbName(r.t))
	citizen.press("亮证 from the card", card+` a[href="/licences/`+r.id+`#show"]`, `document.getElementById("licence-data") !== null`)
	citizen.checkElderPage("licence page")
	citizen.waitUntil("the 亮证 QR code to load", `document.querySelector("#show img.qr").complete`)
	if m := eval[[]float64](citizen, `(i => [i.naturalWidth, i.getBoundingClientRect().right, window.innerWidth])(document.querySelector("#show img.qr"))`); m[0] <= 0 || m[1] > m[2]+1 {
		r.t.Errorf("licence page in 大字版: the 亮证 QR code has naturalWidth %.0f and its right edge at %.0f in a %.0f px window, want it loaded and whole", m[0], m[1], m[2])
	}
	for _, sel := range []string{"#licence-pdf", "#licence-verify"} {
		citizen.reachable("licence page in 大字版", sel)
	}
	citizen.screenshot("licence-elder-" + dbName(r.t))
}

// revoke is journey 3: the issuing department revokes the licence.
func (r *licenceRun) revoke() {
	t, reviewer := r.t, r.reviewer
	page := "/licences/" + r.id
	reviewer.open(page)
	reviewer.do("wait for the licence", chromedp.WaitVisible(chromedp.ID("licence-data")))
	if !reviewer.present("#revoke-form") || !reviewer.present("#annotate-form") {
		t.Fatalf("scjg1 of the issuing department is offered no #revoke-form or #annotate-form%s", reviewer.where())
	}
	if reviewer.present("#show") {
		t.Errorf("the issuing department's staff are offered 亮证 (#show) of someone else's licence")
	}

	// No reason: refused, still valid.
	reviewer.press("注销证照 without a reason", "#revoke-form button[type=submit]", `document.getElementById("licence-data") !== null`)
	if e := reviewer.texts("#revoke-form .field-error"); len(e) != 1 || !strings.Contains(e[0], "理由") {
		t.Errorf("注销证照 without a reason shows the field errors %q, want one asking for the 理由%s", e, reviewer.where())
	}
	if inv := eval[string](reviewer, `document.getElementById("reason").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("#reason is not marked aria-invalid after 注销证照 without a reason")
	}
	if s := reviewer.text("licence-state"); s != "有效" {
		t.Errorf("after 注销证照 without a reason #licence-state = %q, want it still 有效", s)
	}
	if reviewer.present("#revoked-note") {
		t.Errorf("after 注销证照 without a reason the page says it is revoked: %s", reviewer.text("revoked-note"))
	}

	const reason = "经营场所已迁出桐庐县，依申请注销"
	reviewer.setField("#reason", reason)
	reviewer.press("注销证照", "#revoke-form button[type=submit]", `document.getElementById("licence-data") !== null`)
	if p := reviewer.path(); p != page {
		t.Errorf("after 注销证照 the address is %s, want %s", p, page)
	}
	if s := reviewer.text("licence-state"); s != "已注销" {
		t.Fatalf("after 注销证照 #licence-state = %q, want 已注销%s", s, reviewer.where())
	}
	if n := reviewer.text("revoked-note"); !strings.Contains(n, reason) {
		t.Errorf("#revoked-note = %q, want the reason %s", n, reason)
	}
	if reviewer.present("#revoke-form") || reviewer.present("#annotate-form") {
		t.Errorf("a revoked licence still offers #revoke-form or #annotate-form")
	}

	// The holder's wallet says so.
	r.citizen.open("/my/licences")
	if s := r.citizen.textOf("#licence-" + r.id + " .tag"); s != "已注销" {
		t.Errorf("after the 注销 the holder's card of %s is tagged %q, want 已注销", r.number, s)
	}

	// The QR code's address now verifies as genuine but no longer valid.
	anon := r.anon
	anon.open(r.verifyPath)
	anon.checkVerdict("the QR code's address after the 注销", "✖ 真实但已失效")
	if s := anon.text("verify-reason"); !strings.Contains(s, "注销") || !strings.Contains(s, reason) {
		t.Errorf("verifying the revoked licence: #verify-reason = %q, want it to say 注销 and why (%s)", s, reason)
	}
	if s := anon.text("verify-state"); s != "已注销" {
		t.Errorf("verifying the revoked licence: #verify-state = %q, want 已注销", s)
	}

	// Another citizen cannot see it.
	other := r.citizen.besideAs(t, "citizen1", browserOpt{})
	other.open(page)
	if other.present("#licence-data") || strings.Contains(other.text("main"), r.number) {
		t.Fatalf("citizen1 opening citizen2's licence %s sees it:%s", page, other.where())
	}
	if h := other.textOf("#main h1"); !strings.Contains(h, "页面不存在") {
		t.Errorf("citizen1 opening citizen2's licence is shown %q, want the 404 page (页面不存在)", h)
	}
	for _, p := range []string{page, page + "/pdf", page + "/qr.png", "/api/v1/licences/" + r.id} {
		if res, body := other.fetchAsBrowser(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("citizen1: GET %s of citizen2's licence: %s, want 404 Not Found\n%.200s", p, res.Status, body)
		}
	}
	other.open("/my/licences")
	if other.present("#licence-" + r.id) {
		t.Errorf("citizen1's 我的证照 lists citizen2's licence %s", r.number)
	}
}

// besideAs logs the user in, in a tab of a browser context of its own
// beside b (see beside).
func (b *tab) besideAs(t *testing.T, user string, o browserOpt) *tab {
	t.Helper()
	nb := b.beside(t, o)
	nb.open("/login")
	nb.login(user, demoPassword)
	nb.waitUntil("the home of "+user, `location.pathname === "/" && document.getElementById("who") !== null`)
	return nb
}

// facts is the label → value of the dl.facts in the container.
func (b *tab) facts(container string) map[string]string {
	b.t.Helper()
	return eval[map[string]string](b, `Object.fromEntries(Array.from(document.querySelectorAll(`+jsString(container+" dl.facts dt")+`)).map(dt => [dt.innerText.trim(), dt.nextElementSibling ? dt.nextElementSibling.innerText.trim() : ""]))`)
}

// checkVerdict fails unless the verification page shows a result with
// this verdict.
func (b *tab) checkVerdict(what, want string) {
	b.t.Helper()
	if !b.present("#verify-result") {
		b.t.Fatalf("verifying %s shows no #verify-result%s", what, b.where())
	}
	if s := b.text("verify-verdict"); s != want {
		b.t.Errorf("verifying %s: #verify-verdict = %q, want %s; #verify-reason = %q", what, s, want, b.text("verify-reason"))
	}
}

// uploadForVerification uploads the file through /verify's #verify-pdf.
func (b *tab) uploadForVerification(file string) {
	b.t.Helper()
	b.open("/verify")
	b.do("choose "+filepath.Base(file)+" in #verify-pdf", chromedp.SetUploadFiles(chromedp.CSS("#verify-pdf #file"), []string{file}))
	b.press("上传并核验 "+filepath.Base(file), "#verify-pdf button[type=submit]", `document.getElementById("verify-result") !== null || document.querySelector("#verify-forms .field-error, .flash, .alert") !== null`)
}

// reachable fails unless the element, scrolled to the middle of the
// window, is visible there and not covered by another element.
func (b *tab) reachable(what, sel string) {
	b.t.Helper()
	if !b.present(sel) {
		b.t.Errorf("%s: no %s", what, sel)
		return
	}
	if s := eval[string](b, `(e => { e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect(); if (r.width === 0 || r.height === 0) return "not shown"; if (r.left < 0 || r.right > window.innerWidth + 1) return "past the edge of the window (" + Math.round(r.left) + "–" + Math.round(r.right) + " of " + window.innerWidth + " px)"; const h = document.elementFromPoint(r.left + r.width/2, r.top + r.height/2); return h !== null && (h === e || e.contains(h) || h.contains(e)) ? "" : "covered by " + (h ? h.tagName.toLowerCase() + (h.id ? "#" + h.id : "") : "nothing") })(document.querySelector(`+jsString(sel)+`))`); s != "" {
		b.t.Errorf("%s: %s is %s", what, sel, s)
	}
}
