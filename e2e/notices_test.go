package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// noticeWait bounds how long the notice worker may take to turn a case's
// event into the applicant's notice.
const noticeWait = 10 * time.Second

// TestNoticesAfterAcceptance: citizen2 applies online for 食品经营许可 and
// window1 accepts the case. The citizen, on a phone, sees an unread count
// in the header, opens 我的消息 from it, finds the notice of the 受理
// naming the case number, marks it read, and the count drops by one.
// citizen1, in a browser of their own, does not see citizen2's notice.
func TestNoticesAfterAcceptance(t *testing.T) {
	eachDB(t, noticesAfterAcceptance)
}

func noticesAfterAcceptance(t *testing.T, base string) {
	start := time.Now()
	code := itemCode(t, base, foodItem)
	files := sampleFiles(t)
	citizen := loggedIn(t, base, "citizen2", browserOpt{})
	caseNo := citizen.applyFood(code, files, func() { citizen.upload("rules", files["规章制度目录.pdf"]) })

	window := loggedIn(t, base, "window1", browserOpt{width: desktopWidth, height: desktopHeight})
	window.openCase(caseNo, "act-accept")
	window.act("受理", "accept", "已受理")

	// The citizen: wait for the notice of the 受理, reloading the home page
	// as a person would, then follow the header's link to 我的消息.
	accepted := `Array.from(document.querySelectorAll("#notices li.notice")).find(li => li.querySelector("h2").innerText.includes("已受理") && li.innerText.includes(` + jsString(caseNo) + `))`
	var noticeID string
	deadline := time.Now().Add(noticeWait)
	for {
		citizen.open("/")
		if citizen.unreadCount() > 0 {
			citizen.press("open 我的消息 from the header", "#notices-link", `document.getElementById("notices") !== null`)
			if citizen.path() != "/my/notices" {
				t.Fatalf("#notices-link led to %s, want /my/notices", citizen.path())
			}
			noticeID = eval[string](citizen, `(li => li ? li.id : "")(`+accepted+`)`)
			if noticeID != "" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notice of the 受理 of %s (title 已受理, naming the case number) within %v; header unread count %d%s",
				caseNo, noticeWait, citizen.unreadCount(), citizen.where())
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("notice %s of the 受理 of %s shown after %v", noticeID, caseNo, time.Since(start).Round(time.Millisecond))

	sel := `[id="` + noticeID + `"]`
	if !citizen.present(sel + ".unread") {
		t.Errorf("the new notice of the 受理 is not marked unread (li.unread): %s", citizen.textOf(sel))
	}
	if n := citizen.textOf(sel); !strings.Contains(n, "办件编号 "+caseNo) {
		t.Errorf("the notice does not name the case as 办件编号 %s:\n%s", caseNo, n)
	}
	before := citizen.unreadCount()
	if before < 1 {
		t.Fatalf("header unread count %d with an unread notice on the page", before)
	}
	if total := citizen.textOf("#unread-total"); total != strconv.Itoa(before)+" 条未读" {
		t.Errorf("#unread-total = %q, the header says %d unread", total, before)
	}
	if label := eval[string](citizen, `document.getElementById("notices-link").getAttribute("aria-label")`); !strings.Contains(label, strconv.Itoa(before)+" 条未读") {
		t.Errorf("#notices-link aria-label = %q, want it to say %d 条未读", label, before)
	}
	citizen.noHorizontalOverflow(phoneWidth, "我的消息 on a phone")
	citizen.screenshot("notices-" + dbName(t))

	// Mark it read with its own form.
	// htmx first gives the new page's elements the attributes of the old
	// ones of the same id (the notice's li.unread), and the new ones only
	// once the swap has settled: wait for that before looking.
	citizen.press("标为已读", sel+` form[action$="/read"] button`, `location.pathname === "/my/notices" && document.getElementById("notices") !== null && document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") === null`)
	if !citizen.present(sel) {
		t.Fatalf("the notice is gone from 我的消息 after 标为已读%s", citizen.where())
	}
	if citizen.present(sel+".unread") || citizen.present(sel+` form[action$="/read"]`) {
		t.Errorf("the notice is still unread (li.unread or its 标为已读 form) after 标为已读:\n%s", eval[string](citizen, "document.querySelector("+jsString(sel)+").outerHTML"))
	}
	if after := citizen.unreadCount(); after != before-1 {
		t.Errorf("header unread count %d after 标为已读, want %d", after, before-1)
	}
	citizen.open("/my/notices?unread=1")
	if citizen.present(sel) {
		t.Errorf("只看未读 still lists the notice marked read")
	}

	// citizen1 sees nothing of citizen2's case among their notices.
	other := loggedIn(t, base, "citizen1", browserOpt{})
	other.open("/my/notices")
	if p := other.path(); p != "/my/notices" {
		t.Fatalf("citizen1 opening /my/notices is shown %s", p)
	}
	if other.present(sel) {
		t.Errorf("citizen1's 我的消息 lists citizen2's notice %s", noticeID)
	}
	if page := other.textOf("#main"); strings.Contains(page, caseNo) {
		t.Errorf("citizen1's 我的消息 names citizen2's case %s:\n%s", caseNo, page)
	}
	t.Logf("notices journey of %s in %v", caseNo, time.Since(start).Round(time.Millisecond))
}

// unreadCount is the unread count the header shows (#unread-count), 0 when
// it shows none.
func (b *tab) unreadCount() int {
	b.t.Helper()
	if !b.present("#unread-count") {
		return 0
	}
	s := strings.TrimSpace(b.text("unread-count"))
	n, err := strconv.Atoi(s)
	if err != nil {
		b.t.Fatalf("header #unread-count = %q, not a number", s)
	}
	return n
}
