package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"yiwang/internal/files/filestest"
	"yiwang/internal/pdf/pdftext"
	"yiwang/internal/stdcode"
)

// The items of the case journeys (internal/demo/catalogue.json).
const (
	marriageItem  = "结婚登记"  // 民政, 即办件, online depth 2: window only, workflow instant
	residenceItem = "居住证申领" // 公安, online depth 4, one situation question, the person's form
)

// foodForm is what an individual opening a restaurant types into the
// application form of 食品经营许可 (form-food-business). 联系电话 is left
// to the account (免填写); 单位名称 is typed only on the second attempt.
var foodForm = map[string][]string{
	"f.creditCode":     {creditCode("MA2KLJG8")},
	"f.legalRep":       {"李建国"},
	"f.companyAddress": {"桐庐县桐君街道春江路88号"},
	"f.businessPlace":  {"桐庐县桐君街道春江路88号"},
	"f.mainBusiness":   {"catering"},
	"f.businessItems":  {"hot", "drink"},
	"f.area":           {"86"},
	"f.safetyManager":  {"李建国"},
	"f.pledge":         {"1"},
}

const foodCompanyName = "桐庐县建国小吃店"

// foodCollectorID is the 公民身份号码 of 李建国, who collects the licence.
const foodCollectorID = "330122198807154518"

// TestApplyOnlineToClosed: a citizen applies online for 食品经营许可 on a
// phone: the form comes back with its problems and everything typed and
// uploaded kept; then the case goes through the whole standard workflow —
// accepted at the comprehensive window, reviewed and approved by 市场监管,
// handed over at the window — while the citizen follows it on the case
// page, downloads the acceptance notice and looks it up on /progress.
func TestApplyOnlineToClosed(t *testing.T) {
	eachDB(t, applyOnlineToClosed)
}

