package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"yiwang/internal/pdf"
)

func limitText(l Limit) string {
	if l.Amount == 0 {
		return "即办"
	}
	s := strconv.Itoa(l.Amount) + "个" + LimitUnits[l.Unit]
	if l.Note != "" {
		s += "（" + l.Note + "）"
	}
	return s
}

// GuidePDF renders an item's service guide on as few sheets as possible
// (一次告知): limits, the handling rules (补正, 容缺, 告知承诺, 延期,
// delivery), the materials for the answered situation, conditions,
// process, fees, where and when, legal basis, Q&A.
func GuidePDF(it *Item, deptName string, a Answers) ([]byte, error) {
	d, err := pdf.New(it.Name+" 办事指南", "一网通办 · "+it.Name+" · 第"+strconv.Itoa(it.Version)+"版")
	if err != nil {
		return nil, err
	}
	d.Title(it.Name + " 办事指南")
	d.Para(fmt.Sprintf("实施机关：%s　事项类型：%s　业务办理项编码：%s", deptName, ItemTypes[it.Type], it.Code), 9)

	d.Heading("办理时限与方式")
	d.Field("法定办结时限", limitText(it.LegalLimit))
	d.Field("承诺办结时限", limitText(it.PromisedLimit))
	for _, sp := range it.SpecialProcedures {
		d.Field("特别程序", sp.Name+"，"+limitText(sp.Limit)+"，不计入办理时限")
	}
	visits := "最多跑一次"
	switch {
	case it.Visits == 0:
		visits = "零跑动"
	case it.Visits > 1:
		visits = strconv.Itoa(it.Visits) + "次"
	}
	d.Field("到现场次数", visits)
	d.Field("网办深度", OnlineDepths[it.OnlineDepth])
	d.Field("办件类型", HandlingTypes[it.HandlingType])

	d.Heading("办理规则")
	for _, gr := range it.GuideRules(a) {
		d.Field(gr.Label, gr.Text)
	}

	if len(it.Situations) > 0 {
		var parts []string
		for _, s := range it.Situations {
			ans := "未选择（列出全部可能需要的材料）"
			for _, o := range s.Options {
				if o.ID == a[s.ID] {
					ans = o.Label
				}
			}
			parts = append(parts, s.Question+"："+ans)
		}
		d.Heading("您的情况")
		d.Para(strings.Join(parts, "\n"), 10.5)
	}

	d.Heading("申请材料")
	var rows [][]string
	for i, m := range it.MaterialsFor(a) {
		src := m.Source
		if m.LicenceType != "" {
			src = "免提交：可用电子证照“" + m.LicenceType + "”"
		} else if m.Source == "政府部门核发" {
			src = "免提交：由" + m.Issuer + "核发，部门共享"
		}
		need := m.Necessity
		if need == "容缺" {
			need = "可容缺"
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), m.Name, fmt.Sprintf("%s %d份 %s", m.Type, m.Copies, m.Form), need, src})
	}
	d.Table([]string{"序号", "材料名称", "要求", "必要性", "来源"}, []float64{0.07, 0.36, 0.2, 0.1, 0.27}, rows)

	d.Heading("受理条件")
	d.Para(it.Conditions, 10.5)
	var objs []string
	for _, o := range it.ServiceObjects {
		objs = append(objs, ServiceObjects[o])
	}
	d.Field("服务对象", strings.Join(objs, "、"))

	d.Heading("办理流程")
	for i, s := range it.Process {
		line := fmt.Sprintf("%d. %s", i+1, s.Name)
		if s.Description != "" {
			line += "：" + s.Description
		}
		d.Para(line, 10.5)
	}
	d.Field("办理结果", it.Result.Name)

	d.Heading("收费")
	if it.Fee.Charged {
		for _, f := range it.Fee.Items {
			d.Field(f.Name, f.Standard)
		}
		d.Field("收费依据", it.Fee.Basis)
	} else {
		d.Para("不收费", 10.5)
	}

	d.Heading("办理地点和时间")
	d.Field("办理地点", it.Place)
	d.Field("办理时间", it.Hours)
	d.Field("咨询方式", it.Consult)
	d.Field("监督投诉", it.Complaint)

	d.Heading("设定依据")
	for _, lb := range it.LegalBasis {
		d.Para(strings.TrimSpace(lb.Law+" "+lb.Article), 10.5)
		if lb.Text != "" {
			d.Para(lb.Text, 9)
		}
	}
	if len(it.FAQ) > 0 {
		d.Heading("常见问题")
		for _, qa := range it.FAQ {
			d.Para("问："+qa.Q, 10.5)
			d.Para("答："+qa.A, 10.5)
		}
	}
	return d.Bytes()
}
