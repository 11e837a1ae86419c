// Package catalog owns the service catalogue (事项库): standard items with
// every element of their service guide (办事指南), their versions, the
// application forms as data, the derived lists (清单), and search.
//
// The types here are also the exchange format (JSON import/export,
// "yiwang-catalogue/1"), so a file written by export reads back by import.
package catalog

// Format names the exchange format version.
const Format = "yiwang-catalogue/1"

// File is a catalogue exchange file.
type File struct {
	Format string `json:"format"`
	Forms  []Form `json:"forms"`
	Items  []Item `json:"items"`
}

// Item is one 业务办理项 (the smallest unit that is applied for), carrying
// the names and codes of its 主项 and 子项 and its 办理情形.
type Item struct {
	// Codes. BaseCode 基本编码 (12): AA TT MMNNN SSS. ImplCode 实施编码 (31):
	// implementing body's 统一社会信用代码 (18) + 行使层级 (1) + 基本编码.
	// Code 业务办理项编码 (33): 实施编码 + 2-digit sequence.
	BaseCode string `json:"baseCode"`
	ImplCode string `json:"implCode"`
	Code     string `json:"code"`

	Name        string   `json:"name"`                    // 业务办理项名称
	MainItem    string   `json:"mainItem"`                // 主项名称
	SubItem     string   `json:"subItem,omitempty"`       // 子项名称 ("" when none)
	Aliases     []string `json:"aliases,omitempty"`       // 别名 (what people call it)
	Keywords    []string `json:"keywords,omitempty"`      // 关键词 for search
	Type        string   `json:"type"`                    // 事项类型 code, see ItemTypes
	Level       string   `json:"level"`                   // 行使层级 1–6
	PowerSource string   `json:"powerSource"`             // 权力来源 1–6
	Department  string   `json:"department"`              // 实施机关: department code (e.g. "scjg")
	Entrusted   string   `json:"entrustedDept,omitempty"` // 委托部门 code, when handled on its behalf
	Region      string   `json:"region"`                  // 12-digit region code of the implementing body

	LegalBasis     []LegalBasis `json:"legalBasis"`     // 设定和实施依据
	Conditions     string       `json:"conditions"`     // 受理条件
	ServiceObjects []string     `json:"serviceObjects"` // 服务对象 codes, see ServiceObjects
	HandlingType   string       `json:"handlingType"`   // 办件类型: 1 即办件, 2 承诺件
	LegalLimit     Limit        `json:"legalLimit"`     // 法定办结时限
	PromisedLimit  Limit        `json:"promisedLimit"`  // 承诺办结时限

	SpecialProcedures []SpecialProcedure `json:"specialProcedures,omitempty"` // 特别程序
	Fee               Fee                `json:"fee"`                         // 收费

	Place        string `json:"place"`                  // 办理地点
	Hours        string `json:"hours"`                  // 办理时间
	Consult      string `json:"consult"`                // 咨询方式
	Complaint    string `json:"complaint"`              // 监督投诉方式
	Visits       int    `json:"visits"`                 // 到办事现场次数: 0 零跑动, 1 最多跑一次, 2 …
	OnlineDepth  int    `json:"onlineDepth"`            // 网办深度: 0 不能网办, 1 信息公开, 2 在线预约/下载, 3 在线申请/预审, 4 全程网办
	Scope        string `json:"scope"`                  // 通办范围: "county" | "city" | "province" | "nation"
	JointOrgans  string `json:"jointOrgans,omitempty"`  // 联办机构
	Intermediary string `json:"intermediary,omitempty"` // 中介服务 (name and basis), "" when none

	Flags Flags `json:"flags"`

	Process []Step `json:"process"` // 办理流程 (as the guide describes it)
	// Workflow names the process definition cases of this item run under
	// (casework workflows); "" means the default for the 办件类型.
	Workflow string `json:"workflow,omitempty"`
	Result   Result `json:"result"` // 审批结果
	// Rules say how the exceptions of a case go for this item: 补正,
	// 容缺受理, 告知承诺制, 延期 and how results are delivered. The zero
	// value takes the defaults of DefaultRules.
	Rules Rules `json:"rules"`

	Situations []Situation `json:"situations,omitempty"` // 办理情形 questions
	Materials  []Material  `json:"materials"`            // 申请材料
	Form       string      `json:"form,omitempty"`       // application form id (Forms), shared across items
	FAQ        []QA        `json:"faq,omitempty"`        // 常见问题

	Themes []string `json:"themes,omitempty"` // 主题: life events (出生, 就业…) or business stages (开办, 经营…)

	Version       int    `json:"version,omitempty"`       // set by the catalogue on publish
	EffectiveFrom string `json:"effectiveFrom,omitempty"` // YYYY-MM-DD
}