func applyOnlineToClosed(t *testing.T, base string) {
	start := time.Now()
	code := itemCode(t, base, foodItem)
	files := sampleFiles(t)
	citizen := loggedIn(t, base, "citizen2", browserOpt{})

	// The guide's 在线申请 leads to the situation questions first.
	citizen.open("/items/" + code)
	citizen.do("wait for the guide", chromedp.WaitVisible(chromedp.ID("guide")))
	if s := citizen.text("apply-link"); !strings.Contains(s, "在线申请") {
		t.Errorf("#apply-link says %q, want 在线申请", s)
	}
	citizen.press("click 在线申请", "#apply-link", `location.pathname === "/items/`+code+`/apply" && document.getElementById("situations") !== null`)
	if h := citizen.textOf("#main h1"); !strings.Contains(h, "在线申请") || !strings.Contains(h, foodItem) {
		t.Errorf("application page heading %q, want 在线申请：%s", h, foodItem)
	}
	if citizen.present("#application") {
		t.Errorf("the application form is shown before the situation questions are answered")
	}
	if !citizen.present("#answer-first") {
		t.Errorf("no #answer-first asking to answer the questions first%s", citizen.where())
	}
	for _, q := range sortedKeys(foodAnswers) {
		citizen.click("answer "+q+"="+foodAnswers[q], fmt.Sprintf(`#situations input[name=%q][value=%q]`, q, foodAnswers[q]))
	}
	citizen.press("submit the answers", "#situation-submit", `document.getElementById("application") !== null && document.getElementById("form-fields") !== null`)
	citizen.checkAnswered("application page", foodAnswers)
	if got := citizen.applyMaterials(); !equalSets(got, foodMaterialsNew) {
		t.Errorf("#materials of the application for kind=new, subject=individual:\n got %q\nwant %q", got, foodMaterialsNew)
	}
	// 联系电话 is 免填写: the account's phone, masked.
	if p := citizen.textOf("#field-contactPhone .prefilled"); !strings.Contains(p, "136****8866") {
		t.Errorf("联系电话 .prefilled = %q, want the account's masked phone 136****8866", p)
	}
	citizen.noHorizontalOverflow(phoneWidth, "application form")
	citizen.focusNotObscured("application form")

	// First attempt: 单位名称 left empty, the layout plan not uploaded. The
	// rules (可容缺) are uploaded, so that no 容缺 is asked for.
	citizen.fillForm(foodForm)
	citizen.upload("application", files["申请书.pdf"])
	citizen.upload("licence", files["营业执照.pdf"])
	citizen.upload("id", files["身份证.png"])
	citizen.upload("rules", files["规章制度目录.pdf"])
	citizen.press("submit the incomplete application", "#submit", `document.getElementById("form-error") !== null`)
	if p := citizen.path(); p != "/items/"+code+"/apply" {
		t.Errorf("after the refused submission the address is %q, want the application page", p)
	}
	if e := citizen.textOf("#field-companyName .field-error"); !strings.Contains(e, "请填写单位名称") {
		t.Errorf("单位名称 error = %q, want 请填写单位名称", e)
	}
	if inv := eval[string](citizen, `document.querySelector('[name="f.companyName"]').getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("f.companyName is not marked aria-invalid after the refused submission")
	}
	if f := citizen.text("form-error"); f == "" {
		t.Errorf("#form-error is empty")
	}
	if e := citizen.textOf("#material-layout .field-error"); !strings.Contains(e, "请上传") {
		t.Errorf("layout material error = %q, want 请上传…", e)
	}
	if n := eval[int](citizen, `document.querySelectorAll("#form-fields .field-error").length`); n != 1 {
		t.Errorf("%d field errors in #form-fields, want only the one of 单位名称: %q", n, citizen.texts("#form-fields .field-error"))
	}
	if n := eval[int](citizen, `document.querySelectorAll("#materials .field-error").length`); n != 1 {
		t.Errorf("%d material errors, want only the one of the layout plan: %q", n, citizen.texts("#materials .field-error"))
	}
	citizen.checkForm("after the refused submission", foodForm)
	citizen.checkKept("after the refused submission", map[string][]string{
		"application": {"申请书.pdf"}, "licence": {"营业执照.pdf"}, "id": {"身份证.png"}, "rules": {"规章制度目录.pdf"},
	})
	citizen.noHorizontalOverflow(phoneWidth, "application form with problems")
	citizen.screenshot("apply-problems-" + dbName(t))

	// Second attempt: complete.
	citizen.fill("f.companyName", foodCompanyName)
	citizen.upload("layout", files["平面布局图.pdf"])
	citizen.submitApplication("submit the application", "#submit", "case-no")
	caseNo := citizen.text("case-no")
	password := citizen.text("query-password")
	password = strings.TrimSpace(strings.SplitN(password, "（", 2)[0])
	if !regexp.MustCompile(`^\d{6}$`).MatchString(password) {
		t.Fatalf("#query-password = %q, want 6 digits", password)
	}
	if p := citizen.path(); p != "/cases/"+caseNo {
		t.Errorf("after submitting the address is %q, want /cases/%s", p, caseNo)
	}
	flash := citizen.textOf("#main .flash")
	if !strings.Contains(flash, "办件编号") || !strings.Contains(flash, caseNo) || !strings.Contains(flash, "查询密码") || !strings.Contains(flash, password) {
		t.Errorf("flash after submitting = %q, want 办件编号 %s and 查询密码 %s", flash, caseNo, password)
	}
	citizen.checkStatus("after submitting", "待预审")
	if s := citizen.text("case-channel"); s != "网上" {
		t.Errorf("#case-channel = %q, want 网上", s)
	}
	if m := citizen.text("case-materials"); !strings.Contains(m, "申请书.pdf") || !strings.Contains(m, "营业执照.pdf") || !strings.Contains(m, "身份证.png") || !strings.Contains(m, "规章制度目录.pdf") || !strings.Contains(m, "平面布局图.pdf") {
		t.Errorf("#case-materials does not list the files kept from the first attempt and the one added:\n%s", m)
	}
	if f := citizen.text("case-form"); !strings.Contains(f, foodCompanyName) || !strings.Contains(f, "13605718866") && !strings.Contains(f, "136****8866") {
		t.Errorf("#case-form lacks the typed 单位名称 or the prefilled phone:\n%s", f)
	}
	if citizen.present("#notice-acceptance") || citizen.present("#promised-due") {
		t.Errorf("before acceptance the case shows an acceptance notice or a promised due date")
	}
	if citizen.present("section.task-actions") {
		t.Errorf("the applicant is offered staff actions: %q", citizen.texts("section.task-actions h2"))
	}
	citizen.noHorizontalOverflow(phoneWidth, "case page")
	t.Logf("case %s submitted after %v", caseNo, time.Since(start).Round(time.Millisecond))

	// The comprehensive window: the case waits in the queue.
	window := loggedIn(t, base, "window1", browserOpt{width: desktopWidth, height: desktopHeight})
	window.open("/desk")
	window.do("wait for the desk", chromedp.WaitVisible(chromedp.ID("window-queue")))
	link := `#window-queue a[href="/cases/` + caseNo + `"]`
	if !window.present(link) {
		t.Fatalf("the window queue does not list %s:\n%s", caseNo, window.text("window-queue"))
	}
	if row := eval[string](window, `document.querySelector(`+jsString(link)+`).closest("tr").innerText`); !strings.Contains(row, "网上申请") || !strings.Contains(row, "受理") || !strings.Contains(row, "李建国") {
		t.Errorf("the window queue's row of %s = %q, want 网上申请, the step 受理 and the applicant 李建国", caseNo, row)
	}
	window.press("open the case from the queue", link, `location.pathname === "/cases/`+caseNo+`" && document.getElementById("act-accept") !== null`)
	window.checkStatus("at the window", "待预审")
	// 不予受理 needs a reason.
	window.press("不予受理 without a reason", "#act-refuse", `document.getElementById("action-error") !== null`)
	if e := window.textOf("section.task-actions .field-error"); !strings.Contains(e, "理由") {
		t.Errorf("error beside the comment = %q, want it to ask for the reason (理由)", e)
	}
	window.checkStatus("after the refused 不予受理", "待预审")
	// Reloading the page of the refused action shows the case again.
	window.do("reload after the refused action", chromedp.Reload())
	if !window.present("#case-status") || !window.present("#act-accept") {
		t.Errorf("reloading the case page after the refused 不予受理 shows %s instead of the case:\n%.200s", get(window, "location", chromedp.Location()), eval[string](window, `(document.querySelector("main") || document.body || {innerText: ""}).innerText.trim()`))
		window.open("/cases/" + caseNo)
	}
	window.press("受理", "#act-accept", "true")
	if window.present("#action-error") {
		t.Fatalf("受理 refused: %s", window.text("action-error"))
	}
	window.checkStatus("after 受理", "已受理")
	due := window.text("promised-due")
	if !strings.Contains(due, foodPromised) || !regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\d{4}年\d{1,2}月\d{1,2}日`).MatchString(due) {
		t.Errorf("#promised-due = %q, want %s and a date", due, foodPromised)
	}

	// 市场监管: review, then the head decides.
	reviewer := loggedIn(t, base, "scjg1", browserOpt{width: desktopWidth, height: desktopHeight})
	reviewer.actFromInbox(caseNo, "审查", "pass", "材料齐全，经营场所符合要求。", "办理中")
	head := loggedIn(t, base, "scjgfz", browserOpt{width: desktopWidth, height: desktopHeight})
	head.actFromInbox(caseNo, "决定", "approve", "同意。", "办结（准予）")

	// The citizen sees the decision and the whole trail.
	citizen.do("reload the case", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("case-status")))
	citizen.checkStatus("after the decision", "办结（准予）")
	if !citizen.present("#promised-due") {
		t.Errorf("the citizen's case page shows no #promised-due after acceptance")
	}
	steps := citizen.texts("#timeline li")
	wantSteps := []string{"网上提交申请 → 待预审", "受理 · 受理 → 已受理", "审查 · 审查通过 → 办理中", "决定 · 准予 → 办结"}
	if len(steps) != len(wantSteps) {
		t.Errorf("#timeline has %d entries, want %d: %q", len(steps), len(wantSteps), wantSteps)
	}
	for i, want := range wantSteps {
		if i >= len(steps) || !strings.Contains(steps[i], want) {
			t.Errorf("#timeline entry %d is not %q:\n%s", i+1, want, strings.Join(steps, "\n"))
			break
		}
	}
	text := citizen.noticePDF("notice-acceptance")
	for _, want := range []string{"受理通知书", caseNo, foodItem} {
		if !strings.Contains(text, want) {
			t.Errorf("the acceptance notice does not contain %s:\n%s", want, text)
		}
	}
	if !citizen.present("#notice-decision") {
		t.Errorf("no #notice-decision after the decision")
	}
	if d := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).FindString(due); d == "" || !strings.Contains(text, d) {
		t.Errorf("the acceptance notice does not give the promised date of the case page (%s):\n%s", due, text)
	}
	citizen.showPDF("notice-acceptance")
	citizen.open("/cases/" + caseNo)
	citizen.noHorizontalOverflow(phoneWidth, "decided case")

	// Handed over at the window to the applicant, who shows the ID card.
	window.do("reload the case at the window", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("case-status")))
	window.handOver("李建国", foodCollectorID)
	citizen.do("reload the case", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("case-status")))
	citizen.checkStatus("after the handover", "已领取（准予）")
	if !anyContains(citizen.texts("#timeline li"), "已领取") {
		t.Errorf("#timeline lacks 已领取:\n%s", citizen.text("timeline"))
	}
	// The applicant's lists.
	citizen.open("/cases")
	if row := citizen.caseRow(caseNo); !strings.Contains(row, "已领取") {
		t.Errorf("/cases row of %s = %q, want 已领取", caseNo, row)
	}
	citizen.open("/")
	if s := citizen.text("my-cases"); !strings.Contains(s, foodItem) || !strings.Contains(s, caseNo) || !strings.Contains(s, "已领取") {
		t.Errorf("#my-cases on the home page does not show %s %s 已领取:\n%s", foodItem, caseNo, s)
	}

	// Anyone with the number and the password can look the case up.
	anon := newTab(t, base, browserOpt{})
	anon.progress(caseNo, wrongPassword(password))
	anon.waitUntil("the refusal", `document.querySelector("#progress-form .alert") !== null`)
	if a := anon.textOf("#progress-form .alert"); !strings.Contains(a, "查询密码不正确") {
		t.Errorf("/progress with a wrong password says %q, want 办件编号或查询密码不正确", a)
	}
	if anon.present("#progress-result") {
		t.Errorf("/progress shows the case for a wrong password:\n%s", anon.text("progress-result"))
	}
	if v := anon.value("#caseNo"); v != caseNo {
		t.Errorf("after the refused lookup #caseNo = %q, want the typed %s", v, caseNo)
	}
	anon.progress(caseNo, password)
	anon.waitUntil("the progress", `document.getElementById("progress-status") !== null`)
	if s := anon.text("progress-status"); s != "已领取（准予）" {
		t.Errorf("#progress-status = %q, want 已领取（准予）", s)
	}
	if r := anon.text("progress-result"); !strings.Contains(r, foodItem) || !strings.Contains(r, caseNo) || !strings.Contains(r, "李*国") || strings.Contains(r, "李建国") {
		t.Errorf("#progress-result does not name %s and %s with the applicant masked (李*国):\n%s", foodItem, caseNo, r)
	}
	anon.noHorizontalOverflow(phoneWidth, "progress page")
	t.Logf("journey of %s took %v", caseNo, time.Since(start).Round(time.Millisecond))
}

// TestWindowIntakeForWalkIn: the comprehensive window takes in 结婚登记
// (window only) for a person who has no account: the ID number is not
// found, the clerk registers name and phone with the application, prints
// the receipt (masked ID number), approves on the spot, prints the decision
// notice and hands over. A second application of the same person, now
// found by the ID number, is refused with a reason that the refusal notice
// carries.
func TestWindowIntakeForWalkIn(t *testing.T) {
	eachDB(t, windowIntakeForWalkIn)
}

func windowIntakeForWalkIn(t *testing.T, base string) {
	start := time.Now()
	code := itemCode(t, base, marriageItem)
	files := sampleFiles(t)
	idn := idNumber("33012219950505037")
	const name, phone = "赵小燕", "13757198765"
	masked := stdcode.MaskIDNumber(idn)
	window := loggedIn(t, base, "window1", browserOpt{width: desktopWidth, height: desktopHeight})

	// The walk-in is not registered.
	window.open("/desk")
	window.do("type the ID number", chromedp.WaitVisible(chromedp.ID("idNumber")), chromedp.SendKeys(chromedp.ID("idNumber"), idn))
	window.press("查找", "#find-person button[type=submit]", `document.getElementById("idNumber-err") !== null || document.getElementById("person-result") !== null`)
	if e := window.text("idNumber-err"); !strings.Contains(e, "未找到") {
		t.Errorf("#idNumber-err = %q, want 未找到…", e)
	}
	if window.present("#person-result") {
		t.Errorf("an unregistered ID number finds a person:\n%s", window.text("person-result"))
	}
	window.intake(code)
	if v := window.value("#a-idNumber"); v != idn {
		t.Errorf("#a-idNumber = %q, want the ID number typed at the desk %s", v, idn)
	}
	if h := window.textOf("#main h1"); !strings.Contains(h, "窗口收件") {
		t.Errorf("intake page heading %q, want 窗口收件", h)
	}
	if s := window.text("submit"); s != "收件" {
		t.Errorf("#submit says %q, want 收件", s)
	}
	window.setField("#a-name", name)
	window.setField("#a-phone", phone)
	window.fillForm(marriageForm)
	window.upload("id", files["身份证.png"])
	window.upload("statement", files["声明书.pdf"])
	window.submitApplication("收件", "#submit", "case-no")
	caseNo := window.text("case-no")
	if f := window.textOf("#main .flash"); !strings.Contains(f, "已收件") || !strings.Contains(f, caseNo) {
		t.Errorf("flash after 收件 = %q, want 已收件 and %s", f, caseNo)
	}
	window.checkStatus("after 收件", "待预审")
	if s := window.text("case-channel"); s != "窗口" {
		t.Errorf("#case-channel = %q, want 窗口", s)
	}
	if a := window.text("case-applicant"); !strings.Contains(a, name) || !strings.Contains(a, masked) || strings.Contains(a, idn) {
		t.Errorf("#case-applicant = %q, want %s with the masked ID number %s", a, name, masked)
	}
	if strings.Contains(window.text("main"), idn) {
		t.Errorf("the case page shows the full ID number %s", idn)
	}
	// 免填写: the form took name, ID number and phone from the applicant.
	if f := window.text("case-form"); !strings.Contains(f, name) || !strings.Contains(f, masked) || !strings.Contains(f, stdcode.MaskPhone(phone)) {
		t.Errorf("#case-form lacks the applicant's name, masked ID number or masked phone:\n%s", f)
	}
	receipt := window.noticePDF("notice-receipt")
	for _, want := range []string{"收件回执", caseNo, name, masked, marriageItem} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt does not contain %s:\n%s", want, receipt)
		}
	}
	if strings.Contains(receipt, idn) {
		t.Errorf("the receipt shows the full ID number %s:\n%s", idn, receipt)
	}

	// 即办件: approved on the spot, decision notice, handover.
	window.press("受理并准予", "#act-approve", "true")
	if window.present("#action-error") {
		t.Fatalf("受理并准予 refused: %s", window.text("action-error"))
	}
	window.checkStatus("after 受理并准予", "办结（准予）")
	decision := window.noticePDF("notice-decision")
	for _, want := range []string{"办结通知书", caseNo, marriageItem, "准予"} {
		if !strings.Contains(decision, want) {
			t.Errorf("the decision notice does not contain %s:\n%s", want, decision)
		}
	}
	window.showPDF("notice-decision")
	window.open("/cases/" + caseNo)
	window.handOver(name, idn)

	// The same person comes back: now registered, found by the ID number.
	window.open("/desk?idNumber=" + idn)
	window.do("wait for the person", chromedp.WaitVisible(chromedp.ID("person-result")))
	if p := window.text("person-result"); !strings.Contains(p, name) || !strings.Contains(p, masked) || strings.Contains(p, idn) {
		t.Errorf("#person-result = %q, want %s with the masked ID number %s", p, name, masked)
	}
	window.intake(code)
	if !window.present("#applicant-fields input[name=person]") || window.present("#a-name") {
		t.Errorf("the intake of a registered person asks for the applicant again%s", window.where())
	}
	if s := window.textOf("#applicant-name"); s != name {
		t.Errorf("#applicant-name = %q, want %s", s, name)
	}
	if window.present(`[name="f.applicantIdNumber"]`) {
		t.Errorf("the intake of a registered person asks for the ID number in the form (免填写)")
	}
	if p := window.textOf("#field-applicantIdNumber .prefilled"); !strings.Contains(p, masked) {
		t.Errorf("ID number .prefilled = %q, want the masked %s", p, masked)
	}
	window.fillForm(marriageForm)
	window.upload("id", files["身份证.png"])
	window.upload("statement", files["声明书.pdf"])
	window.submitApplication("收件", "#submit", "case-no")
	second := window.text("case-no")
	if second == caseNo {
		t.Fatalf("the second intake shows the first case %s", caseNo)
	}
	const reason = "男方未到场，须双方亲自到婚姻登记机关办理。"
	window.setField("section.task-actions textarea[name=comment]", reason)
	window.press("不予受理", "#act-refuse", "true")
	if window.present("#action-error") {
		t.Fatalf("不予受理 refused: %s", window.text("action-error"))
	}
	window.checkStatus("after 不予受理", "不予受理")
	if window.present("#notice-decision") || window.present("#notice-acceptance") {
		t.Errorf("a refused case offers a decision or acceptance notice")
	}
	if window.present("section.task-actions") {
		t.Errorf("a refused case still offers actions: %q", window.texts("section.task-actions h2"))
	}
	if !anyContains(window.texts("#timeline li"), reason) {
		t.Errorf("#timeline does not show the reason %q:\n%s", reason, window.text("timeline"))
	}
	refusal := window.noticePDF("notice-refusal")
	for _, want := range []string{"不予受理通知书", second, name, reason} {
		if !strings.Contains(refusal, want) {
			t.Errorf("the refusal notice does not contain %s:\n%s", want, refusal)
		}
	}
	t.Logf("two walk-in cases %s, %s in %v", caseNo, second, time.Since(start).Round(time.Millisecond))
}

// marriageForm is the person's form of 结婚登记 typed at the window, but
// for name, ID number and phone, which come from the applicant (免填写).
var marriageForm = map[string][]string{
	"f.address":  {"桐庐县城南街道白云源东路18号"},
	"f.delivery": {"window"},
	"f.promise":  {"1"},
}

// TestApplyWithoutJavaScript: an older citizen in 大字版 on a phone with
// scripts disabled applies online for 居住证: answers the question, saves a
// draft with one file, comes back to it from 我的办件, finds what was typed
// and uploaded kept, completes and submits it. The page never scrolls
// sideways.
func TestApplyWithoutJavaScript(t *testing.T) {
	eachDB(t, applyWithoutJavaScript)
}

func applyWithoutJavaScript(t *testing.T, base string) {
	start := time.Now()
	code := itemCode(t, base, residenceItem)
	files := sampleFiles(t)
	b := newTab(t, base, browserOpt{noScript: true})
	b.open("/login")
	if typ := eval[string](b, "typeof window.htmx"); typ != "undefined" {
		t.Fatalf("scripts still run: typeof htmx = %q", typ)
	}
	b.login("citizen1", demoPassword)
	b.waitUntil("the citizen home", `location.pathname === "/" && document.getElementById("who") !== null`)
	if !b.present("#page.elder") {
		b.do("switch to elder mode", chromedp.Click(chromedp.ID("elder-toggle")), chromedp.WaitVisible(chromedp.CSS("#page.elder")))
	}

	b.open("/items/" + code)
	b.press("click 在线申请", "#apply-link", `location.pathname === "/items/`+code+`/apply" && document.getElementById("situations") !== null`)
	b.checkElderPage("application page")
	b.click("answer basis=house", `#situations input[name="basis"][value="house"]`)
	b.press("submit the answer", "#situation-submit", `document.getElementById("application") !== null`)
	b.checkElderPage("application form")
	// 免填写: name and phone from the account, the ID number not asked.
	if b.present(`[name="f.applicantIdNumber"]`) {
		t.Errorf("the form asks for the ID number, which the account has (免填写)")
	}
	if p := b.textOf("#field-applicantIdNumber .prefilled"); !strings.Contains(p, "3301**********") || strings.Contains(p, "330122195603120") {
		t.Errorf("ID number .prefilled = %q, want the masked number 3301**********…", p)
	}
	if v := b.value(`[name="f.applicantName"]`); v != "王秀英" {
		t.Errorf("f.applicantName = %q, want the account's name 王秀英", v)
	}
	mats := b.applyMaterials()
	for _, want := range []string{"房屋产权证明或租赁合同", "近期免冠证件照片"} {
		if !anyContains(mats, want) {
			t.Errorf("#materials for basis=house lacks %s: %q", want, mats)
		}
	}
	if anyContains(mats, "劳动合同") {
		t.Errorf("#materials for basis=house lists the job proof: %q", mats)
	}

	b.focusNotObscured("application form, elder mode")

	// A draft with the address and the photo.
	const addr = "桐庐县桐君街道迎春南路277号"
	b.fill("f.address", addr)
	b.upload("photo", files["证件照.png"])
	b.submitApplication("save the draft", "#save-draft", "draft-actions")
	if f := b.textOf("#main .flash"); !strings.Contains(f, "草稿已保存") {
		t.Errorf("flash after saving = %q, want 草稿已保存", f)
	}
	b.checkStatus("the draft", "暂存")
	if b.present("#case-no") || b.present("#query-password") {
		t.Errorf("a draft has a case number or password")
	}
	b.checkElderPage("draft")

	// Back later through 我的办件.
	b.open("/cases")
	b.checkElderPage("my cases")
	draft := eval[[]string](b, `(li => li ? [li.innerText, li.querySelector("a").getAttribute("href")] : [])(Array.from(document.querySelectorAll("#cases li")).find(li => li.innerText.includes(`+jsString(residenceItem)+`) && li.innerText.includes("草稿")))`)
	if len(draft) != 2 || !strings.Contains(draft[0], "暂存") {
		t.Fatalf("/cases has no draft of %s marked 暂存:\n%s", residenceItem, b.text("cases"))
	}
	b.press("open the draft", `#cases a[href="`+draft[1]+`"]`, `location.pathname.startsWith("/cases/") && document.getElementById("edit-draft") !== null`)
	b.press("继续填写", "#edit-draft", `location.pathname.endsWith("/edit") && document.getElementById("application") !== null`)
	if h := b.textOf("#main h1"); !strings.Contains(h, "继续填写") {
		t.Errorf("draft form heading %q, want 继续填写", h)
	}
	b.checkAnswered("the draft's form", map[string]string{"basis": "house"})
	b.checkForm("the draft's form", map[string][]string{"f.address": {addr}})
	b.checkKept("the draft's form", map[string][]string{"photo": {"证件照.png"}})
	b.checkElderPage("the draft's form")

	// Complete and submit.
	b.fill("f.delivery", "mail")
	b.fill("f.mailAddress", addr)
	b.fill("f.promise", "1")
	b.upload("id", files["身份证.png"])
	b.upload("houseproof", files["租赁合同.pdf"])
	b.submitApplication("submit", "#submit", "case-no")
	caseNo := b.text("case-no")
	if f := b.textOf("#main .flash"); !strings.Contains(f, caseNo) || !strings.Contains(f, "查询密码") {
		t.Errorf("flash after submitting = %q, want 办件编号 %s and 查询密码", f, caseNo)
	}
	b.checkStatus("after submitting", "待预审")
	if m := b.text("case-materials"); !strings.Contains(m, "证件照.png") || !strings.Contains(m, "身份证.png") || !strings.Contains(m, "租赁合同.pdf") {
		t.Errorf("#case-materials does not list the draft's and the new files:\n%s", m)
	}
	if f := b.text("case-form"); !strings.Contains(f, addr) || !strings.Contains(f, "王秀英") {
		t.Errorf("#case-form lacks the address or the prefilled name:\n%s", f)
	}
	b.checkElderPage("submitted case")
	b.open("/cases")
	if b.present(`#cases a[href="` + draft[1] + `"]`) {
		t.Errorf("/cases still lists the draft %s after submitting it:\n%s", draft[1], b.text("cases"))
	}
	if row := b.caseRow(caseNo); !strings.Contains(row, "待预审") {
		t.Errorf("/cases row of %s = %q, want 待预审", caseNo, row)
	}
	t.Logf("draft and submission of %s without JavaScript in %v", caseNo, time.Since(start).Round(time.Millisecond))
}

// press clicks what leads to another page (a link, a submit button) and
// waits until a new page has replaced the one shown (as a whole, or its
// body swapped in by htmx) and cond holds on it.
func (b *tab) press(what, sel, cond string) {
	b.t.Helper()
	b.do(what, chromedp.EvaluateAsDevTools[chromedp.Void](`void (document.getElementById("main").dataset.left = "1")`))
	b.click(what, sel)
	b.waitUntil("the page after "+what, `(m => m !== null && !m.dataset.left)(document.getElementById("main")) && (`+cond+`)`)
}

// submitApplication presses the button of the application form and
// waits for the case page (with an element of the id) it leads to; the
// form coming back with problems fails the test with them.
func (b *tab) submitApplication(what, button, id string) {
	b.t.Helper()
	b.press(what, button, `location.pathname.startsWith("/cases/") && document.getElementById(`+jsString(id)+`) !== null || document.getElementById("form-error") !== null`)
	if b.present("#form-error") {
		b.t.Fatalf("%s: the form came back: %s; problems: %q", what, b.text("form-error"), b.texts(".field-error"))
	}
}

// click scrolls the element to the middle of the window, out from under
// the sticky bar of the form's buttons, and clicks it there.
func (b *tab) click(what, sel string) {
	b.t.Helper()
	b.do(what, chromedp.WaitVisible(chromedp.CSS(sel)))
	hit := eval[bool](b, `(e => { e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect(); const h = document.elementFromPoint(r.left + r.width/2, r.top + r.height/2); return h !== null && (h === e || e.contains(h) || h.contains(e)) })(document.querySelector(`+jsString(sel)+`))`)
	if !hit {
		b.t.Fatalf("%s: %s is covered by another element in the middle of the window%s", what, sel, b.where())
	}
	b.do(what, chromedp.Click(chromedp.CSS(sel)))
}

// focusNotObscured tabs through the application form with the keyboard
// and fails when a focused control is entirely hidden (neither its middle
// nor its corners can be seen) by other content, such as the sticky bar of
// the form's buttons (WCAG 2.2, 2.4.11 Focus Not Obscured). The browser
// scrolls a control reached with Tab (or a phone keyboard's "next") only
// just into the window, which puts it under a bar stuck to the bottom.
func (b *tab) focusNotObscured(what string) {
	b.t.Helper()
	n := eval[int](b, `(() => { window.scrollTo(0, 0); const f = document.querySelector("#application input:not([type=hidden]), #application select, #application textarea"); f.focus(); return document.querySelectorAll("#application input:not([type=hidden]), #application select, #application textarea, #application button").length })()`)
	var hidden []string
	for i := 0; i < n; i++ {
		if i > 0 {
			b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		}
		if s := eval[string](b, `(e => { if (!e || !e.closest("#application")) return ""; const r = e.getBoundingClientRect(); const mine = h => h !== null && (h === e || e.contains(h) || h.contains(e) || h.closest("label") !== null && h.closest("label") === e.closest("label")); const pts = [[.5, .5], [.1, .1], [.9, .1], [.1, .9], [.9, .9]].map(([x, y]) => document.elementFromPoint(r.left + r.width*x, r.top + r.height*y)); if (pts.some(mine)) return ""; const h = pts[0]; return (e.name || e.id) + " under " + (h ? h.tagName.toLowerCase() + (h.id ? "#" + h.id : "") + (h.closest(".editor-actions") ? " in .editor-actions" : "") : "nothing (off screen)") })(document.activeElement)`); s != "" {
			hidden = append(hidden, s)
		}
	}
	if len(hidden) > 0 {
		bar := eval[[]float64](b, `(e => e ? [e.getBoundingClientRect().height, window.innerHeight] : [0, window.innerHeight])(document.querySelector(".editor-actions"))`)
		b.t.Errorf("%s: %d of %d controls are hidden when focused with Tab (the sticky bar of the buttons is %.0f px of the %.0f px window): %q", what, len(hidden), n, bar[0], bar[1], hidden)
	}
}

// loggedIn starts a browser of its own (its own cookie jar) and logs in.
func loggedIn(t *testing.T, base, user string, o browserOpt) *tab {
	t.Helper()
	b := newTab(t, base, o)
	b.open("/login")
	b.login(user, demoPassword)
	b.waitUntil("the home of "+user, `location.pathname === "/" && document.getElementById("who") !== null`)
	return b
}

// fill sets one field of the application form as a person does: types
// into a text box, chooses an option, ticks boxes.
func (b *tab) fill(name string, vals ...string) {
	b.t.Helper()
	sel := fmt.Sprintf(`[name=%q]`, name)
	kind := eval[string](b, `(e => e ? e.type : "")(document.querySelector(`+jsString(sel)+`))`)
	switch kind {
	case "":
		b.t.Fatalf("the form has no field %s%s", name, b.where())
	case "checkbox", "radio":
		for _, v := range vals {
			box := fmt.Sprintf(`[name=%q][value=%q]`, name, v)
			if !eval[bool](b, `document.querySelector(`+jsString(box)+`).checked`) {
				b.click("tick "+box, box)
			}
		}
	case "select-one":
		b.do("choose "+vals[0]+" in "+name, chromedp.SetValue(chromedp.CSS(sel), vals[0]))
	default:
		b.setField(sel, vals[0])
	}
}

// fillForm fills every field of values, in name order.
func (b *tab) fillForm(values map[string][]string) {
	b.t.Helper()
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.fill(n, values[n]...)
	}
}

