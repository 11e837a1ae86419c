package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/catalog"
	"yiwang/internal/db"
	"yiwang/internal/identity"
	"yiwang/internal/stdcode"
)

// What an application says beyond its form and materials (issue 5): the
// way the result is to be delivered, 容缺 materials the applicant pledges
// to bring later, and 告知承诺制.

// DeferredInput is a 容缺 material the applicant pledges to bring by Due
// (YYYY-MM-DD).
type DeferredInput struct {
	Material string `json:"material"`
	Due      string `json:"due"`
}

// DeliveryInput is how the applicant wants the result: window, post (with
// the address) or online.
type DeliveryInput struct {
	Method    string `json:"method"`
	Recipient string `json:"recipient,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Address   string `json:"address,omitempty"`
}

// postal is the sealed address of a delivery by post.
type postal struct {
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
	Address   string `json:"address"`
}

const fieldDelivery = "case.delivery"
const fieldCollector = "case.collector"

// extras are the checked extras of an application.
type extras struct {
	mode      string
	deferred  []deferredRow
	method    string
	sealed    string
	masked    string
	pledges   []pledgeRow
	tolerance bool // a 容缺 pledge is part of the application
}

// deferredRow is a 容缺 material as stored.
type deferredRow struct {
	Material, Name, DueDate string
	DueAt                   time.Time
	ArrivedAt, RemindedAt   *time.Time
}

func caseDeferred(ctx context.Context, q db.Querier, caseID string) ([]deferredRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT material_id, name, due_date, due_at, arrived_at, reminded_at FROM case_deferred WHERE case_id = ? ORDER BY due_at, material_id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deferredRow
	for rows.Next() {
		var d deferredRow
		if err := rows.Scan(&d.Material, &d.Name, &d.DueDate, &d.DueAt, &d.ArrivedAt, &d.RemindedAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// pledgeRow is a signed pledge (承诺书).
type pledgeRow struct {
	ID, CaseID, Kind, Text, Digest, How string
	SignedAt                            time.Time
	SignedBy, SignerName                string
	BrokenAt                            *time.Time
	BrokenReason                        string
}

func casePledges(ctx context.Context, q db.Querier, caseID string) ([]pledgeRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, case_id, kind, text, digest, how, signed_at, signed_by, signer_name, broken_at, broken_reason FROM case_pledges WHERE case_id = ? ORDER BY kind`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pledgeRow
	for rows.Next() {
		var p pledgeRow
		if err := rows.Scan(&p.ID, &p.CaseID, &p.Kind, &p.Text, &p.Digest, &p.How, &p.SignedAt, &p.SignedBy, &p.SignerName, &p.BrokenAt, &p.BrokenReason); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

var trackingNo = regexp.MustCompile(`^[A-Za-z0-9-]{6,32}$`)

// checkExtras validates the mode, the 容缺 pledge and the delivery of an
// application. full is for a submission (a draft keeps what it has).
func (s *Service) checkExtras(actor *identity.Principal, app *Application, it *catalog.Item, ch *checked, tab *calendar.Table, now time.Time, full bool) (*extras, error) {
	rules := it.EffectiveRules()
	f := apperr.FieldErrors{}
	x := &extras{mode: app.Mode}
	switch app.Mode {
	case "":
	case ModePledge:
		if !it.Flags.Pledge {
			f.Add("mode", "本事项不适用告知承诺制")
		} else if full && !app.Pledge {
			f.Add("pledge", "选择告知承诺办理，须阅读并签署告知承诺书")
		}
	default:
		f.Add("mode", fmt.Sprintf("未知的办理方式 %q（可用：pledge 告知承诺）", app.Mode))
	}
	// 容缺.
	applicable := map[string]catalog.Material{}
	for _, m := range it.MaterialsFor(ch.answers) {
		applicable[m.ID] = m
	}
	given := map[string]bool{}
	for _, r := range ch.refs {
		given[r.Material] = true
	}
	today := calendar.DateOf(now)
	var latest calendar.Date
	if rules.ToleranceDays > 0 {
		latest, _, _ = tab.AddWorkingDays(now, rules.ToleranceDays)
	}
	seen := map[string]bool{}
	for i, d := range app.Deferred {
		p := fmt.Sprintf("deferred[%d]", i)
		m, ok := applicable[d.Material]
		switch {
		case !it.Flags.Tolerance:
			f.Add(p+".material", "本事项不适用容缺受理")
			continue
		case app.Mode == ModePledge:
			f.Add(p+".material", "告知承诺办理无需容缺")
			continue
		case !ok:
			f.Add(p+".material", fmt.Sprintf("本事项没有材料 %q（或在您的情形下不需要）", d.Material))
			continue
		case m.Necessity != "容缺":
			f.Add(p+".material", "“"+m.Name+"”是关键材料，不能容缺")
			continue
		case given[d.Material]:
			f.Add(p+".material", "“"+m.Name+"”已上传，无需容缺")
			continue
		case seen[d.Material]:
			f.Add(p+".material", "“"+m.Name+"”重复")
			continue
		}
		seen[d.Material] = true
		due, err := calendar.ParseDate(strings.TrimSpace(d.Due))
		switch {
		case err != nil:
			f.Add(p+".due", "请填写承诺补交日期（如 2026-12-20）")
			continue
		case !due.After(today):
			f.Add(p+".due", "承诺补交日期须晚于今天")
			continue
		case latest != (calendar.Date{}) && due.After(latest):
			f.Add(p+".due", fmt.Sprintf("承诺补交日期最晚为%s（%d个工作日内）", latest, rules.ToleranceDays))
			continue
		}
		x.deferred = append(x.deferred, deferredRow{Material: m.ID, Name: m.Name, DueDate: due.String(), DueAt: due.AddDays(1).Time().UTC()})
	}
	if full {
		for _, m := range it.MaterialsFor(ch.answers) {
			if m.Necessity == "容缺" && m.Source != "政府部门核发" && !given[m.ID] && !seen[m.ID] && app.Mode != ModePledge {
				f.Add("materials."+m.ID, "请上传："+m.Name+"（或申请容缺受理，承诺在规定日期前补交）")
			}
		}
		if len(x.deferred) > 0 && !app.TolerancePledge {
			f.Add("tolerancePledge", "容缺受理须签署容缺受理承诺书")
		}
	}
	x.tolerance = len(x.deferred) > 0
	// Delivery.
	d := app.Delivery
	if d == nil || d.Method == "" {
		d = &DeliveryInput{Method: rules.Delivery[0]}
	}
	x.method = d.Method
	switch {
	case !slices.Contains(rules.Delivery, d.Method):
		var names []string
		for _, m := range rules.Delivery {
			names = append(names, catalog.DeliveryMethods[m])
		}
		f.Add("delivery.method", fmt.Sprintf("本事项的结果送达方式为：%s", strings.Join(names, "、")))
	case d.Method == "post":
		pt := postal{Recipient: strings.TrimSpace(d.Recipient), Phone: stdcode.NormalizePhone(d.Phone), Address: strings.TrimSpace(d.Address)}
		pf := apperr.FieldErrors{}
		if n := utf8.RuneCountInString(pt.Recipient); n < 2 || n > 30 {
			pf.Add("delivery.recipient", "请填写收件人姓名")
		}
		if err := stdcode.ValidateMobile(pt.Phone); err != nil {
			pf.Add("delivery.phone", "请填写收件人的手机号码")
		}
		if n := utf8.RuneCountInString(pt.Address); n < 8 || n > 200 {
			pf.Add("delivery.address", "请填写详细的邮寄地址（省市县、街道、门牌号）")
		}
		var perr *apperr.Error
		if errors.As(pf.Err(), &perr) {
			if full {
				for k, v := range perr.Fields {
					f.Add(k, v)
				}
			}
			break // a draft keeps the choice; the address is asked for at submission
		}
		b, _ := json.Marshal(pt)
		sealed, err := s.Box.Seal(fieldDelivery, string(b))
		if err != nil {
			return nil, err
		}
		x.sealed = sealed
		x.masked = fmt.Sprintf("%s（%s）%s", stdcode.MaskName(pt.Recipient), stdcode.MaskPhone(pt.Phone), maskAddress(pt.Address))
	default:
		if d.Recipient != "" || d.Address != "" || d.Phone != "" {
			f.Add("delivery.address", "只有邮寄送达需要填写地址")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return x, nil
}

// maskAddress keeps the first part of an address (the region) and hides
// the street and number.
func maskAddress(a string) string {
	r := []rune(a)
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	keep := min(len(r)/2, 9)
	return string(r[:keep]) + "****"
}

// pledgeText is the text of a pledge as the applicant signs it.
func pledgeText(kind string, c *caseRow, it *catalog.Item, deferred []deferredRow, rules catalog.Rules) string {
	var b strings.Builder
	if kind == "tolerance" {
		fmt.Fprintf(&b, "本人（单位）%s申请办理“%s”（办件编号 %s），因下列非关键材料暂缺，申请容缺受理，并郑重承诺在承诺日期前补交：", c.ApplicantName, it.Name, c.no())
		for i, d := range deferred {
			fmt.Fprintf(&b, "%d. %s，%s前补交；", i+1, d.Name, d.DueDate)
		}
		b.WriteString("逾期未补交的，自愿承担相应责任，办理结果")
		if rules.ToleranceResult == "hold" {
			b.WriteString("在材料补齐前暂缓发放")
		} else {
			b.WriteString("可被依法撤销")
		}
		b.WriteString("。")
		return b.String()
	}
	fmt.Fprintf(&b, "本人（单位）%s申请办理“%s”（办件编号 %s），已知晓行政机关告知的全部内容，郑重承诺：已经符合下列条件，所提交材料真实、有效；愿意接受行政机关的事中事后核查，如有不实，愿意承担行政决定被撤销、记入信用记录等法律责任。条件：%s", c.ApplicantName, it.Name, c.no(), rules.PledgeText)
	return b.String()
}

// storeExtras writes what an application adds at submission: its 容缺
// materials, its pledges (online: signed by the applicant's account; at
// the window: on paper, recorded by the clerk).
func (s *Service) storeExtras(ctx context.Context, tx *db.Tx, actor *identity.Principal, c *caseRow, it *catalog.Item, x *extras, now time.Time) error {
	rules := it.EffectiveRules()
	how := "online"
	if actor.IsStaff() {
		how = "paper"
	}
	var kinds []string
	if x.tolerance {
		kinds = append(kinds, "tolerance")
		for _, d := range x.deferred {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_deferred (case_id, material_id, name, due_date, due_at) VALUES (?, ?, ?, ?, ?)`,
				c.ID, d.Material, d.Name, d.DueDate, d.DueAt); err != nil {
				return err
			}
		}
	}
	if x.mode == ModePledge {
		kinds = append(kinds, "pledge")
	}
	for _, k := range kinds {
		text := pledgeText(k, c, it, x.deferred, rules)
		sum := sha256.Sum256([]byte(text))
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_pledges (id, case_id, kind, text, digest, how, signed_at, signed_by, signer_name, applicant_person_id, applicant_company_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, newID(), c.ID, k, text, hex.EncodeToString(sum[:]), how, now, actor.AccountID, actor.DisplayName,
			c.ApplicantPersonID, c.ApplicantCompanyID); err != nil {
			return err
		}
	}
	return nil
}

// held reports whether the result of case c is held back: 容缺 materials
// still missing under the rule "hold".
func (s *Service) held(ctx context.Context, q db.Querier, c *caseRow) (bool, error) {
	if c.DeferredOpen == 0 {
		return false, nil
	}
	it, err := s.itemIn(ctx, q, c.ItemCode, c.ItemVersion)
	if err != nil {
		return false, err
	}
	return it.EffectiveRules().ToleranceResult == "hold", nil
}

// offered reports whether action a of a step is open to case c now, and
// why not.
func offered(c *caseRow, a *ActionDef, held bool) (bool, string) {
	for _, w := range a.When {
		key, val, _ := strings.Cut(w, "=")
		switch key {
		case "mode":
			if c.Mode != val {
				return false, "本办件的办理方式不适用此操作"
			}
		case "delivery":
			if c.DeliveryMethod != val {
				return false, "申请人选择的送达方式不适用此操作"
			}
		}
	}
	if a.Deliver != "" {
		if c.DeliveryMethod != a.Deliver {
			return false, fmt.Sprintf("申请人选择的送达方式是“%s”", catalog.DeliveryMethods[c.DeliveryMethod])
		}
		if held {
			return false, "容缺材料尚未补齐，办理结果暂缓发放"
		}
	}
	return true, ""
}

// deliveryData checks what a delivery action records: the collector at
// the window (name and ID number), the carrier and tracking number of a
// post. It answers the procedure row to store and the timeline's note.
func (s *Service) deliveryData(a *ActionDef, in ActionInput, c *caseRow, now time.Time, actor *identity.Principal) (*procRow, string, map[string]any, error) {
	if a.Deliver != "window" && a.Deliver != "post" {
		return nil, "", nil, decodeData(in.Data, &struct{}{})
	}
	var d struct {
		Collector struct {
			Name     string `json:"name"`
			IDNumber string `json:"idNumber"`
		} `json:"collector"`
		Carrier    string `json:"carrier"`
		TrackingNo string `json:"trackingNo"`
	}
	if err := decodeData(in.Data, &d); err != nil {
		return nil, "", nil, err
	}
	f := apperr.FieldErrors{}
	p := &procRow{ID: newID(), CaseID: c.ID, Kind: "delivery", Status: "done", StartedAt: now, StartedBy: actorID(actor), StartedName: actorName(actor),
		EndedAt: &now, EndedBy: actorID(actor), EndedName: actorName(actor)}
	var note string
	extra := map[string]any{}
	if a.Deliver == "window" {
		name := strings.TrimSpace(d.Collector.Name)
		id := stdcode.NormalizeIDNumber(d.Collector.IDNumber)
		if n := utf8.RuneCountInString(name); n < 2 || n > 30 {
			f.Add("data.collector.name", "请填写领取人姓名")
		}
		if err := stdcode.ValidateIDNumber(id, now); err != nil {
			f.Add("data.collector.idNumber", "请填写领取人的有效公民身份号码")
		}
		if err := f.Err(); err != nil {
			return nil, "", nil, err
		}
		sealed, err := s.Box.Seal(fieldCollector, id)
		if err != nil {
			return nil, "", nil, err
		}
		b, _ := json.Marshal(map[string]string{"collector": name, "idNumberMasked": stdcode.MaskIDNumber(id), "idNumberEnc": sealed})
		p.Name, p.Data = "窗口领取", string(b)
		note = fmt.Sprintf("领取人：%s（%s）", stdcode.MaskName(name), stdcode.MaskIDNumber(id))
		return p, note, extra, nil
	}
	carrier := strings.TrimSpace(d.Carrier)
	if n := utf8.RuneCountInString(carrier); n < 2 || n > 30 {
		f.Add("data.carrier", "请填写寄递企业（如 中国邮政EMS）")
	}
	if !trackingNo.MatchString(strings.TrimSpace(d.TrackingNo)) {
		f.Add("data.trackingNo", "请填写正确的运单号（6到32位字母或数字）")
	}
	if err := f.Err(); err != nil {
		return nil, "", nil, err
	}
	b, _ := json.Marshal(map[string]string{"carrier": carrier, "trackingNo": strings.TrimSpace(d.TrackingNo)})
	p.Name, p.Data = "邮寄送达", string(b)
	note = fmt.Sprintf("%s 运单号 %s", carrier, strings.TrimSpace(d.TrackingNo))
	extra["carrier"], extra["trackingNo"] = carrier, strings.TrimSpace(d.TrackingNo)
	return p, note, extra, nil
}

// apply puts the extras' columns on a case.
func (x *extras) apply(c *caseRow) {
	c.Mode, c.DeliveryMethod, c.DeliveryEnc, c.DeliveryMasked = x.mode, x.method, x.sealed, x.masked
}

// draftDelivery is the delivery a draft was saved with.
func (s *Service) draftDelivery(c *caseRow) (*DeliveryInput, error) {
	d := &DeliveryInput{Method: c.DeliveryMethod}
	if c.DeliveryEnc == "" {
		return d, nil
	}
	pt, err := s.Box.Open(fieldDelivery, c.DeliveryEnc)
	if err != nil {
		return nil, err
	}
	var p postal
	if err := json.Unmarshal([]byte(pt), &p); err != nil {
		return nil, err
	}
	d.Recipient, d.Phone, d.Address = p.Recipient, p.Phone, p.Address
	return d, nil
}

// PostalAddress is where a result goes by post, in full.
type PostalAddress struct {
	Recipient string `json:"recipient"`
	Phone     string `json:"phone"`
	Address   string `json:"address"`
}

// RevealDelivery shows a clerk of the case's region the full postal
// address of a result to be posted, and writes the reading to the audit
// trail; anyone else gets NotFound or Forbidden.
func (s *Service) RevealDelivery(ctx context.Context, actor *identity.Principal, ref string) (*PostalAddress, error) {
	c, err := s.visible(ctx, actor, ref)
	if err != nil {
		return nil, err
	}
	if !actor.IsStaff() || !actor.HasRole(identity.RoleClerk) || !scopeHasRegion(actor, c.RegionCode) {
		return nil, apperr.New(apperr.Forbidden, "只有负责出件的综合窗口人员可以查看完整邮寄地址")
	}
	if c.DeliveryMethod != "post" || c.DeliveryEnc == "" {
		return nil, apperr.New(apperr.Conflict, "本办件不是邮寄送达")
	}
	var out PostalAddress
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		pt, err := s.Box.Open(fieldDelivery, c.DeliveryEnc)
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(pt), &out); err != nil {
			return err
		}
		return audit.Append(ctx, tx, s.now(), audit.Entry{Action: "case.delivery.reveal", ObjectType: "case", ObjectID: c.ID,
			Detail: map[string]any{"caseNo": c.no(), "reason": "邮寄送达办理结果", "fields": []string{"recipient", "phone", "address"}}})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
