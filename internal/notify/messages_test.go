package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCompose(t *testing.T) {
	c := caseRef{No: "330122202609280001", Item: "食品经营许可（新办）"}
	tests := []struct {
		topic   string
		payload string
		title   string
		send    bool
		has     []string
	}{
		{"case.submitted", `{}`, "申请已提交", false, []string{"已提交"}},
		{"case.accepted", `{"due": "2026-10-16"}`, "已受理", true, []string{"已受理", "2026年10月16日"}},
		{"case.refused", `{"reason": "不属于本部门职权范围"}`, "不予受理", true, []string{"原因：不属于本部门职权范围。", "不予受理通知书"}},
		{"case.decided", `{"result": "approved", "resultCode": "6"}`, "准予许可", true, []string{"结果：准予许可"}},
		{"case.decided", `{"result": "approved", "resultCode": "0"}`, "出证办结", true, []string{"出证办结"}},
		{"case.decided", `{"result": "denied", "resultCode": "7", "reason": "场所不符合要求"}`, "不予许可", true, []string{"理由：场所不符合要求", "行政复议"}},
		{"case.decided", `{"result": "returned", "resultCode": "1"}`, "退回办结", true, nil},
		{"case.decided", `{"result": "approved"}`, "准予办理", true, nil},
		{"case.finished", `{"status": "collected"}`, "结果已领取", false, nil},
		{"case.supplement_requested", `{"materials": ["营业执照", "健康证明"], "due": "2026-10-12", "reason": "照片不清晰"}`, "补正通知", true,
			[]string{"营业执照、健康证明", "请于2026年10月12日前", "照片不清晰", "不计入办理时限"}},
		{"case.supplement_requested", `{}`, "补正通知", true, []string{"请尽快"}},
		{"case.supplemented", `{}`, "已收到补正材料", false, nil},
		{"case.unsupplemented", `{"resultCode": "5"}`, "补正期满未补正，已办结", true, []string{"补正不来"}},
		{"case.special_started", `{"procedure": "现场勘查", "reason": "需核实经营场所", "due": "2026-11-02"}`, "进入特别程序", true,
			[]string{"（现场勘查）", "事由：需核实经营场所。", "2026年11月2日"}},
		{"case.special_ended", `{"procedure": "现场勘查", "due": "2026-11-20"}`, "特别程序结束", false, []string{"（现场勘查）已结束，恢复计算", "2026年11月20日"}},
		{"case.extended", `{"due": "2026-11-20", "reason": "情况复杂，经负责人批准"}`, "办理期限延长", true, []string{"延长至2026年11月20日", "情况复杂"}},
		{"case.withdrawn", `{}`, "申请已撤回", false, nil},
		{"licence.revoked", `{"licence": "食品经营许可证", "number": "JY3301222026000001", "issuer": "桐庐县市场监督管理局", "reason": "经营者申请注销。"}`, "电子证照已注销", true,
			[]string{"签发的电子证照“食品经营许可证”（证照编号 JY3301222026000001）已被桐庐县市场监督管理局注销，原因：经营者申请注销。", "核验将显示为已注销"}},
		{"case.voided", `{"reason": "重复申请"}`, "办件已作废", true, []string{"重复申请"}},
		{"case.ready", `{"delivery": "window"}`, "结果可领取", true, []string{"到窗口领取"}},
		{"case.ready", `{"delivery": "online"}`, "结果可下载", true, []string{"电子送达"}},
		{"case.posted", `{"carrier": "中国邮政EMS", "trackingNo": "1190123456789"}`, "结果已邮寄", true, []string{"通过中国邮政EMS寄出，运单号 1190123456789"}},
		{"case.posted", `{}`, "结果已邮寄", true, []string{"已寄出。"}},
		{"case.delivered", `{}`, "结果已送达", false, nil},
		{"case.tolerance_reminder", `{"materials": ["消防验收意见书"], "due": "2026-10-30"}`, "容缺材料补交提醒", true, []string{"2026年10月30日前补交：消防验收意见书", "承诺书"}},
		{"case.tolerance_completed", `{}`, "容缺材料已补齐", false, nil},
		{"case.revoked", `{"reason": "现场核查发现无经营场所"}`, "审批结果已撤销", true, []string{"事中事后核查", "无经营场所"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		p, err := parsePayload(tt.payload)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := compose(tt.topic, c, p)
		if !ok {
			t.Errorf("%s: not told", tt.topic)
			continue
		}
		seen[tt.topic] = true
		if got.Title != tt.title || got.Send != tt.send {
			t.Errorf("%s %s: %q send=%v; want %q send=%v", tt.topic, tt.payload, got.Title, got.Send, tt.title, tt.send)
		}
		if !strings.Contains(got.Body, "“食品经营许可（新办）”（办件编号 330122202609280001）") {
			t.Errorf("%s: the case is not named: %s", tt.topic, got.Body)
		}
		for _, h := range tt.has {
			if !strings.Contains(got.Body, h) {
				t.Errorf("%s: %q lacks %q", tt.topic, got.Body, h)
			}
		}
	}
	if len(seen) != 20 {
		t.Errorf("%d topics covered, want 20", len(seen))
	}
	for _, topic := range []string{"case.step", "case.extension_requested", "case.teleported", "", "licence.issued"} {
		if _, ok := compose(topic, c, payload{}); ok {
			t.Errorf("%q is told", topic)
		}
	}
	// Delivered by post: case.delivered tells it, not case.finished.
	if _, ok := compose("case.finished", c, payload{"status": "delivered"}); ok {
		t.Error("a delivered case is told twice")
	}
}

func TestPayloadIsReadLeniently(t *testing.T) {
	for _, bad := range []string{"", "null", "[]", `"text"`, "{", "42"} {
		if _, err := parsePayload(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p, err := parsePayload(`{"due": 20261012, "materials": "营业执照", "reason": {"x": 1}, "list": [1, " 健康证明 ", ""]}`)
	if err != nil {
		t.Fatal(err)
	}
	if p.str("due") != "20261012" || p.str("reason") != "" || p.str("missing") != "" {
		t.Errorf("str: %q %q", p.str("due"), p.str("reason"))
	}
	if got := p.list("materials"); len(got) != 1 || got[0] != "营业执照" {
		t.Errorf("single material: %v", got)
	}
	if got := p.list("list"); len(got) != 1 || got[0] != "健康证明" {
		t.Errorf("mixed list: %v", got)
	}
}

func TestSMSAndEmailText(t *testing.T) {
	c := caseRef{No: "330122202609280001", Item: "食品经营许可（新办）"}
	long := text{Title: "补正通知", Body: strings.Repeat("需要补正的材料很多。", 40), Send: true}
	sms := smsText(long)
	if !strings.HasPrefix(sms, "【一网通办】") || !strings.HasSuffix(sms, "“我的消息”查看。") || utf8.RuneCountInString(sms) > 230 {
		t.Fatalf("SMS (%d runes): %s", utf8.RuneCountInString(sms), sms)
	}
	subject, body := emailText(text{Title: "已受理", Body: "您办理的…已受理。"}, c, "李建国")
	if subject != "【一网通办】已受理：食品经营许可（新办）" {
		t.Fatalf("subject %q", subject)
	}
	for _, h := range []string{"李建国：\n\n您好！", "办件编号：330122202609280001", "办理事项：食品经营许可（新办）", "12345"} {
		if !strings.Contains(body, h) {
			t.Errorf("e-mail body lacks %q:\n%s", h, body)
		}
	}
	if got := clip("一\n二\t三  四", 20); got != "一 二 三 四" {
		t.Errorf("clip joins lines: %q", got)
	}
	if got := dateText("next week"); got != "next week" {
		t.Errorf("dateText keeps what it cannot read: %q", got)
	}
}

func TestIdempotencyKey(t *testing.T) {
	a := idempotencyKey("e1", SMS, "p1")
	if a != idempotencyKey("e1", SMS, "p1") || a == idempotencyKey("e1", Email, "p1") || a == idempotencyKey("e1", SMS, "p2") || a == idempotencyKey("e2", SMS, "p1") {
		t.Fatal("the key is not one per event, channel and person")
	}
	if !strings.HasPrefix(a, "yw-") || len(a) != 35 {
		t.Fatalf("key %q", a)
	}
}

func TestBackoff(t *testing.T) {
	s := &Service{cfg: Config{Backoff: 30e9, MaxBackoff: 300e9}}
	for attempt, want := range map[int]float64{1: 30, 2: 60, 3: 120, 4: 240, 5: 300, 20: 300} {
		if got := s.backoff(attempt).Seconds(); got != want {
			t.Errorf("backoff(%d) = %vs; want %vs", attempt, got, want)
		}
	}
}