// checkForm fails unless the form shows exactly these values.
func (b *tab) checkForm(when string, values map[string][]string) {
	b.t.Helper()
	for name, want := range values {
		got := eval[[]string](b, `Array.from(document.querySelectorAll(`+jsString(fmt.Sprintf(`[name=%q]`, name))+`)).filter(e => (e.type !== "checkbox" && e.type !== "radio") || e.checked).map(e => e.value)`)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			b.t.Errorf("%s: %s = %q, want the typed %q", when, name, got, want)
		}
	}
}

// upload chooses files for the material's file input.
func (b *tab) upload(material string, files ...string) {
	b.t.Helper()
	sel := fmt.Sprintf(`#materials input[type=file][name="m.%s"]`, material)
	b.do("choose files for "+material, chromedp.SetUploadFiles(chromedp.CSS(sel), files))
	if n := eval[int](b, `document.querySelector(`+jsString(sel)+`).files.length`); n != len(files) {
		b.t.Fatalf("%d files chosen for %s, want %d", n, material, len(files))
	}
}

// checkKept fails unless each material shows exactly these files as
// uploaded earlier and ticked to keep.
func (b *tab) checkKept(when string, kept map[string][]string) {
	b.t.Helper()
	got := eval[map[string][]string](b, `Array.from(document.querySelectorAll("#materials input[type=checkbox][name^='keep.']")).reduce((m, e) => { const k = e.name.slice(5); (m[k] = m[k] || []).push((e.checked ? "" : "unticked:") + e.closest("label").innerText.trim()); return m }, {})`)
	for m, names := range kept {
		if len(got[m]) != len(names) {
			b.t.Errorf("%s: material %s shows kept files %q, want %q ticked", when, m, got[m], names)
			continue
		}
		for i, n := range names {
			if !strings.Contains(got[m][i], n) || strings.HasPrefix(got[m][i], "unticked:") {
				b.t.Errorf("%s: material %s shows kept file %q, want %s ticked", when, m, got[m][i], n)
			}
		}
	}
	for m := range got {
		if _, ok := kept[m]; !ok {
			b.t.Errorf("%s: material %s shows kept files %q, want none", when, m, got[m])
		}
	}
}

