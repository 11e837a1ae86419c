package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The materials of 食品经营许可 the exception journeys name
// (internal/demo/catalogue.json): the layout plan (必要) and the rules
// (容缺 for kind=new).
const (
	foodLayoutName = "与食品经营相适应的主要设备设施、经营布局、操作流程等文件"
	foodRulesName  = "食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度目录"
)

// TestSupplementRoundTrip: a case accepted at the window goes to 市场监管,
// whose approver finds the layout plan wanting and asks for 补正 of it
// with the reason (one notice, the clock stopped). The citizen, on a
// phone, sees the case 补正中 with the reason, downloads the 补正 notice,
// uploads only the asked material, and the case returns to the approver,
// who passes it.
func TestSupplementRoundTrip(t *testing.T) {
	eachDB(t, supplementRoundTrip)
}

func supplementRoundTrip(t *testing.T, base string) {
	start := time.Now()
	code := itemCode(t, base, foodItem)
	files := sampleFiles(t)
	citizen := loggedIn(t, base, "citizen2", browserOpt{})
	caseNo := citizen.applyFood(code, files, func() { citizen.upload("rules", files["规章制度目录.pdf"]) })

	window := loggedIn(t, base, "window1", browserOpt{width: desktopWidth, height: desktopHeight})
	window.openCase(caseNo, "act-accept")
	window.act("受理", "accept", "已受理")

	// 市场监管: 补正 of the layout plan. Ticked without a reason: refused.
	const reason = "布局图未标注各功能区面积"
	reviewer := loggedIn(t, base, "scjg1", browserOpt{width: desktopWidth, height: desktopHeight})
	reviewer.openCase(caseNo, "act-pass")
	if reviewer.present("#supplement-notice") || reviewer.present("#tag-paused") {
		t.Errorf("an accepted case shows a 补正 notice or 暂停计时 before any 补正")
	}
	if eval[bool](reviewer, `document.getElementById("form-supplement").checkVisibility()`) {
		t.Errorf("the 补正 form is open before #open-supplement is clicked")
	}
	reviewer.click("open the 补正 form", "#open-supplement")
	reviewer.click("tick the layout plan", "#sup-layout")
	reviewer.press("发出补正通知 without a reason", "#act-supplement", `document.getElementById("action-error") !== null`)
	if e := reviewer.text("action-error") + " " + strings.Join(reviewer.texts("#action-errors li"), " "); !strings.Contains(e, "原因") {
		t.Errorf("补正 without a reason is refused without asking for the reason (原因): %s", e)
	}
	reviewer.checkStatus("after the refused 补正", "已受理")
	if reviewer.present("#supplement-notice") {
		t.Errorf("a refused 补正 shows a 补正 notice:\n%s", reviewer.text("supplement-notice"))
	}
	if !eval[bool](reviewer, `document.getElementById("form-supplement").checkVisibility()`) {
		reviewer.click("open the 补正 form again", "#open-supplement")
	}
	if !eval[bool](reviewer, `document.getElementById("sup-layout").checked`) {
		reviewer.click("tick the layout plan", "#sup-layout")
	}
	reviewer.setField("#reason-layout", reason)
	reviewer.press("发出补正通知", "#act-supplement", "true")
	if reviewer.present("#action-error") {
		t.Fatalf("补正 refused: %s %q", reviewer.text("action-error"), reviewer.texts("#action-errors li"))
	}
	reviewer.checkStatus("after 补正", "补正中")
	reviewer.checkSupplementNotice("the approver's page", reason)
	reviewer.open("/inbox")
	if tags := reviewer.rowTags("#inbox", caseNo); !anyContains(tags, "paused") {
		t.Errorf("the inbox row of %s waiting for 补正 is not marked paused (span.paused); its tags: %q", caseNo, tags)
	}

	// The citizen: the notice, its PDF, the upload of the one material.
	citizen.open("/cases/" + caseNo)
	citizen.checkStatus("waiting for 补正", "补正中")
	citizen.checkSupplementNotice("the citizen's page", reason)
	if d := citizen.text("paused-since"); !strings.Contains(d, "暂停") {
		t.Errorf("#paused-since = %q, want the clock said to be stopped (暂停)", d)
	}
	notice := citizen.noticePDF("notice-supplement")
	for _, want := range []string{"补正材料通知书", caseNo, reason} {
		if !strings.Contains(notice, want) {
			t.Errorf("the 补正 notice does not contain %s:\n%s", want, notice)
		}
	}
	if !citizen.present("#form-supply #supply-layout") {
		t.Fatalf("no #supply-layout in #form-supply to upload the asked material%s", citizen.where())
	}
	if others := eval[[]string](citizen, `Array.from(document.querySelectorAll("#form-supply input[type=file]")).map(e => e.id).filter(id => id !== "supply-layout")`); len(others) > 0 {
		t.Errorf("#form-supply offers materials that were not asked for: %q", others)
	}
	citizen.noHorizontalOverflow(phoneWidth, "case waiting for 补正")
	// Sent without the file: refused, still waiting.
	citizen.press("提交材料 without a file", "#act-supply", `document.getElementById("action-error") !== null`)
	citizen.checkStatus("after the empty supplement", "补正中")
	citizen.do("choose the new layout plan", chromedp.SetUploadFiles(chromedp.ID("supply-layout"), []string{files["布局图补正.pdf"]}))
	citizen.press("提交材料", "#act-supply", "true")
	if citizen.present("#action-error") {
		t.Fatalf("the supplement is refused: %s %q", citizen.text("action-error"), citizen.texts("#action-errors li"))
	}
	citizen.checkStatus("after the supplement", "已受理")
	if f := citizen.textOf("#main .flash"); !strings.Contains(f, "材料已提交") {
		t.Errorf("flash after the supplement = %q, want 材料已提交…", f)
	}
	for _, gone := range []string{"#supplement-notice", "#form-supply", "#tag-paused"} {
		if citizen.present(gone) {
			t.Errorf("after the supplement the case still shows %s", gone)
		}
	}
	if p := citizen.text("procedures"); !strings.Contains(p, "补正") || !strings.Contains(p, foodLayoutName) || !strings.Contains(p, "已完成") {
		t.Errorf("#procedures does not record the 补正 of the layout plan as 已完成:\n%s", p)
	}
	if m := citizen.materialFiles("layout"); !anyContains(m, "布局图补正.pdf") {
		t.Errorf("#case-materials lists %q for the layout plan, want the supplemented 布局图补正.pdf", m)
	}

	// Back with the approver, at the step that asked.
	reviewer.actFromInbox(caseNo, "审查", "pass", "补正后材料齐全。", "办理中")
	t.Logf("补正 round trip of %s in %v", caseNo, time.Since(start).Round(time.Millisecond))
}

