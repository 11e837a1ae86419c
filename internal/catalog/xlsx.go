package catalog

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"yiwang/internal/apperr"
)

// The spreadsheet form of the exchange file: one sheet of items (one row
// each) and one sheet per repeated element, joined by the item's row
// number (事项序号), so a maintainer can edit it in any spreadsheet
// program and a provincial system can produce it. Export and import are
// exact inverses.

// col maps one spreadsheet column to a field.
type col[T any] struct {
	head string
	get  func(*T) string
	set  func(*T, string) error
}

func strCol[T any](head string, p func(*T) *string) col[T] {
	return col[T]{head, func(t *T) string { return *p(t) }, func(t *T, v string) error { *p(t) = v; return nil }}
}

func intCol[T any](head string, p func(*T) *int) col[T] {
	return col[T]{head, func(t *T) string { return strconv.Itoa(*p(t)) }, func(t *T, v string) error {
		if v == "" {
			*p(t) = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("应为整数，而不是 %q", v)
		}
		*p(t) = n
		return nil
	}}
}

func boolCol[T any](head string, p func(*T) *bool) col[T] {
	return col[T]{head, func(t *T) string {
		if *p(t) {
			return "是"
		}
		return "否"
	}, func(t *T, v string) error {
		switch strings.ToLower(v) {
		case "是", "y", "yes", "true", "1":
			*p(t) = true
		case "否", "n", "no", "false", "0", "":
			*p(t) = false
		default:
			return fmt.Errorf("应为“是”或“否”，而不是 %q", v)
		}
		return nil
	}}
}

// listSep separates list values inside one cell: a line break, since
// names themselves often contain 、 or ，. Reading also accepts ；.
const listSep = "\n"

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '；' || r == ';' })
}

func listCol[T any](head string, p func(*T) *[]string) col[T] {
	return col[T]{head, func(t *T) string { return strings.Join(*p(t), listSep) }, func(t *T, v string) error {
		*p(t) = nil
		for _, part := range splitList(v) {
			if s := strings.TrimSpace(part); s != "" {
				*p(t) = append(*p(t), s)
			}
		}
		return nil
	}}
}

// blankZero writes 0 as an empty cell, for numbers whose 0 means "the
// default"; an empty cell reads back as 0.
func blankZero[T any](c col[T]) col[T] {
	get := c.get
	c.get = func(t *T) string {
		if v := get(t); v != "0" {
			return v
		}
		return ""
	}
	return c
}

// ruleLimitCols are the amount and unit columns of a rule's limit, both
// empty for the zero limit (the default).
func ruleLimitCols(head string, p func(*Item) *Limit) []col[Item] {
	amount := intCol(head, func(i *Item) *int { return &p(i).Amount })
	get := amount.get
	amount.get = func(i *Item) string {
		if *p(i) == (Limit{}) {
			return ""
		}
		return get(i)
	}
	return []col[Item]{amount, strCol(head+"单位", func(i *Item) *string { return &p(i).Unit })}
}

// ruleCols are the item's rules (Rules). A workbook without them (written
// before they existed) reads as an item with the default rules.
var ruleCols = slices.Concat(
	ruleLimitCols("补正期限", func(i *Item) *Limit { return &i.Rules.SupplementLimit }),
	[]col[Item]{
		strCol("补正计时规则", func(i *Item) *string { return &i.Rules.SupplementClock }),
		strCol("容缺结果发放规则", func(i *Item) *string { return &i.Rules.ToleranceResult }),
		blankZero(intCol("容缺补交期限（工作日）", func(i *Item) *int { return &i.Rules.ToleranceDays })),
		strCol("承诺内容", func(i *Item) *string { return &i.Rules.PledgeText }),
	},
	ruleLimitCols("告知承诺办理时限", func(i *Item) *Limit { return &i.Rules.PledgeLimit }),
	[]col[Item]{strCol("告知承诺流程", func(i *Item) *string { return &i.Rules.PledgeWorkflow })},
	ruleLimitCols("核查时限", func(i *Item) *Limit { return &i.Rules.PostCheckLimit }),
	[]col[Item]{
		blankZero(intCol("可延期（工作日）", func(i *Item) *int { return &i.Rules.Extension })),
		strCol("延期审批角色", func(i *Item) *string { return &i.Rules.ExtensionRole }),
		listCol("送达方式", func(i *Item) *[]string { return &i.Rules.Delivery }),
	},
)