// applyMaterials lists the names of the materials of the application form.
func (b *tab) applyMaterials() []string {
	b.t.Helper()
	return b.texts("#materials li.material > p > strong")
}

// checkStatus fails unless #case-status says want.
func (b *tab) checkStatus(when, want string) {
	b.t.Helper()
	if s := b.text("case-status"); s != want {
		b.t.Errorf("%s: #case-status = %q, want %s", when, s, want)
	}
}

// checkElderPage: 大字版 is on and the phone-sized page does not scroll
// sideways.
func (b *tab) checkElderPage(what string) {
	b.t.Helper()
	if !b.present("#page.elder") {
		b.t.Errorf("%s: not in 大字版 (#page lacks class elder)", what)
	}
	b.noHorizontalOverflow(phoneWidth, what+", elder mode")
}

// intake searches the item at the desk and clicks its 收件 link.
func (b *tab) intake(code string) {
	b.t.Helper()
	b.do("search "+marriageItem+" at the desk",
		chromedp.WaitVisible(chromedp.ID("desk-q")),
		chromedp.SendKeys(chromedp.ID("desk-q"), marriageItem),
	)
	b.press("search "+marriageItem, "#find-item button[type=submit]", `document.getElementById("intake-`+code+`") !== null`)
	b.press("click 收件", "#intake-"+code, `location.pathname === "/desk/apply" && document.getElementById("applicant-fields") !== null`)
}

