package catalog

import (
	"fmt"
	"strings"

	"yiwang/internal/identity"
)

// GuideRule is one of an item's handling rules as its service guide says
// it to the applicant, in plain words.
type GuideRule struct {
	ID    string // stable anchor: supplement, tolerance, pledge, pledge-text, post-check, extension, delivery
	Label string // e.g. 补正期限
	Text  string
}

// GuideRules are the item's rules with their defaults filled in
// (EffectiveRules), said as the guide page and the printed guide
// (一次告知) say them. The 容缺 line names the tolerable materials of the
// answered situation (every possible one while unanswered). Special
// procedures are part of the limits and are not repeated here.
func (it *Item) GuideRules(a Answers) []GuideRule {
	r := it.EffectiveRules()
	out := []GuideRule{{ID: "supplement", Label: "补正期限", Text: fmt.Sprintf(
		"材料不齐全或不符合要求的，一次性告知需要补正的全部内容；请在收到补正通知之日起%s内补正，逾期未补正的按“补正不来”办结。%s。",
		limitText(r.SupplementLimit), SupplementClocks[r.SupplementClock])}}

	if it.Flags.Tolerance {
		var names []string
		for _, m := range it.MaterialsFor(a) {
			if m.Necessity == "容缺" {
				names = append(names, m.Name)
			}
		}
		text := "您所选情形下没有可容缺的材料，须材料齐全后受理。"
		if len(names) > 0 {
			text = fmt.Sprintf("可容缺的材料：%s。签署容缺承诺书、写明补交日期即可先行受理，容缺材料须在承诺之日起%d个工作日内补齐；%s。",
				strings.Join(names, "、"), r.ToleranceDays, ToleranceResults[r.ToleranceResult])
		}
		out = append(out, GuideRule{ID: "tolerance", Label: "容缺受理", Text: text})
	}

	if it.Flags.Pledge {
		decide := "在" + limitText(r.PledgeLimit) + "内作出决定"
		if r.PledgeLimit.Amount == 0 {
			decide = "当场作出决定"
		}
		out = append(out,
			GuideRule{ID: "pledge", Label: "告知承诺制", Text: "申请人阅读承诺内容并书面承诺符合条件的，可选择告知承诺方式办理，" + decide + "。"},
			GuideRule{ID: "pledge-text", Label: "承诺内容", Text: r.PledgeText},
			GuideRule{ID: "post-check", Label: "事中事后核查", Text: fmt.Sprintf(
				"作出决定后%s内核查承诺是否属实；承诺不实的，撤销办理结果并记录违诺情况。", limitText(r.PostCheckLimit))})
	}

	if r.Extension > 0 {
		role := identity.RoleNames[identity.Role(r.ExtensionRole)]
		if role == "" {
			role = r.ExtensionRole
		}
		out = append(out, GuideRule{ID: "extension", Label: "延期", Text: fmt.Sprintf(
			"因情况复杂不能在办理时限内办结的，经%s批准可延长%d个工作日，并告知申请人延长理由和新的办结期限。", role, r.Extension)})
	}

	var ways []string
	for _, d := range r.Delivery {
		name := DeliveryMethods[d]
		if d == "post" && it.Flags.FreeMail {
			name += "（免费邮寄）"
		}
		ways = append(ways, name)
	}
	text := strings.Join(ways, "、")
	if len(ways) > 1 {
		text += "，申请时可选择"
	}
	out = append(out, GuideRule{ID: "delivery", Label: "结果送达方式", Text: text + "。"})
	return out
}