// itemCols are every column of the items sheet: the item's own, then its rules.
var itemCols = slices.Concat(itemOwnCols, ruleCols)

var itemOwnCols = []col[Item]{
	strCol("业务办理项编码", func(i *Item) *string { return &i.Code }),
	strCol("实施编码", func(i *Item) *string { return &i.ImplCode }),
	strCol("基本编码", func(i *Item) *string { return &i.BaseCode }),
	strCol("事项名称", func(i *Item) *string { return &i.Name }),
	strCol("主项名称", func(i *Item) *string { return &i.MainItem }),
	strCol("子项名称", func(i *Item) *string { return &i.SubItem }),
	listCol("别名", func(i *Item) *[]string { return &i.Aliases }),
	listCol("关键词", func(i *Item) *[]string { return &i.Keywords }),
	strCol("事项类型", func(i *Item) *string { return &i.Type }),
	strCol("行使层级", func(i *Item) *string { return &i.Level }),
	strCol("权力来源", func(i *Item) *string { return &i.PowerSource }),
	strCol("实施机关", func(i *Item) *string { return &i.Department }),
	strCol("委托部门", func(i *Item) *string { return &i.Entrusted }),
	strCol("行政区划", func(i *Item) *string { return &i.Region }),
	strCol("受理条件", func(i *Item) *string { return &i.Conditions }),
	listCol("服务对象", func(i *Item) *[]string { return &i.ServiceObjects }),
	strCol("办件类型", func(i *Item) *string { return &i.HandlingType }),
	intCol("法定时限", func(i *Item) *int { return &i.LegalLimit.Amount }),
	strCol("法定时限单位", func(i *Item) *string { return &i.LegalLimit.Unit }),
	strCol("法定时限说明", func(i *Item) *string { return &i.LegalLimit.Note }),
	intCol("承诺时限", func(i *Item) *int { return &i.PromisedLimit.Amount }),
	strCol("承诺时限单位", func(i *Item) *string { return &i.PromisedLimit.Unit }),
	strCol("承诺时限说明", func(i *Item) *string { return &i.PromisedLimit.Note }),
	boolCol("是否收费", func(i *Item) *bool { return &i.Fee.Charged }),
	strCol("收费依据", func(i *Item) *string { return &i.Fee.Basis }),
	strCol("办理地点", func(i *Item) *string { return &i.Place }),
	strCol("办理时间", func(i *Item) *string { return &i.Hours }),
	strCol("咨询方式", func(i *Item) *string { return &i.Consult }),
	strCol("监督投诉方式", func(i *Item) *string { return &i.Complaint }),
	intCol("到现场次数", func(i *Item) *int { return &i.Visits }),
	intCol("网办深度", func(i *Item) *int { return &i.OnlineDepth }),
	strCol("通办范围", func(i *Item) *string { return &i.Scope }),
	strCol("联办机构", func(i *Item) *string { return &i.JointOrgans }),
	strCol("中介服务", func(i *Item) *string { return &i.Intermediary }),
	boolCol("进驻大厅", func(i *Item) *bool { return &i.Flags.InHall }),
	boolCol("支持预约", func(i *Item) *bool { return &i.Flags.Appointment }),
	boolCol("网上支付", func(i *Item) *bool { return &i.Flags.OnlinePayment }),
	boolCol("物流快递", func(i *Item) *bool { return &i.Flags.Express }),
	boolCol("免费邮寄", func(i *Item) *bool { return &i.Flags.FreeMail }),
	boolCol("自助终端", func(i *Item) *bool { return &i.Flags.Kiosk }),
	boolCol("马上办", func(i *Item) *bool { return &i.Flags.Immediate }),
	boolCol("就近办", func(i *Item) *bool { return &i.Flags.Nearby }),
	boolCol("全市通办", func(i *Item) *bool { return &i.Flags.CityWide }),
	boolCol("跨省通办", func(i *Item) *bool { return &i.Flags.CrossProvince }),
	boolCol("告知承诺制", func(i *Item) *bool { return &i.Flags.Pledge }),
	boolCol("容缺受理", func(i *Item) *bool { return &i.Flags.Tolerance }),
	boolCol("证明事项", func(i *Item) *bool { return &i.Flags.Proof }),
	boolCol("高频事项", func(i *Item) *bool { return &i.Flags.HighFrequency }),
	strCol("结果类型", func(i *Item) *string { return &i.Result.Type }),
	strCol("结果名称", func(i *Item) *string { return &i.Result.Name }),
	strCol("结果证照类型", func(i *Item) *string { return &i.Result.LicenceType }),
	strCol("结果样本说明", func(i *Item) *string { return &i.Result.Sample }),
	strCol("申请表", func(i *Item) *string { return &i.Form }),
	strCol("流程定义", func(i *Item) *string { return &i.Workflow }),
	listCol("主题", func(i *Item) *[]string { return &i.Themes }),
	strCol("生效日期", func(i *Item) *string { return &i.EffectiveFrom }),
}

