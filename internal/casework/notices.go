package casework

import (
	"context"
	"fmt"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/calendar"
	"yiwang/internal/identity"
	"yiwang/internal/pdf"
)

// NoticeKinds are the documents a case can print (文书), by the name used
// in URLs.
var NoticeKinds = map[string]string{
	"receipt":    "收件回执",
	"acceptance": "受理通知书",
	"refusal":    "不予受理通知书",
	"decision":   "办结通知书",
	"supplement": "补正材料通知书（一次性告知）",
	"tolerance":  "容缺受理承诺书",
	"pledge":     "告知承诺书",
	"revocation": "撤销行政许可决定书",
}

func cnDate(t time.Time) string {
	d := calendar.DateOf(t)
	return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
}

func cnTime(t time.Time) string {
	return t.In(calendar.Shanghai).Format("2006年1月2日 15:04")
}

// Notice renders one of a case's documents as PDF for someone who may see
// the case. A notice that does not fit the case yet (an acceptance notice
// before acceptance) is a Conflict.
func (s *Service) Notice(ctx context.Context, actor *identity.Principal, ref, kind string) ([]byte, string, error) {
	title, ok := NoticeKinds[kind]
	if !ok {
		return nil, "", apperr.Newf(apperr.NotFound, "没有名为 %q 的文书", kind)
	}
	c, err := s.Get(ctx, actor, ref)
	if err != nil {
		return nil, "", err
	}
	switch {
	case c.No == "":
		return nil, "", apperr.New(apperr.Conflict, "草稿尚未提交，没有文书")
	case kind == "acceptance" && c.AcceptedAt == nil:
		return nil, "", apperr.New(apperr.Conflict, "办件尚未受理，不能出具受理通知书")
	case kind == "refusal" && c.Status != StatusRefused:
		return nil, "", apperr.New(apperr.Conflict, "办件未被不予受理，没有不予受理通知书")
	case kind == "decision" && c.DecidedAt == nil:
		return nil, "", apperr.New(apperr.Conflict, "办件尚未办结")
	case kind == "supplement" && lastSupplement(c) == nil:
		return nil, "", apperr.New(apperr.Conflict, "办件没有补正告知")
	case (kind == "tolerance" || kind == "pledge") && pledgeOf(c, kind) == nil:
		return nil, "", apperr.New(apperr.Conflict, "办件没有这份承诺书")
	case kind == "revocation" && c.RevokedAt == nil:
		return nil, "", apperr.New(apperr.Conflict, "办件的决定未被撤销")
	}
	d, err := pdf.New(title, "一网通办 · 办件编号 "+c.No)
	if err != nil {
		return nil, "", err
	}
	dept := c.Department.Name
	d.Title(title)
	d.Right("编号："+c.No, 9)
	d.Space(8)
	who := c.Applicant.Name
	if c.Applicant.Kind == "company" {
		who += "（单位）"
	}
	switch kind {
	case "receipt":
		d.Field("办件编号", c.No)
		d.Field("申请事项", c.Item.Name)
		d.Field("实施机关", dept)
		d.Field("申请人", who)
		if c.Applicant.IDMasked != "" {
			d.Field("公民身份号码", c.Applicant.IDMasked)
		}
		d.Field("申办渠道", c.ChannelName)
		if c.SubmittedAt != nil {
			d.Field("提交时间", cnTime(*c.SubmittedAt))
		}
		d.Field("查询密码", passwordLine(c))
		d.Heading("已收材料")
		var rows [][]string
		for i, m := range c.Materials {
			got := "未提交"
			if len(m.Files) > 0 {
				got = fmt.Sprintf("电子件 %d 份", len(m.Files))
			} else if m.Source == "政府部门核发" {
				got = "由部门共享获取，免提交"
			}
			rows = append(rows, []string{fmt.Sprint(i + 1), m.Name, m.Necessity, got})
		}
		d.Table([]string{"序号", "材料名称", "必要性", "收取情况"}, []float64{0.08, 0.52, 0.14, 0.26}, rows)
		d.Para("本回执仅证明已收到您的申请材料，不代表已受理。受理与否将在1个工作日内告知。可凭办件编号和查询密码在一网通办网站、自助终端或拨打12345查询办理进度。", 10)
	case "acceptance":
		d.Para(who+"：", 11)
		d.Para(fmt.Sprintf("　　你（单位）于%s提出的“%s”申请，经审查，申请材料齐全、符合法定形式，根据《中华人民共和国行政许可法》第三十二条的规定，决定予以受理。", cnDate(derefTime(c.SubmittedAt)), c.Item.Name), 11)
		if p := c.Deadline.Promised; p != nil {
			d.Para(fmt.Sprintf("　　本机关承诺自受理之日起%s内作出决定，预计办结日期为%s。法定节假日不计入期限；依法需要听证、检验、检测、专家评审的，所需时间不计入期限。", p.Limit, p.Due), 11)
		}
		d.Para("　　可凭办件编号和查询密码（"+passwordLine(c)+"）随时查询办理进度。", 11)
	case "refusal":
		reason := lastComment(c)
		d.Para(who+"：", 11)
		d.Para(fmt.Sprintf("　　你（单位）于%s提出的“%s”申请，经审查，不予受理。理由如下：", cnDate(derefTime(c.SubmittedAt)), c.Item.Name), 11)
		d.Para("　　"+reason, 11)
		d.Para(fmt.Sprintf("　　如不服本决定，可以自收到本通知书之日起六十日内向%s的上一级主管部门或桐庐县人民政府申请行政复议，也可以自收到本通知书之日起六个月内依法向人民法院提起行政诉讼。", dept), 11)
	case "supplement":
		sp := lastSupplement(c)
		d.Para(who+"：", 11)
		d.Para(fmt.Sprintf("　　你（单位）于%s提出的“%s”申请（办件编号 %s），经审查，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条的规定，现一次性告知你（单位）需要补正的全部内容如下：", cnDate(derefTime(c.SubmittedAt)), c.Item.Name, c.No), 11)
		var rows [][]string
		for i, m := range sp.Materials {
			rows = append(rows, []string{fmt.Sprint(i + 1), m.Name, m.Reason})
		}
		d.Table([]string{"序号", "需补正的材料", "补正原因及要求"}, []float64{0.08, 0.42, 0.5}, rows)
		if sp.Reason != "" {
			d.Para("　　其他说明："+sp.Reason, 11)
		}
		d.Para(fmt.Sprintf("　　请于%s前通过一网通办网上补正，或到政务服务中心综合窗口提交补正材料。补正期间不计入办理时限；逾期未补正的，视为放弃申请，按“补正不来”办结。", sp.Due), 11)
	case "tolerance", "pledge":
		p := pledgeOf(c, kind)
		d.Para("　　"+p.Text, 11)
		d.Space(6)
		how := "本人通过一网通办实名账号在线签署"
		if p.How == "paper" {
			how = "本人于综合窗口当场书面签署"
		}
		d.Field("承诺人", p.Signer)
		d.Field("签署方式", how)
		d.Field("签署时间", cnTime(p.SignedAt))
		d.Field("承诺书摘要（SHA-256）", p.Digest)
		if p.BrokenAt != nil {
			d.Para(fmt.Sprintf("　　经核查，承诺人未履行上述承诺（%s）：%s", cnDate(*p.BrokenAt), p.BrokenReason), 11)
		}
	case "revocation":
		d.Para(who+"：", 11)
		d.Para(fmt.Sprintf("　　你（单位）以告知承诺方式申请的“%s”（办件编号 %s），本机关已于%s依承诺作出准予决定。经事中事后核查，你（单位）的实际情况与承诺内容不符：", c.Item.Name, c.No, cnDate(derefTime(c.DecidedAt))), 11)
		d.Para("　　"+c.RevokeReason, 11)
		d.Para("　　根据《中华人民共和国行政许可法》第六十九条及告知承诺制的有关规定，决定撤销该准予决定，并将虚假承诺的情况记入信用记录。如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，或者六个月内依法向人民法院提起行政诉讼。", 11)
	case "decision":
		d.Para(who+"：", 11)
		result := c.ResultName
		d.Para(fmt.Sprintf("　　你（单位）于%s提出的“%s”申请，已于%s办结，办理结果：%s（%s）。", cnDate(derefTime(c.SubmittedAt)), c.Item.Name, cnDate(derefTime(c.DecidedAt)), result, ResultCodeNames[c.ResultCode]), 11)
		if c.Result != "approved" {
			if reason := lastComment(c); reason != "" {
				d.Para("　　理由："+reason, 11)
			}
			d.Para("　　如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，或者六个月内依法向人民法院提起行政诉讼。", 11)
		} else {
			switch c.Delivery.Method {
			case "post":
				d.Para("　　办理结果将免费邮寄至您指定的地址："+c.Delivery.Address+"。寄出后将以短信告知运单号。", 11)
			case "online":
				d.Para("　　办理结果已电子送达，可在一网通办“我的证照”中查看、下载，与纸质结果具有同等效力。", 11)
			default:
				d.Para("　　请到政务服务中心综合出件窗口领取办理结果，领取时请携带本人有效身份证件；委托他人领取的，另带授权委托书和受托人身份证件。", 11)
			}
			if c.Delivery.Held {
				d.Para("　　您以容缺方式申请，承诺的材料补齐前，办理结果暂缓发放。", 11)
			}
			for _, l := range c.Licences {
				d.Para(fmt.Sprintf("　　电子证照“%s”（证照编号 %s）已签发，可在一网通办“我的证照”中查看、亮证和下载，与纸质证照具有同等效力；扫描证照上的二维码即可核验真伪。", l.TypeName, l.Number), 11)
			}
		}
	}
	d.Space(24)
	d.Right(dept+"（印章）", 11)
	at := c.CreatedAt
	switch {
	case kind == "acceptance" && c.AcceptedAt != nil:
		at = *c.AcceptedAt
	case kind == "refusal" || kind == "decision":
		at = derefTime(c.DecidedAt)
	case kind == "revocation":
		at = *c.RevokedAt
	case kind == "supplement":
		at = lastSupplement(c).StartedAt
	case c.SubmittedAt != nil:
		at = *c.SubmittedAt
	}
	d.Right(cnDate(at), 11)
	b, err := d.Bytes()
	if err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("%s-%s.pdf", title, c.No), nil
}

func passwordLine(c *Case) string {
	if c.QueryPassword == "" {
		return "（仅申请人可见）"
	}
	return c.QueryPassword
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// lastComment is the reason given with the decision.
func lastComment(c *Case) string {
	for i := len(c.Timeline) - 1; i >= 0; i-- {
		e := c.Timeline[i]
		if e.Comment != "" && (e.To == StatusRefused || e.To == StatusClosed) {
			return e.Comment
		}
	}
	return ""
}

// lastSupplement is the case's latest 补正 notice.
func lastSupplement(c *Case) *ProcedureView {
	for i := len(c.Procedures) - 1; i >= 0; i-- {
		if c.Procedures[i].Kind == "supplement" {
			return &c.Procedures[i]
		}
	}
	return nil
}

func pledgeOf(c *Case, kind string) *PledgeView {
	for i := range c.Pledges {
		if c.Pledges[i].Kind == kind {
			return &c.Pledges[i]
		}
	}
	return nil
}