// LegalBasis is one 设定依据 / 实施依据.
type LegalBasis struct {
	Law     string `json:"law"`     // 法律法规名称, e.g. 《中华人民共和国食品安全法》
	Article string `json:"article"` // 条款号, e.g. 第三十五条
	Text    string `json:"text"`    // 条款内容
}

// Limit is a time limit: amount and unit (see LimitUnits), with a note.
type Limit struct {
	Amount int    `json:"amount"`
	Unit   string `json:"unit"` // 1 工作日, 2 自然日, 3 小时, 4 分钟, 5 月
	Note   string `json:"note,omitempty"`
}

// SpecialProcedure is time that does not count towards the limit.
type SpecialProcedure struct {
	Name        string `json:"name"` // 听证, 检验, 检测, 专家评审, 现场勘查…
	Limit       Limit  `json:"limit"`
	Description string `json:"description,omitempty"`
}

// Rules are an item's handling rules for the exceptions of a case
// (issue 5). Every field has a default (EffectiveRules), so an item that
// says nothing still behaves as the law and the seeds expect.
type Rules struct {
	// SupplementLimit is how long the applicant has to supplement after a
	// 补正 notice (default 15 working days); a case not supplemented in time
	// closes as 补正不来 (result code 5).
	SupplementLimit Limit `json:"supplementLimit"`
	// SupplementClock says what the promised and legal clocks do while a
	// case waits for a supplement: "stop" (default: the time does not
	// count) or "restart" (the limits count afresh from the day the
	// supplement arrives, 行政许可法 Art. 32).
	SupplementClock string `json:"supplementClock,omitempty"`
	// ToleranceResult says what happens to the result of a 容缺 case while
	// a pledged material is missing: "hold" (default: decided, but not
	// handed out until it arrives) or "issue".
	ToleranceResult string `json:"toleranceResult,omitempty"`
	// ToleranceDays is the longest a pledged material may take, in working
	// days from the pledge (default 10).
	ToleranceDays int `json:"toleranceDays,omitempty"`
	// PledgeText is what the applicant pledges under 告知承诺制 (default:
	// the item's conditions); PledgeLimit the short limit a pledged case is
	// decided in (default 1 working day), PledgeWorkflow the process it runs
	// under (default "pledge"), PostCheckLimit the time the department has
	// for the 事中事后核查 after the decision (default 2 months).
	PledgeText     string `json:"pledgeText,omitempty"`
	PledgeLimit    Limit  `json:"pledgeLimit"`
	PledgeWorkflow string `json:"pledgeWorkflow,omitempty"`
	PostCheckLimit Limit  `json:"postCheckLimit"`
	// Extension is how much longer the department may take with approval
	// (行政许可法 Art. 42: 10 working days; 0 = no extension), approved by
	// ExtensionRole of the implementing department (default dept_head).
	Extension     int    `json:"extension,omitempty"`
	ExtensionRole string `json:"extensionRole,omitempty"`
	// Delivery lists how results may be delivered: "window" (综合窗口领取),
	// "post" (邮寄; free for items on the 免费邮寄 list), "online" (电子送达
	// to the wallet / download). Empty: the window, plus post when the item
	// offers 物流快递 or 免费邮寄.
	Delivery []string `json:"delivery,omitempty"`
}

// DeliveryMethods are the ways a result may be delivered.
var DeliveryMethods = map[string]string{"window": "窗口领取", "post": "邮寄送达", "online": "电子送达"}

// SupplementClocks are the values of Rules.SupplementClock.
var SupplementClocks = map[string]string{"stop": "补正期间不计算在办理时限内", "restart": "补正材料收到之日起重新计算办理时限"}

// ToleranceResults are the values of Rules.ToleranceResult.
var ToleranceResults = map[string]string{"hold": "容缺材料补齐前暂缓发放结果", "issue": "容缺材料补齐前可先行发放结果"}

