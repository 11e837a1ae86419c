package catalog

import (
	"strings"
	"testing"
)

func TestGuideRulesSayTheRules(t *testing.T) {
	text := func(it Item, a Answers) map[string]string {
		out := map[string]string{}
		for _, r := range it.GuideRules(a) {
			out[r.ID] = r.Label + "：" + r.Text
		}
		return out
	}
	// Defaults: 15 working days, clock stopped, 10 days for 容缺, result held, delivery at the window and by (free) post.
	got := text(sampleItem(), Answers{})
	for id, want := range map[string]string{
		"supplement":  "补正期限：材料不齐全或不符合要求的，一次性告知需要补正的全部内容；请在收到补正通知之日起15个工作日内补正，逾期未补正的按“补正不来”办结。补正期间不计算在办理时限内。",
		"tolerance":   "容缺受理：可容缺的材料：经营场所平面图。签署容缺承诺书、写明补交日期即可先行受理，容缺材料须在承诺之日起10个工作日内补齐；容缺材料补齐前暂缓发放结果。",
		"pledge":      "告知承诺制：申请人阅读承诺内容并书面承诺符合条件的，可选择告知承诺方式办理，在1个工作日内作出决定。",
		"pledge-text": "承诺内容：有与经营的食品品种、数量相适应的经营场所。",
		"post-check":  "事中事后核查：作出决定后2个月内核查承诺是否属实；承诺不实的，撤销办理结果并记录违诺情况。",
		"delivery":    "结果送达方式：窗口领取、邮寄送达（免费邮寄），申请时可选择。",
	} {
		if got[id] != want {
			t.Errorf("%s:\n got %q\nwant %q", id, got[id], want)
		}
	}
	if _, ok := got["extension"]; ok {
		t.Error("an item without extension says it can be extended")
	}
	// Set rules are said as set.
	got = text(ruledItem(), Answers{"kind": "change"})
	for id, want := range map[string]string{
		"supplement":  "5个工作日内补正，逾期未补正的按“补正不来”办结。补正材料收到之日起重新计算办理时限。",
		"tolerance":   "您所选情形下没有可容缺的材料",
		"pledge":      "可选择告知承诺方式办理，当场作出决定。",
		"pledge-text": "承诺内容：承诺经营场所符合要求。",
		"post-check":  "作出决定后3个月内核查",
		"extension":   "延期：因情况复杂不能在办理时限内办结的，经审批人员批准可延长10个工作日",
		"delivery":    "结果送达方式：电子送达、窗口领取、邮寄送达（免费邮寄），申请时可选择。",
	} {
		if !strings.Contains(got[id], want) {
			t.Errorf("%s: %q lacks %q", id, got[id], want)
		}
	}
	// An item that is neither 容缺 nor 告知承诺 says nothing about them.
	it := sampleItem()
	it.Flags = Flags{}
	got = text(it, nil)
	if len(got) != 2 || got["delivery"] != "结果送达方式：窗口领取。" {
		t.Errorf("plain item: %v", got)
	}
}
