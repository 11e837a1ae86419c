package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// payload is an outbox event's JSON as notify reads it: leniently, since
// casework adds keys as it grows. A key of an unexpected type reads as
// absent; only a payload that is not a JSON object is refused.
type payload map[string]any

var errBadPayload = errors.New("payload is not a JSON object")

func parsePayload(raw string) (payload, error) {
	var p payload
	if err := json.Unmarshal([]byte(raw), &p); err != nil || p == nil {
		return nil, errBadPayload
	}
	return p, nil
}

// str is the text of a key (numbers as written), trimmed.
func (p payload) str(key string) string {
	switch v := p[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// list is a key's list of texts; a single text is a list of one.
func (p payload) list(key string) []string {
	var out []string
	switch v := p[key].(type) {
	case string:
		if s := strings.TrimSpace(v); s != "" {
			out = append(out, s)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	}
	return out
}

// text is what an event tells the applicant: a title and the whole
// message. send says whether it also goes out by SMS and e-mail (things
// the applicant must act on or wait for); the rest is told in the app only.
type text struct {
	Title string
	Body  string
	Send  bool
}

// caseRef is what a message names the case by.
type caseRef struct {
	No   string
	Item string
}

func (c caseRef) subject() string {
	if c.No == "" {
		return fmt.Sprintf("您办理的“%s”", c.Item)
	}
	return fmt.Sprintf("您办理的“%s”（办件编号 %s）", c.Item, c.No)
}

// compose is the message of an event; ok is false for events the
// applicant is not told about (case.step, and topics notify does not know).
func compose(topic string, c caseRef, p payload) (t text, ok bool) {
	s := c.subject()
	reason := clip(p.str("reason"), 200)
	due := dateText(p.str("due"))
	materials := strings.Join(p.list("materials"), "、")
	var b strings.Builder
	add := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	because := func(label string) {
		if reason != "" {
			add("%s：%s。", label, strings.TrimRight(reason, "。"))
		}
	}
	send := true
	var title string
	switch topic {
	case "case.submitted":
		title, send = "申请已提交", false
		add("%s已提交，等待受理。", s)
	case "case.accepted":
		title = "已受理"
		add("%s已受理，正在办理。", s)
		if due != "" {
			add("承诺于%s前办结。", due)
		}
	case "case.refused":
		title = "不予受理"
		add("%s不予受理。", s)
		because("原因")
		add("《不予受理通知书》可在“我的办件”中查看。")
	case "case.decided":
		title = decisionTitle(p.str("resultCode"), p.str("result"))
		add("%s已办结，结果：%s。", s, title)
		because("理由")
		switch title {
		case "准予许可", "出证办结":
			add("请留意结果领取或送达的通知。")
		case "不予许可":
			add("如有异议，可依法申请行政复议或提起行政诉讼。")
		}
	case "case.finished":
		if p.str("status") == "delivered" {
			return text{}, false // case.delivered tells it
		}
		title, send = "结果已领取", false
		add("%s的办理结果已领取，办件完成。", s)
	case "case.supplement_requested":
		title = "补正通知"
		add("%s需要补正材料", s)
		if materials != "" {
			add("：%s", materials)
		}
		add("。")
		because("说明")
		if due != "" {
			add("请于%s前", due)
		} else {
			add("请尽快")
		}
		add("在“我的办件”中在线补正，或到窗口提交。补正期间不计入办理时限。")
	case "case.supplemented":
		title, send = "已收到补正材料", false
		add("%s的补正材料已收到，继续办理。", s)
	case "case.unsupplemented":
		title = "补正期满未补正，已办结"
		add("%s在补正期限内未补正材料，已按“补正不来”办结。如仍需办理，请重新申请。", s)
	case "case.special_started":
		title = "进入特别程序"
		add("%s进入特别程序", s)
		if proc := p.str("procedure"); proc != "" {
			add("（%s）", proc)
		}
		add("，特别程序所需时间不计入办理时限。")
		because("事由")
		if due != "" {
			add("预计于%s前结束。", due)
		}
	case "case.special_ended":
		title, send = "特别程序结束", false
		add("%s的特别程序", s)
		if proc := p.str("procedure"); proc != "" {
			add("（%s）", proc)
		}
		add("已结束，恢复计算办理时限。")
		if due != "" {
			add("承诺于%s前办结。", due)
		}
	case "case.extended":
		title = "办理期限延长"
		add("%s的办理期限已依法延长", s)
		if due != "" {
			add("至%s", due)
		}
		add("。")
		because("原因")
	case "case.withdrawn":
		title, send = "申请已撤回", false
		add("%s已撤回。", s)
	case "case.voided":
		title = "办件已作废"
		add("%s已作废。", s)
		because("原因")
	case "case.ready":
		if p.str("delivery") == "online" {
			title = "结果可下载"
			add("%s的办理结果已电子送达，请登录一网通办在“我的办件”中查看下载。", s)
			break
		}
		title = "结果可领取"
		add("%s的办理结果已可领取，请携带本人有效身份证件到窗口领取。", s)
	case "case.posted":
		title = "结果已邮寄"
		add("%s的办理结果已", s)
		if carrier := p.str("carrier"); carrier != "" {
			add("通过%s", carrier)
		}
		add("寄出")
		if no := p.str("trackingNo"); no != "" {
			add("，运单号 %s", no)
		}
		add("。")
	case "case.delivered":
		title, send = "结果已送达", false
		add("%s的办理结果已送达。", s)
	case "case.tolerance_reminder":
		title = "容缺材料补交提醒"
		add("%s为容缺受理", s)
		if due != "" {
			add("，请于%s前补交", due)
		} else {
			add("，请尽快补交")
		}
		if materials != "" {
			add("：%s", materials)
		}
		add("。逾期未补交的，按您签署的承诺书处理。")
	case "case.tolerance_completed":
		title, send = "容缺材料已补齐", false
		add("%s的容缺材料已补齐。", s)
	case "case.revoked":
		title = "审批结果已撤销"
		add("%s经事中事后核查不符合所作承诺，审批结果已依法撤销。", s)
		because("原因")
	case "licence.revoked":
		title = "电子证照已注销"
		add("%s签发的电子证照“%s”（证照编号 %s）已被%s注销", s, clip(p.str("licence"), 40), clip(p.str("number"), 40), clip(p.str("issuer"), 60))
		if reason != "" {
			add("，原因：%s", strings.TrimRight(reason, "。"))
		}
		add("。此后核验将显示为已注销；如有疑问，请联系发证机关。")
	default: // case.step, case.extension_requested (for staff), and topics notify does not know
		return text{}, false
	}
	return text{Title: title, Body: b.String(), Send: send}, true
}

// decisionTitle names a decision by its national result code.
func decisionTitle(code, result string) string {
	switch code {
	case "6":
		return "准予许可"
	case "0":
		return "出证办结"
	case "7":
		return "不予许可"
	case "1":
		return "退回办结"
	case "2":
		return "作废办结"
	case "5":
		return "补正不来办结"
	}
	if result == "approved" {
		return "准予办理"
	}
	return "已办结"
}

// dateText writes a YYYY-MM-DD date the way people read it ("2026年10月9日");
// anything else is shown as it came.
func dateText(s string) string {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return clip(s, 20)
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day())
}

// clip keeps at most n runes of s on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// Signature heads every SMS (短信签名) and every e-mail subject.
const Signature = "【一网通办】"

// smsText is the SMS of a message: the signature and the message, cut so
// it fits in a few segments, ending with where to read the rest.
func smsText(t text) string {
	const more = "详情请登录一网通办“我的消息”查看。"
	return Signature + clip(t.Body, 180) + more
}

// emailText is the subject and plain-text body of a message's e-mail.
func emailText(t text, c caseRef, name string) (subject, body string) {
	subject = Signature + t.Title + "：" + c.Item
	var b strings.Builder
	if name != "" {
		fmt.Fprintf(&b, "%s：\n\n", name)
	}
	b.WriteString("您好！" + t.Body + "\n\n")
	if c.No != "" {
		fmt.Fprintf(&b, "办件编号：%s\n", c.No)
	}
	fmt.Fprintf(&b, "办理事项：%s\n\n", c.Item)
	b.WriteString("请登录一网通办，在“我的消息”和“我的办件”中查看详情。\n\n")
	b.WriteString("此邮件由系统自动发送，请勿直接回复。咨询投诉请拨打 12345。\n")
	return subject, b.String()
}