// TestToleranceClosedAfterMaterialArrives: the citizen applies without the
// rules (可容缺), pledging online to bring them within days; the case is
// accepted and decided marked 容缺, but the licence is held back until the
// rules arrive through the case page; then the window hands it over.
func TestToleranceClosedAfterMaterialArrives(t *testing.T) {
	eachDB(t, toleranceClosedAfterMaterialArrives)
}

func toleranceClosedAfterMaterialArrives(t *testing.T, base string) {
	start := time.Now()
	code := itemCode(t, base, foodItem)
	files := sampleFiles(t)
	// Five days ahead in 桐庐 is always within the 10 working days allowed.
	due := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 5).Format(time.DateOnly)
	citizen := loggedIn(t, base, "citizen2", browserOpt{})
	caseNo := citizen.applyFood(code, files, func() {
		citizen.do("date the 容缺 of the rules",
			chromedp.ScrollIntoView(chromedp.ID("defer-rules")),
			chromedp.SetValue(chromedp.ID("defer-rules"), due))
		if v := citizen.value("#defer-rules"); v != due {
			t.Fatalf("#defer-rules holds %q, want %s", v, due)
		}
		citizen.fill("tolerancePledge", "1")
	})
	citizen.checkStatus("after submitting", "待预审")
	if !citizen.present("#tag-tolerance") {
		t.Errorf("the case applied with 容缺 has no #tag-tolerance")
	}
	if d := citizen.text("deferred"); !strings.Contains(d, foodRulesName) || !strings.Contains(d, due) || !strings.Contains(d, "待补交") {
		t.Errorf("#deferred does not list the rules due %s 待补交:\n%s", due, d)
	}
	if m := citizen.materialFiles("rules"); len(m) != 0 {
		t.Errorf("#case-materials lists files %q for the rules, which were deferred", m)
	}
	pledge := citizen.noticePDF("notice-tolerance")
	for _, want := range []string{"容缺受理承诺书", caseNo, due + "前补交"} {
		if !strings.Contains(pledge, want) {
			t.Errorf("the 容缺 pledge does not contain %s:\n%s", want, pledge)
		}
	}
	citizen.noHorizontalOverflow(phoneWidth, "case with 容缺")

	window := loggedIn(t, base, "window1", browserOpt{width: desktopWidth, height: desktopHeight})
	window.open("/desk")
	window.do("wait for the desk", chromedp.WaitVisible(chromedp.ID("window-queue")))
	if tags := window.rowTags("#window-queue", caseNo); !anyContains(tags, "tag-tolerance") {
		t.Errorf("the window queue's row of %s is not marked 容缺 (span.tag-tolerance); its tags: %q", caseNo, tags)
	}
	window.openCase(caseNo, "act-accept")
	window.act("受理", "accept", "已受理")

	reviewer := loggedIn(t, base, "scjg1", browserOpt{width: desktopWidth, height: desktopHeight})
	reviewer.open("/inbox")
	if tags := reviewer.rowTags("#inbox", caseNo); !anyContains(tags, "tag-tolerance") {
		t.Errorf("the inbox row of %s is not marked 容缺 (span.tag-tolerance); its tags: %q", caseNo, tags)
	}
	reviewer.actFromInbox(caseNo, "审查", "pass", "材料符合要求，规章制度目录容缺补交。", "办理中")
	head := loggedIn(t, base, "scjgfz", browserOpt{width: desktopWidth, height: desktopHeight})
	head.actFromInbox(caseNo, "决定", "approve", "同意。", "办结（准予）")

	// Decided, held back: the window cannot hand over.
	window.open("/cases/" + caseNo)
	window.checkStatus("decided with the rules missing", "办结（准予）")
	if !window.present("#held") {
		t.Errorf("the decided case with the rules missing shows no #held at the window")
	}
	if window.present("#form-handover") {
		t.Errorf("the window is offered #form-handover while the result is held")
	}

	citizen.open("/cases/" + caseNo)
	citizen.checkStatus("decided with the rules missing", "办结（准予）")
	if !citizen.present("#held") {
		t.Errorf("the citizen's decided case shows no #held while the rules are missing")
	}
	if !citizen.present("#form-supply #supply-rules") {
		t.Fatalf("no #supply-rules in #form-supply to bring the rules%s", citizen.where())
	}
	citizen.do("choose the rules", chromedp.SetUploadFiles(chromedp.ID("supply-rules"), []string{files["规章制度目录.pdf"]}))
	citizen.press("提交材料", "#act-supply", "true")
	if citizen.present("#action-error") {
		t.Fatalf("bringing the rules is refused: %s %q", citizen.text("action-error"), citizen.texts("#action-errors li"))
	}
	citizen.checkStatus("after the rules arrived", "办结（准予）")
	if citizen.present("#held") || citizen.present("#form-supply") {
		t.Errorf("after the rules arrived the case still shows #held or #form-supply")
	}
	if d := citizen.text("deferred"); !strings.Contains(d, "补交") || strings.Contains(d, "待补交") {
		t.Errorf("#deferred does not say the rules arrived (已于 … 补交):\n%s", d)
	}
	if m := citizen.materialFiles("rules"); !anyContains(m, "规章制度目录.pdf") {
		t.Errorf("#case-materials lists %q for the rules, want 规章制度目录.pdf", m)
	}

	window.open("/cases/" + caseNo)
	if window.present("#held") {
		t.Errorf("the window still shows #held after the rules arrived")
	}
	window.handOver("李建国", foodCollectorID)
	citizen.open("/cases/" + caseNo)
	citizen.checkStatus("after the handover", "已领取（准予）")
	t.Logf("容缺 case %s closed in %v", caseNo, time.Since(start).Round(time.Millisecond))
}