// actFromInbox opens the case from the staff member's inbox, where it
// waits at the step, and takes the action with the comment; the case then
// has the status want and no longer waits at the step.
func (b *tab) actFromInbox(caseNo, step, action, comment, want string) {
	b.t.Helper()
	b.open("/inbox")
	b.do("wait for the inbox", chromedp.WaitVisible(chromedp.ID("inbox")))
	link := `#inbox tr.inbox-row a[href="/cases/` + caseNo + `"]`
	if !b.present(link) {
		b.t.Fatalf("the inbox does not list %s:\n%s", caseNo, b.text("inbox"))
	}
	if s := b.text("steps"); !strings.Contains(s, step) {
		b.t.Errorf("#steps = %q, want a tab of the step %s", s, step)
	}
	if got := b.inboxSteps(caseNo); !slices.Contains(got, step) {
		b.t.Errorf("the inbox lists %s at the steps %q, want %s", caseNo, got, step)
	}
	b.press("open "+caseNo+" from the inbox", link, `location.pathname === "/cases/`+caseNo+`" && document.getElementById("act-`+action+`") !== null`)
	b.setField("section.task-actions textarea[name=comment]", comment)
	b.press(action, "#act-"+action, "true")
	if b.present("#action-error") {
		b.t.Fatalf("%s refused: %s", action, b.text("action-error"))
	}
	b.checkStatus("after "+action, want)
	if !anyContains(b.texts("#timeline li"), comment) {
		b.t.Errorf("#timeline does not show the comment %q:\n%s", comment, b.text("timeline"))
	}
	b.open("/inbox")
	if got := b.inboxSteps(caseNo); slices.Contains(got, step) {
		b.t.Errorf("after %s the inbox still lists %s at the step %s", action, caseNo, step)
	}
}