// EffectiveRules are an item's rules with every default filled in.
func (it *Item) EffectiveRules() Rules {
	r := it.Rules
	if r.SupplementLimit.Amount == 0 {
		r.SupplementLimit = Limit{Amount: 15, Unit: "1"}
	}
	if r.SupplementLimit.Unit == "" {
		r.SupplementLimit.Unit = "1"
	}
	if r.SupplementClock == "" {
		r.SupplementClock = "stop"
	}
	if r.ToleranceResult == "" {
		r.ToleranceResult = "hold"
	}
	if r.ToleranceDays == 0 {
		r.ToleranceDays = 10
	}
	if r.PledgeText == "" {
		r.PledgeText = it.Conditions
	}
	if r.PledgeLimit.Unit == "" {
		r.PledgeLimit = Limit{Amount: 1, Unit: "1"}
	}
	if r.PledgeWorkflow == "" {
		r.PledgeWorkflow = "pledge"
	}
	if r.PostCheckLimit.Amount == 0 {
		r.PostCheckLimit = Limit{Amount: 2, Unit: "5"}
	}
	if r.ExtensionRole == "" {
		r.ExtensionRole = "dept_head"
	}
	if len(r.Delivery) == 0 {
		r.Delivery = []string{"window"}
		if it.Flags.Express || it.Flags.FreeMail {
			r.Delivery = append(r.Delivery, "post")
		}
	}
	return r
}

// Fee says whether and what is charged.
type Fee struct {
	Charged bool      `json:"charged"`
	Basis   string    `json:"basis,omitempty"` // 收费依据
	Items   []FeeItem `json:"items,omitempty"`
}

// FeeItem is one charge.
type FeeItem struct {
	Name     string `json:"name"`
	Standard string `json:"standard"` // 收费标准, e.g. "每证80元"
}

// Flags mark the item for each published list (清单) and service attribute.
type Flags struct {
	InHall        bool `json:"inHall"`        // 进驻大厅
	Appointment   bool `json:"appointment"`   // 支持预约
	OnlinePayment bool `json:"onlinePayment"` // 网上支付
	Express       bool `json:"express"`       // 物流快递
	FreeMail      bool `json:"freeMail"`      // 免费邮寄（结果）
	Kiosk         bool `json:"kiosk"`         // 自助终端
	Immediate     bool `json:"immediate"`     // 马上办
	Nearby        bool `json:"nearby"`        // 就近办
	CityWide      bool `json:"cityWide"`      // 全市通办
	CrossProvince bool `json:"crossProvince"` // 跨省通办
	Pledge        bool `json:"pledge"`        // 告知承诺制
	Tolerance     bool `json:"tolerance"`     // 容缺受理
	Proof         bool `json:"proof"`         // 证明事项
	HighFrequency bool `json:"highFrequency"` // 高频事项
}

// Step is one step of the 办理流程.
type Step struct {
	Name        string `json:"name"` // 申请, 受理, 审查, 决定, 送达…
	Description string `json:"description,omitempty"`
}

// Result is what the applicant receives.
type Result struct {
	Type        string `json:"type"`                  // "licence" 证照 | "document" 批文 | "other"
	Name        string `json:"name"`                  // e.g. 食品经营许可证
	LicenceType string `json:"licenceType,omitempty"` // licence type name when Type is licence
	Sample      string `json:"sample,omitempty"`      // description of the sample
}

// Situation is one 办理情形 question with its options.
type Situation struct {
	ID       string   `json:"id"`       // e.g. "kind"
	Question string   `json:"question"` // e.g. 办理类型
	Options  []Option `json:"options"`
}

// Option is one answer to a situation question.
type Option struct {
	ID    string `json:"id"`    // e.g. "new"
	Label string `json:"label"` // e.g. 新办
}