var basisCols = []col[LegalBasis]{
	strCol("法律法规名称", func(b *LegalBasis) *string { return &b.Law }),
	strCol("条款号", func(b *LegalBasis) *string { return &b.Article }),
	strCol("条款内容", func(b *LegalBasis) *string { return &b.Text }),
}

var specialCols = []col[SpecialProcedure]{
	strCol("名称", func(s *SpecialProcedure) *string { return &s.Name }),
	intCol("时限", func(s *SpecialProcedure) *int { return &s.Limit.Amount }),
	strCol("单位", func(s *SpecialProcedure) *string { return &s.Limit.Unit }),
	strCol("说明", func(s *SpecialProcedure) *string { return &s.Description }),
}

var feeCols = []col[FeeItem]{
	strCol("收费项目", func(f *FeeItem) *string { return &f.Name }),
	strCol("收费标准", func(f *FeeItem) *string { return &f.Standard }),
}

var stepCols = []col[Step]{
	strCol("环节", func(s *Step) *string { return &s.Name }),
	strCol("说明", func(s *Step) *string { return &s.Description }),
}

var situationCols = []col[Situation]{
	strCol("问题标识", func(s *Situation) *string { return &s.ID }),
	strCol("问题", func(s *Situation) *string { return &s.Question }),
	{"选项（每行一个：标识=名称）", func(s *Situation) string {
		var parts []string
		for _, o := range s.Options {
			parts = append(parts, o.ID+"="+o.Label)
		}
		return strings.Join(parts, listSep)
	}, func(s *Situation, v string) error {
		s.Options = nil
		for _, part := range splitList(v) {
			id, label, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				return fmt.Errorf("选项 %q 应写成 标识=名称", part)
			}
			s.Options = append(s.Options, Option{ID: strings.TrimSpace(id), Label: strings.TrimSpace(label)})
		}
		return nil
	}},
}