// handOver records at the window that the collector (name, 公民身份号码)
// took the result: the case is then 已领取 and its procedures and timeline
// name the collector with the ID number masked, never in full.
func (b *tab) handOver(name, idNumber string) {
	b.t.Helper()
	if !b.present("#form-handover") {
		b.t.Fatalf("no #form-handover to record the collector%s", b.where())
	}
	// A mistyped ID number (its check character wrong) is refused.
	b.setField("#collector-name", name)
	b.setField("#collector-id", wrongCheckChar(idNumber))
	b.press("确认领取 with a mistyped ID number", "#act-handover", `document.getElementById("action-error") !== null`)
	if e := b.texts("#action-errors li"); !anyContains(e, "公民身份号码") {
		b.t.Errorf("a mistyped collector's ID number is refused with %q, want it to name the 公民身份号码", e)
	}
	if s := b.text("case-status"); strings.HasPrefix(s, "已领取") {
		b.t.Fatalf("handed over to a mistyped ID number: #case-status = %q", s)
	}
	if v := b.value("#collector-name"); v != name {
		b.t.Errorf("after the refusal #collector-name = %q, want the typed %s", v, name)
	}
	b.setField("#collector-id", idNumber)
	b.press("确认领取", "#act-handover", "true")
	if b.present("#action-error") {
		b.t.Fatalf("窗口领取 refused: %s %q", b.text("action-error"), b.texts("#action-errors li"))
	}
	b.checkStatus("after the handover", "已领取（准予）")
	masked := stdcode.MaskIDNumber(idNumber)
	if p := b.text("procedures"); !strings.Contains(p, "窗口领取") || !strings.Contains(p, name) || !strings.Contains(p, masked) {
		b.t.Errorf("#procedures does not record 窗口领取 by %s (%s):\n%s", name, masked, p)
	}
	if !anyContains(b.texts("#timeline li"), "领取人：") || !anyContains(b.texts("#timeline li"), masked) {
		b.t.Errorf("#timeline does not name the collector with the masked ID number %s:\n%s", masked, b.text("timeline"))
	}
	if strings.Contains(b.text("main"), idNumber) {
		b.t.Errorf("the case page shows the collector's full ID number %s", idNumber)
	}
}

