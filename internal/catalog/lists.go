package catalog

// List is a published 清单: a named selection of items derived from their
// attributes, never maintained by hand, so it cannot drift from the items.
type List struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Desc  string `json:"description"`
	match func(*Item) bool
}

// Lists are the 清单 the seeds name, in display order.
var Lists = []List{
	{"power", "行政权力事项", "行政许可、处罚、强制、征收、给付、检查、确认、奖励、裁决及其他行政权力", func(it *Item) bool { return it.Type >= "01" && it.Type <= "10" }},
	{"public-service", "公共服务事项", "面向个人和企业的公共服务", func(it *Item) bool { return it.Type == "20" }},
	{"licensing", "行政许可事项", "依申请的行政许可", func(it *Item) bool { return it.Type == "01" }},
	{"filing", "行政备案事项", "行政备案", func(it *Item) bool { return it.Type == "21" }},
	{"at-most-once", "最多跑一次", "到现场不超过一次（一次跑）", func(it *Item) bool { return it.Visits <= 1 }},
	{"zero-visit", "零跑动", "无需到现场（零次跑）", func(it *Item) bool { return it.Visits == 0 }},
	{"immediate", "马上办", "当场办结（四办之一）", func(it *Item) bool { return it.Flags.Immediate }},
	{"online", "网上办", "可在线申请（网办深度三级及以上，四办之一）", func(it *Item) bool { return it.OnlineDepth >= 3 }},
	{"nearby", "就近办", "可在乡镇（街道）便民服务中心办理（四办之一）", func(it *Item) bool { return it.Flags.Nearby }},
	{"once", "一次办", "一次办结（四办之一）", func(it *Item) bool { return it.Visits <= 1 }},
	{"full-online", "全程网办", "申请、受理、审批、送达全流程在线（网办深度四级）", func(it *Item) bool { return it.OnlineDepth == 4 }},
	{"instant", "即办件", "受理后当场或一个工作日内办结", func(it *Item) bool { return it.HandlingType == "1" }},
	{"city-wide", "全市通办", "全市范围内任一窗口可办", func(it *Item) bool {
		return it.Flags.CityWide || it.Scope == "city" || it.Scope == "province" || it.Scope == "nation"
	}},
	{"cross-province", "跨省通办", "可跨省异地办理", func(it *Item) bool { return it.Flags.CrossProvince || it.Scope == "nation" }},
	{"pledge", "告知承诺制", "申请人书面承诺符合条件即可办理", func(it *Item) bool { return it.Flags.Pledge }},
	{"tolerance", "容缺受理", "非关键材料缺失时可先行受理", func(it *Item) bool { return it.Flags.Tolerance }},
	{"proof", "证明事项", "需要或涉及证明材料的事项", func(it *Item) bool { return it.Flags.Proof }},
	{"intermediary", "中介服务事项", "办理过程涉及中介服务", func(it *Item) bool { return it.Intermediary != "" }},
	{"free-mail", "免费邮寄", "办理结果免费寄送", func(it *Item) bool { return it.Flags.FreeMail }},
	{"high-frequency", "高频事项", "办件量大的事项", func(it *Item) bool { return it.Flags.HighFrequency }},
	{"in-hall", "进驻大厅事项", "进驻政务服务中心办理", func(it *Item) bool { return it.Flags.InHall }},
	{"appointment", "可预约事项", "支持预约办理", func(it *Item) bool { return it.Flags.Appointment }},
	{"kiosk", "自助办事项", "可在自助终端办理", func(it *Item) bool { return it.Flags.Kiosk }},
}

// ListBySlugOrName finds a list by its slug or Chinese name.
func ListBySlugOrName(s string) (*List, bool) {
	for i := range Lists {
		if Lists[i].Slug == s || Lists[i].Name == s {
			return &Lists[i], true
		}
	}
	return nil, false
}

// In reports whether it belongs to the list.
func (l *List) In(it *Item) bool { return l.match(it) }

// ListsOf returns the slugs of every list the item belongs to.
func ListsOf(it *Item) []string {
	var out []string
	for i := range Lists {
		if Lists[i].match(it) {
			out = append(out, Lists[i].Slug)
		}
	}
	return out
}