var materialCols = []col[Material]{
	strCol("材料标识", func(m *Material) *string { return &m.ID }),
	strCol("材料名称", func(m *Material) *string { return &m.Name }),
	strCol("材料类型", func(m *Material) *string { return &m.Type }),
	strCol("材料形式", func(m *Material) *string { return &m.Form }),
	strCol("必要性", func(m *Material) *string { return &m.Necessity }),
	intCol("份数", func(m *Material) *int { return &m.Copies }),
	strCol("规格", func(m *Material) *string { return &m.Spec }),
	strCol("来源渠道", func(m *Material) *string { return &m.Source }),
	strCol("核发部门", func(m *Material) *string { return &m.Issuer }),
	strCol("证照类型", func(m *Material) *string { return &m.LicenceType }),
	boolCol("有空白表格", func(m *Material) *bool { return &m.BlankForm }),
	strCol("填报说明", func(m *Material) *string { return &m.Notes }),
	strCol("受理标准", func(m *Material) *string { return &m.Standard }),
	strCol("签字要求", func(m *Material) *string { return &m.Signature }),
	listCol("适用情形", func(m *Material) *[]string { return &m.When }),
}

var qaCols = []col[QA]{
	strCol("问题", func(q *QA) *string { return &q.Q }),
	strCol("回答", func(q *QA) *string { return &q.A }),
}

func fieldCols() []col[Field] {
	num := func(head string, p func(*Field) **float64) col[Field] {
		return col[Field]{head, func(f *Field) string {
			v := *p(f)
			if v == nil {
				return ""
			}
			return strconv.FormatFloat(*v, 'f', -1, 64)
		}, func(f *Field, v string) error {
			if v == "" {
				*p(f) = nil
				return nil
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("应为数字，而不是 %q", v)
			}
			*p(f) = &x
			return nil
		}}
	}
	return []col[Field]{
		strCol("字段名", func(f *Field) *string { return &f.Name }),
		strCol("标签", func(f *Field) *string { return &f.Label }),
		strCol("类型", func(f *Field) *string { return &f.Type }),
		boolCol("必填", func(f *Field) *bool { return &f.Required }),
		num("最小", func(f *Field) **float64 { return &f.Min }),
		num("最大", func(f *Field) **float64 { return &f.Max }),
		strCol("校验规则", func(f *Field) *string { return &f.Pattern }),
		{"选项（每行一个：标识=名称）", func(f *Field) string {
			var parts []string
			for _, o := range f.Options {
				parts = append(parts, o.ID+"="+o.Label)
			}
			return strings.Join(parts, listSep)
		}, func(f *Field, v string) error {
			f.Options = nil
			for _, part := range splitList(v) {
				id, label, ok := strings.Cut(strings.TrimSpace(part), "=")
				if !ok {
					return fmt.Errorf("选项 %q 应写成 标识=名称", part)
				}
				f.Options = append(f.Options, Option{ID: strings.TrimSpace(id), Label: strings.TrimSpace(label)})
			}
			return nil
		}},
		strCol("填写说明", func(f *Field) *string { return &f.Help }),
		strCol("免填写来源", func(f *Field) *string { return &f.Prefill }),
		listCol("适用情形", func(f *Field) *[]string { return &f.When }),
	}
}

// Sheet names.
const (
	sheetItems     = "事项"
	sheetBasis     = "设定依据"
	sheetSpecial   = "特别程序"
	sheetFees      = "收费项目"
	sheetProcess   = "办理流程"
	sheetSituation = "办理情形"
	sheetMaterials = "申请材料"
	sheetFAQ       = "常见问题"
	sheetForms     = "申请表"
	rowKey         = "事项序号"
)

func heads[T any](cols []col[T]) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = c.head
	}
	return out
}

func values[T any](cols []col[T], t *T) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = c.get(t)
	}
	return out
}