// inboxSteps are the steps at which the inbox lists the case.
func (b *tab) inboxSteps(caseNo string) []string {
	b.t.Helper()
	b.do("wait for the inbox", chromedp.WaitVisible(chromedp.ID("inbox")))
	return eval[[]string](b, `Array.from(document.querySelectorAll("#inbox tr.inbox-row")).filter(r => r.querySelector('a[href="/cases/`+caseNo+`"]')).map(r => r.cells[1].innerText.trim())`)
}

// caseRow is the text of the row of the case in /cases.
func (b *tab) caseRow(caseNo string) string {
	b.t.Helper()
	b.do("wait for the list", chromedp.WaitVisible(chromedp.ID("cases")))
	return eval[string](b, `(Array.from(document.querySelectorAll("#cases li")).find(li => li.innerText.includes(`+jsString(caseNo)+`)) || {}).innerText || ""`)
}

// progress looks the case up on the public progress page.
func (b *tab) progress(caseNo, password string) {
	b.t.Helper()
	b.open("/progress")
	b.setField("#caseNo", caseNo)
	b.setField("#password", password)
	b.press("查询", "#progress-submit", "true")
}

// noticePDF downloads the notice the link with this id points at with
// the browser's session, checks that it is a PDF and returns its text.
func (b *tab) noticePDF(id string) string {
	b.t.Helper()
	href := get(b, "href of #"+id, chromedp.AttributeValue(chromedp.ID(id), "href"))
	if !href.Exists || !strings.Contains(href.Value, "/notice/") {
		b.t.Fatalf("#%s has no notice address (%q)%s", id, href.Value, b.where())
	}
	res, body := b.fetchAsBrowser(href.Value)
	if res.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %s\n%.300s", href.Value, res.Status, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/pdf" {
		b.t.Errorf("GET %s: Content-Type %q, want application/pdf", href.Value, ct)
	}
	if !strings.HasPrefix(string(body), "%PDF-") {
		b.t.Fatalf("GET %s: body starts %q, want %%PDF-", href.Value, body[:min(len(body), 16)])
	}
	return pdfText(b.t, body)
}