// TestPledgeRevokedAfterPostCheck: the citizen chooses 告知承诺 and signs
// the pledge; the case is accepted and approved on the pledge; the
// post-check (事中事后核查) finds the place not as pledged and revokes the
// licence with the reason, which the citizen reads on the case page and in
// the revocation.
func TestPledgeRevokedAfterPostCheck(t *testing.T) {
	eachDB(t, pledgeRevokedAfterPostCheck)
}

func pledgeRevokedAfterPostCheck(t *testing.T, base string) {
	start := time.Now()
	code := itemCode(t, base, foodItem)
	files := sampleFiles(t)
	citizen := loggedIn(t, base, "citizen2", browserOpt{})
	caseNo := citizen.applyFood(code, files, func() {
		citizen.click("choose 告知承诺", "#mode-pledge")
		citizen.click("sign the pledge", "#sign-pledge")
	})
	citizen.checkStatus("after submitting", "待预审")
	if s := citizen.text("tag-pledge"); !strings.Contains(s, "告知承诺") {
		t.Errorf("#tag-pledge = %q, want 告知承诺…", s)
	}
	if p := citizen.text("pledges"); !strings.Contains(p, "告知承诺书") || !strings.Contains(p, "在线签署") {
		t.Errorf("#pledges does not show the 告知承诺书 signed online:\n%s", p)
	}
	pledge := citizen.noticePDF("notice-pledge")
	for _, want := range []string{"告知承诺书", caseNo, "郑重承诺"} {
		if !strings.Contains(pledge, want) {
			t.Errorf("the pledge does not contain %s:\n%s", want, pledge)
		}
	}

	window := loggedIn(t, base, "window1", browserOpt{width: desktopWidth, height: desktopHeight})
	window.open("/desk")
	window.do("wait for the desk", chromedp.WaitVisible(chromedp.ID("window-queue")))
	if tags := window.rowTags("#window-queue", caseNo); !anyContains(tags, "tag-pledge") {
		t.Errorf("the window queue's row of %s is not marked 告知承诺 (span.tag-pledge); its tags: %q", caseNo, tags)
	}
	window.openCase(caseNo, "act-accept")
	window.act("受理（告知承诺）", "accept", "已受理")

	reviewer := loggedIn(t, base, "scjg1", browserOpt{width: desktopWidth, height: desktopHeight})
	reviewer.open("/inbox")
	if tags := reviewer.rowTags("#inbox", caseNo); !anyContains(tags, "tag-pledge") {
		t.Errorf("the inbox row of %s is not marked 告知承诺 (span.tag-pledge); its tags: %q", caseNo, tags)
	}
	reviewer.actFromInbox(caseNo, "依承诺决定", "approve", "依承诺准予。", "办结（准予）")

	// The post-check waits in the approver's inbox.
	if steps := reviewer.inboxSteps(caseNo); !anyContains(steps, "事中事后核查") {
		t.Fatalf("after the decision the inbox lists %s at %q, want 事中事后核查", caseNo, steps)
	}
	reviewer.press("open the post-check", `#inbox tr.inbox-row a[href="/cases/`+caseNo+`"]`, `document.getElementById("act-revoke") !== null`)
	if !reviewer.present("#act-confirm") {
		t.Errorf("the post-check offers no #act-confirm (核查通过)")
	}
	// Revoking needs the reason in the task's comment box.
	reviewer.press("撤销 without a reason", "#act-revoke", `document.getElementById("action-error") !== null`)
	reviewer.checkStatus("after the refused revocation", "办结（准予）")
	if reviewer.present("#revoked") {
		t.Errorf("a revocation without a reason revoked the decision:\n%s", reviewer.text("revoked"))
	}
	const reason = "现场核查发现经营场所未设置专间，与承诺不符"
	task := eval[string](reviewer, `document.getElementById("act-revoke").closest("section.task-actions").id.replace(/^task-/, "")`)
	reviewer.setField("#comment-"+task, reason)
	reviewer.press("撤销", "#act-revoke", "true")
	if reviewer.present("#action-error") {
		t.Fatalf("the revocation is refused: %s %q", reviewer.text("action-error"), reviewer.texts("#action-errors li"))
	}
	if s := reviewer.text("case-status"); !strings.Contains(s, "已撤销") {
		t.Errorf("after the revocation #case-status = %q, want 已撤销", s)
	}
	// A revoked result is not handed out: the window's delivery is gone.
	window.open("/cases/" + caseNo)
	if window.present("#form-handover") {
		t.Errorf("the window still offers #form-handover for a revoked result")
	}
	if r := reviewer.text("revoked"); !strings.Contains(r, reason) {
		t.Errorf("#revoked = %q, want the reason %s", r, reason)
	}
	if reviewer.present("#act-revoke") || reviewer.present("#act-confirm") {
		t.Errorf("the post-check is still offered after the revocation")
	}

	citizen.open("/cases/" + caseNo)
	if s := citizen.text("case-status"); !strings.Contains(s, "已撤销") {
		t.Errorf("the citizen's #case-status = %q, want 已撤销", s)
	}
	if r := citizen.text("revoked"); !strings.Contains(r, reason) {
		t.Errorf("the citizen's #revoked = %q, want the reason %s", r, reason)
	}
	if p := citizen.text("pledges"); !strings.Contains(p, "承诺未履行") || !strings.Contains(p, reason) {
		t.Errorf("#pledges does not mark the pledge broken with the reason:\n%s", p)
	}
	revocation := citizen.noticePDF("notice-revocation")
	for _, want := range []string{"撤销", caseNo, reason} {
		if !strings.Contains(revocation, want) {
			t.Errorf("the revocation does not contain %s:\n%s", want, revocation)
		}
	}
	citizen.noHorizontalOverflow(phoneWidth, "revoked case")
	citizen.showPDF("notice-revocation")
	t.Logf("告知承诺 case %s revoked in %v", caseNo, time.Since(start).Round(time.Millisecond))
}