// WriteXLSX writes the file as a workbook.
func WriteXLSX(f *File, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	type sheet struct {
		name string
		head []any
		rows [][]any
	}
	keyed := func(name string, h []any) *sheet { return &sheet{name: name, head: append([]any{rowKey}, h...)} }
	items := &sheet{name: sheetItems, head: append([]any{rowKey}, heads(itemCols)...)}
	basis, special, fees := keyed(sheetBasis, heads(basisCols)), keyed(sheetSpecial, heads(specialCols)), keyed(sheetFees, heads(feeCols))
	process, situations, materials, faq := keyed(sheetProcess, heads(stepCols)), keyed(sheetSituation, heads(situationCols)), keyed(sheetMaterials, heads(materialCols)), keyed(sheetFAQ, heads(qaCols))
	fcols := fieldCols()
	forms := &sheet{name: sheetForms, head: append([]any{"申请表标识", "申请表名称"}, heads(fcols)...)}
	for i := range f.Items {
		it := &f.Items[i]
		n := i + 1
		items.rows = append(items.rows, append([]any{n}, values(itemCols, it)...))
		for j := range it.LegalBasis {
			basis.rows = append(basis.rows, append([]any{n}, values(basisCols, &it.LegalBasis[j])...))
		}
		for j := range it.SpecialProcedures {
			special.rows = append(special.rows, append([]any{n}, values(specialCols, &it.SpecialProcedures[j])...))
		}
		for j := range it.Fee.Items {
			fees.rows = append(fees.rows, append([]any{n}, values(feeCols, &it.Fee.Items[j])...))
		}
		for j := range it.Process {
			process.rows = append(process.rows, append([]any{n}, values(stepCols, &it.Process[j])...))
		}
		for j := range it.Situations {
			situations.rows = append(situations.rows, append([]any{n}, values(situationCols, &it.Situations[j])...))
		}
		for j := range it.Materials {
			materials.rows = append(materials.rows, append([]any{n}, values(materialCols, &it.Materials[j])...))
		}
		for j := range it.FAQ {
			faq.rows = append(faq.rows, append([]any{n}, values(qaCols, &it.FAQ[j])...))
		}
	}
	for i := range f.Forms {
		fm := &f.Forms[i]
		for j := range fm.Fields {
			forms.rows = append(forms.rows, append([]any{fm.ID, fm.Name}, values(fcols, &fm.Fields[j])...))
		}
	}
	for i, sh := range []*sheet{items, basis, special, fees, process, situations, materials, faq, forms} {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", sh.name); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(sh.name); err != nil {
			return err
		}
		if err := x.SetSheetRow(sh.name, "A1", &sh.head); err != nil {
			return err
		}
		for r, row := range sh.rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+2)
			if err := x.SetSheetRow(sh.name, cell, &row); err != nil {
				return err
			}
		}
		_ = x.SetPanes(sh.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	return x.Write(w)
}

// sheetReader reads one sheet by header names, collecting every cell
// problem with its sheet, row and column.
type sheetReader struct {
	x     *excelize.File
	probs []RowProblem
}

func (sr *sheetReader) fail(sheet string, row int, field, msg string) {
	sr.probs = append(sr.probs, RowProblem{Kind: "file", Row: row, Name: sheet, Field: field, Message: msg})
}

// rows returns the data rows of a sheet as header → value maps, with
// their spreadsheet row numbers. A missing optional sheet has no rows.
func (sr *sheetReader) rows(sheet string, required bool, want []string) ([]map[string]string, []int) {
	all, err := sr.x.GetRows(sheet)
	if err != nil || len(all) == 0 {
		if required {
			sr.fail(sheet, 0, "", "缺少工作表“"+sheet+"”")
		}
		return nil, nil
	}
	head := all[0]
	idx := map[string]int{}
	for i, h := range head {
		idx[strings.TrimSpace(h)] = i
	}
	for _, w := range want {
		if _, ok := idx[w]; !ok {
			sr.fail(sheet, 1, w, "缺少列“"+w+"”")
		}
	}
	var out []map[string]string
	var nums []int
	for r, row := range all[1:] {
		m := map[string]string{}
		empty := true
		for h, i := range idx {
			if i < len(row) {
				m[h] = strings.TrimSpace(row[i])
				if m[h] != "" {
					empty = false
				}
			}
		}
		if empty {
			continue
		}
		out = append(out, m)
		nums = append(nums, r+2)
	}
	return out, nums
}