// showPDF clicks the link to a PDF, as a person does to print it, and
// fails unless the browser shows the PDF (not its bytes as a page).
func (b *tab) showPDF(id string) {
	b.t.Helper()
	href := get(b, "href of #"+id, chromedp.AttributeValue(chromedp.ID(id), "href")).Value
	b.click("click #"+id, "#"+id)
	b.waitUntil("the PDF "+href, `location.pathname === `+jsString(href)+` && (document.contentType === "application/pdf" || document.body !== null && document.body.innerText.startsWith("%PDF"))`)
	if ct := eval[string](b, "document.contentType"); ct != "application/pdf" {
		b.t.Errorf("clicking #%s shows a %s page at %s, not the PDF; it begins %.60q", id, ct, href, eval[string](b, `document.body.innerText`))
	}
}

// fetchAsBrowser GETs a path of the application with the browser's
// session cookie.
func (b *tab) fetchAsBrowser(path string) (*http.Response, []byte) {
	b.t.Helper()
	c := b.sessionCookie()
	if c == nil {
		b.t.Fatalf("no session cookie to fetch %s with", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return res, body
}

// pdfText is the PDF's text without the layout's line breaks
// (internal/pdf/pdftext: pdftotext; skips locally without it, fails in CI).
func pdfText(t *testing.T, b []byte) string { return pdftext.Text(t, b) }

// sampleFiles writes small valid files to upload, by name.
func sampleFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	for name, body := range map[string][]byte{
		"申请书.pdf":    filestest.PDF(),
		"营业执照.pdf":   filestest.PDF(),
		"身份证.png":    filestest.PNG(),
		"平面布局图.pdf":  filestest.PDF(),
		"规章制度目录.pdf": filestest.PDF(),
		"布局图补正.pdf":  filestest.PDF(),
		"声明书.pdf":    filestest.PDF(),
		"证件照.png":    filestest.PNG(),
		"租赁合同.pdf":   filestest.PDF(),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	return out
}

// idNumber completes 17 digits with their check character.
func idNumber(first17 string) string {
	c, err := stdcode.IDCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// creditCode is a valid 统一社会信用代码 of an individual business in 桐庐
// with the organisation code org8.
func creditCode(org8 string) string {
	oc, err := stdcode.OrgCodeCheckChar(org8)
	if err != nil {
		panic(err)
	}
	body := "92330122" + org8 + string(oc)
	c, err := stdcode.CreditCodeCheckChar(body)
	if err != nil {
		panic(err)
	}
	return body + string(c)
}

// wrongCheckChar is the ID number with another check character.
func wrongCheckChar(id string) string {
	last := "0"
	if id[17] == '0' {
		last = "1"
	}
	return id[:17] + last
}

// wrongPassword is a six-digit password that is not p.
func wrongPassword(p string) string {
	if p == "000000" {
		return "111111"
	}
	return "000000"
}

func anyContains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, "\x00") == strings.Join(y, "\x00")
}