// applyFood applies online for 食品经营许可 as the new individual business
// of foodForm, with the key materials uploaded; choose adds what the
// journey is about (a material more, a 容缺 date, 告知承诺). It answers the
// case number.
func (b *tab) applyFood(code string, files map[string]string, choose func()) string {
	b.t.Helper()
	b.open("/items/" + code + "/apply")
	for _, q := range sortedKeys(foodAnswers) {
		b.click("answer "+q+"="+foodAnswers[q], fmt.Sprintf(`#situations input[name=%q][value=%q]`, q, foodAnswers[q]))
	}
	b.press("submit the answers", "#situation-submit", `document.getElementById("application") !== null`)
	b.fillForm(foodForm)
	b.fill("f.companyName", foodCompanyName)
	b.upload("application", files["申请书.pdf"])
	b.upload("licence", files["营业执照.pdf"])
	b.upload("id", files["身份证.png"])
	b.upload("layout", files["平面布局图.pdf"])
	choose()
	b.submitApplication("submit the application", "#submit", "case-no")
	return b.text("case-no")
}

// openCase opens the case page and waits for the element of the id.
func (b *tab) openCase(caseNo, id string) {
	b.t.Helper()
	b.open("/cases/" + caseNo)
	b.do("wait for #"+id, chromedp.WaitVisible(chromedp.ID(id)))
}