func fill[T any](sr *sheetReader, sheet string, row int, cols []col[T], m map[string]string, t *T) {
	for _, c := range cols {
		if err := c.set(t, m[c.head]); err != nil {
			sr.fail(sheet, row, c.head, err.Error())
		}
	}
}

func headNames[T any](cols []col[T]) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.head
	}
	return out
}

// children reads a keyed sheet and hands each row to add with its item.
func children[T any](sr *sheetReader, sheet string, cols []col[T], items []Item, add func(*Item, T)) {
	rows, nums := sr.rows(sheet, false, append([]string{rowKey}, headNames(cols)...))
	for i, m := range rows {
		n, err := strconv.Atoi(m[rowKey])
		if err != nil || n < 1 || n > len(items) {
			sr.fail(sheet, nums[i], rowKey, fmt.Sprintf("事项序号 %q 不对应“事项”表中的任何一行", m[rowKey]))
			continue
		}
		var t T
		fill(sr, sheet, nums[i], cols, m, &t)
		add(&items[n-1], t)
	}
}

// ReadXLSX reads a workbook written by WriteXLSX (or by hand in its shape).
// Every cell that cannot be read is reported; any problem rejects the file.
func ReadXLSX(r io.Reader) (*File, []RowProblem, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxImportBytes {
		return nil, nil, apperr.Newf(apperr.TooLarge, "导入文件不能超过 %d MB", MaxImportBytes>>20)
	}
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, apperr.New(apperr.Invalid, "不是有效的 Excel（.xlsx）文件")
	}
	defer x.Close()
	sr := &sheetReader{x: x}
	f := &File{Format: Format}
	rows, nums := sr.rows(sheetItems, true, append([]string{rowKey}, headNames(itemOwnCols)...))
	for i, m := range rows {
		if m[rowKey] != strconv.Itoa(i+1) {
			sr.fail(sheetItems, nums[i], rowKey, fmt.Sprintf("事项序号应从1起连续编号，此行应为 %d", i+1))
		}
		var it Item
		fill(sr, sheetItems, nums[i], itemCols, m, &it)
		f.Items = append(f.Items, it)
	}
	children(sr, sheetBasis, basisCols, f.Items, func(it *Item, v LegalBasis) { it.LegalBasis = append(it.LegalBasis, v) })
	children(sr, sheetSpecial, specialCols, f.Items, func(it *Item, v SpecialProcedure) { it.SpecialProcedures = append(it.SpecialProcedures, v) })
	children(sr, sheetFees, feeCols, f.Items, func(it *Item, v FeeItem) { it.Fee.Items = append(it.Fee.Items, v) })
	children(sr, sheetProcess, stepCols, f.Items, func(it *Item, v Step) { it.Process = append(it.Process, v) })
	children(sr, sheetSituation, situationCols, f.Items, func(it *Item, v Situation) { it.Situations = append(it.Situations, v) })
	children(sr, sheetMaterials, materialCols, f.Items, func(it *Item, v Material) { it.Materials = append(it.Materials, v) })
	children(sr, sheetFAQ, qaCols, f.Items, func(it *Item, v QA) { it.FAQ = append(it.FAQ, v) })
	fcols := fieldCols()
	frows, fnums := sr.rows(sheetForms, false, append([]string{"申请表标识", "申请表名称"}, headNames(fcols)...))
	formIdx := map[string]int{}
	for i, m := range frows {
		id := m["申请表标识"]
		k, ok := formIdx[id]
		if !ok {
			k = len(f.Forms)
			formIdx[id] = k
			f.Forms = append(f.Forms, Form{ID: id, Name: m["申请表名称"]})
		}
		var fl Field
		fill(sr, sheetForms, fnums[i], fcols, m, &fl)
		f.Forms[k].Fields = append(f.Forms[k].Fields, fl)
	}
	if f.Items == nil {
		f.Items = []Item{}
	}
	if f.Forms == nil {
		f.Forms = []Form{}
	}
	return f, sr.probs, nil
}