// Material is one 申请材料.
type Material struct {
	ID        string `json:"id"` // stable within the item, e.g. "m1" or "licence-application"
	Name      string `json:"name"`
	Type      string `json:"type"`             // 材料类型: 原件 | 复印件 | 原件和复印件
	Form      string `json:"form"`             // 材料形式: 纸质 | 电子 | 纸质或电子
	Necessity string `json:"necessity"`        // 必要 | 非必要 | 容缺 (may be supplied after acceptance)
	Copies    int    `json:"copies"`           // 份数
	Spec      string `json:"spec,omitempty"`   // 规格 (A4 …)
	Source    string `json:"source"`           // 来源渠道: 申请人自备 | 政府部门核发 | 电子证照
	Issuer    string `json:"issuer,omitempty"` // issuing department when issued by government
	// LicenceType names the electronic licence type that satisfies this
	// material (免提交), when there is one.
	LicenceType string `json:"licenceType,omitempty"`
	BlankForm   bool   `json:"blankForm,omitempty"` // 空白表格 available
	Notes       string `json:"notes,omitempty"`     // 填报说明
	Standard    string `json:"standard,omitempty"`  // 受理标准
	Signature   string `json:"signature,omitempty"` // 签字要求
	// When lists the situation answers this material applies to, as
	// "question=option"; the material applies when every listed question is
	// answered with one of its listed options. Empty means always.
	When []string `json:"when,omitempty"`
}

// QA is a frequently asked question.
type QA struct {
	Q string `json:"q"`
	A string `json:"a"`
}

// Form is an application form as data, reusable across items.
type Form struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	Fields []Field `json:"fields"`
}

// Field is one typed field of a form.
type Field struct {
	Name     string   `json:"name"`  // machine name, e.g. "businessName"
	Label    string   `json:"label"` // 经营者名称
	Type     string   `json:"type"`  // see FieldTypes
	Required bool     `json:"required,omitempty"`
	Min      *float64 `json:"min,omitempty"`     // number: minimum; text: minimum length
	Max      *float64 `json:"max,omitempty"`     // number: maximum; text: maximum length
	Pattern  string   `json:"pattern,omitempty"` // regular expression (text)
	Options  []Option `json:"options,omitempty"` // select / multiselect / radio
	Help     string   `json:"help,omitempty"`    // 填写说明
	Prefill  string   `json:"prefill,omitempty"` // 免填写 source, e.g. "person.name", "company.creditCode"
	When     []string `json:"when,omitempty"`    // shown only in these situations ("question=option")
}

// Dictionaries (domain.md §1). Kept as data so a province can extend them.
var (
	ItemTypes = map[string]string{
		"01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
		"06": "行政检查", "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力",
		"20": "公共服务", "21": "行政备案",
	}
	Levels         = map[string]string{"1": "国家级", "2": "省级", "3": "市级", "4": "县级", "5": "乡镇（街道）级", "6": "村（社区）级"}
	PowerSources   = map[string]string{"1": "法定本级行使", "2": "上级下放", "3": "上级授权", "4": "同级授权", "5": "上级委托", "6": "同级委托"}
	HandlingTypes  = map[string]string{"1": "即办件", "2": "承诺件"}
	ServiceObjects = map[string]string{"1": "自然人", "2": "企业法人", "3": "事业法人", "4": "社会组织法人", "5": "非法人企业", "6": "行政机关", "9": "其他组织"}
	LimitUnits     = map[string]string{"1": "工作日", "2": "自然日", "3": "小时", "4": "分钟", "5": "月"}
	OnlineDepths   = map[int]string{0: "不能网办", 1: "一级（信息公开）", 2: "二级（在线预约、表格下载）", 3: "三级（在线申请、预审）", 4: "四级（全程网办）"}
	Scopes         = map[string]string{"county": "全县通办", "city": "全市通办", "province": "全省通办", "nation": "跨省通办"}
	MaterialTypes  = map[string]bool{"原件": true, "复印件": true, "原件和复印件": true}
	MaterialForms  = map[string]bool{"纸质": true, "电子": true, "纸质或电子": true}
	Necessities    = map[string]bool{"必要": true, "非必要": true, "容缺": true}
	Sources        = map[string]bool{"申请人自备": true, "政府部门核发": true, "电子证照": true}
	ResultTypes    = map[string]string{"licence": "证照", "document": "批文", "other": "其他"}
	FieldTypes     = map[string]string{
		"text": "文本", "textarea": "多行文本", "number": "数字", "date": "日期", "select": "下拉选择",
		"radio": "单选", "multiselect": "多选", "checkbox": "勾选", "phone": "手机号码", "idnumber": "公民身份号码",
		"creditcode": "统一社会信用代码", "region": "行政区划", "email": "电子邮箱", "address": "地址",
	}
)