// act presses the task's button of the action (no comment); the case then
// has the status want.
func (b *tab) act(what, action, want string) {
	b.t.Helper()
	b.press(what, "#act-"+action, "true")
	if b.present("#action-error") {
		b.t.Fatalf("%s refused: %s", what, b.text("action-error"))
	}
	b.checkStatus("after "+what, want)
}

// checkSupplementNotice fails unless the case shows the open 补正 notice
// asking for the layout plan with the reason, and the clock stopped.
func (b *tab) checkSupplementNotice(where, reason string) {
	b.t.Helper()
	n := b.text("supplement-notice")
	if !strings.Contains(n, foodLayoutName) || !strings.Contains(n, reason) {
		b.t.Errorf("%s: #supplement-notice does not ask for %s because %s:\n%s", where, foodLayoutName, reason, n)
	}
	if strings.Contains(n, foodRulesName) || strings.Contains(n, "食品经营许可申请书") {
		b.t.Errorf("%s: #supplement-notice asks for materials that were not ticked:\n%s", where, n)
	}
	if !b.present("#tag-paused") {
		b.t.Errorf("%s: no #tag-paused while waiting for 补正", where)
	}
}

// rowTags are the classes of the tags (span.tag) in the rows of the table
// in container that link to the case, one string per tag.
func (b *tab) rowTags(container, caseNo string) []string {
	b.t.Helper()
	rows := `Array.from(document.querySelectorAll(` + jsString(container+" tr") + `)).filter(r => r.querySelector('a[href="/cases/` + caseNo + `"]'))`
	if eval[int](b, rows+`.length`) == 0 {
		b.t.Fatalf("%s does not list %s:\n%s", container, caseNo, b.textOf(container))
	}
	return eval[[]string](b, rows+`.flatMap(r => Array.from(r.querySelectorAll("span.tag")).map(s => s.className))`)
}

// materialFiles are the names of the files #case-materials lists for the
// material (by the link of its row, /cases/…/files/…).
func (b *tab) materialFiles(material string) []string {
	b.t.Helper()
	name := map[string]string{"layout": foodLayoutName, "rules": foodRulesName}[material]
	if name == "" {
		b.t.Fatalf("materialFiles: no name for %s", material)
	}
	return eval[[]string](b, `Array.from(document.querySelectorAll("#case-materials tbody tr")).filter(r => r.cells[0].innerText.includes(`+jsString(name)+`)).flatMap(r => Array.from(r.cells[1].querySelectorAll("a")).map(a => a.innerText.trim()))`)
}
