package casework

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/catalog"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/files"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/secret"
	"yiwang/internal/stdcode"
)

// Service is the casework use cases.
type Service struct {
	DB       *db.DB
	Catalog  *catalog.Service
	Identity *identity.Service
	Calendar *calendar.Service
	Files    *files.Service
	Box      *secret.Box
	Clock    clock.Clock
	Log      *slog.Logger
	// Licences issues the electronic licence of an approved case whose
	// item yields one (nil: no licences, as in tests of the workflow alone).
	Licences *licence.Service

	numbers    numberer
	lookups    *identity.LoginLimiter // progress lookups by case number and password
	revisions  sync.Map               // wfKey → *Workflow
	inboxCache sync.Map               // step counts and window queues, kept a few seconds
}

// NewService builds the service.
func NewService(d *db.DB, cat *catalog.Service, ids *identity.Service, cal *calendar.Service, fs *files.Service, box *secret.Box, c clock.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	lim := identity.NewLoginLimiter()
	lim.MaxFailures, lim.MaxPerIP = 5, 30
	return &Service{DB: d, Catalog: cat, Identity: ids, Calendar: cal, Files: fs, Box: box, Clock: c, Log: log, lookups: lim}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func itoa(n int) string { return strconv.Itoa(n) }

// txEnv is what a transaction of a use case needs from outside the
// database transaction, loaded before it begins: nothing inside a
// transaction may wait for a second pooled connection (on PostgreSQL the
// reads and the writes share one pool, and transactions each holding a
// connection while waiting for another would wait for ever).
type txEnv struct {
	tab    *calendar.Table
	depts  map[string]identity.Department // by code
	byID   map[string]identity.Department
	issuer *licence.Issuer // nil when the service has no licences
}

// regionOf is the region of a department (by id).
func (e *txEnv) regionOf(id string) string { return e.byID[id].RegionCode }

func (s *Service) loadEnv(ctx context.Context) (*txEnv, error) {
	tab, err := s.Calendar.Table(ctx)
	if err != nil {
		return nil, err
	}
	deps, err := s.Identity.Departments(ctx)
	if err != nil {
		return nil, err
	}
	env := &txEnv{tab: tab, depts: make(map[string]identity.Department, len(deps)), byID: make(map[string]identity.Department, len(deps))}
	for _, d := range deps {
		env.depts[d.Code], env.byID[d.ID] = d, d
	}
	if s.Licences != nil {
		if env.issuer, err = s.Licences.Prepare(ctx); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// Sealed fields.
const (
	fieldForm     = "case.form"
	fieldPassword = "case.query_password"
)

// Limits on what one application may carry.
const (
	maxFilesPerMaterial = 10
	maxMaterialRefs     = 60
	maxValueRunes       = 4000
	maxCommentRunes     = 1000
	maxIdempotencyKey   = 100
)

// Application is what an applicant (or a window clerk for them) submits or
// saves as a draft.
type Application struct {
	Item string // any of the item's codes
	// ItemVersion is the catalogue version the form was filled in under;
	// when given and no longer current the submission is refused as stale
	// (the guide changed while the applicant was drafting).
	ItemVersion int
	Situation   map[string]string
	Form        catalog.Values
	Materials   []MaterialRef
	Submit      bool
	// Applicant is for window intake only: the person or company at the desk.
	Applicant *ApplicantInput
	// IdempotencyKey makes a retried submission return the case first made.
	IdempotencyKey string
	// Mode is "" or ModePledge (告知承诺制, for items that allow it); Pledge
	// is the applicant's signature of the pledge.
	Mode   string
	Pledge bool
	// Deferred are the 容缺 materials to come after acceptance, on the
	// pledge TolerancePledge signs.
	Deferred        []DeferredInput
	TolerancePledge bool
	// Delivery is how the result is to reach the applicant (default: the
	// item's first way, usually the window).
	Delivery *DeliveryInput
}

// MaterialRef attaches an uploaded file to one of the item's materials,
// or, for a material that a licence type satisfies, one of the
// applicant's electronic licences instead (免提交), with the applicant's
// consent to its use.
type MaterialRef struct {
	Material string `json:"material"`
	File     string `json:"file,omitempty"`
	Licence  string `json:"licence,omitempty"`
	Consent  bool   `json:"consent,omitempty"`
}

// ApplicantInput names the applicant a clerk takes an application in for:
// an existing person (PersonID, or IDNumber), a new walk-in (IDNumber with
// Name and Phone), or a company by its 统一社会信用代码.
type ApplicantInput struct {
	PersonID   string `json:"personId,omitempty"`
	IDNumber   string `json:"idNumber,omitempty"`
	Name       string `json:"name,omitempty"`
	Phone      string `json:"phone,omitempty"`
	CreditCode string `json:"creditCode,omitempty"`
}

// applicant is a resolved applicant.
type applicant struct {
	Kind      string
	PersonID  string
	CompanyID string
	Name      string
	AgentID   string
	Channel   string
	IDMasked  string // the person's ID number as screens show it
	AgentName string
	walkIn    *identity.NewPerson // registered once the application is known to be good
	company   *identity.Company   // loaded before the transaction, for prefill
}

var (
	errLogin       = apperr.New(apperr.Unauthenticated, "请先登录")
	errItemMissing = &apperr.Error{Code: apperr.Invalid, Message: "请指定要申请的事项", Fields: map[string]string{"item": "请指定事项编码"}}
)

// resolveApplicant works out who the case is for.
func (s *Service) resolveApplicant(ctx context.Context, actor *identity.Principal, in *ApplicantInput, it *catalog.Item) (*applicant, error) {
	switch actor.Kind {
	case identity.KindPerson:
		if in != nil {
			return nil, &apperr.Error{Code: apperr.Forbidden, Message: "只有综合窗口人员可以代他人申请", Fields: map[string]string{"applicant": "个人只能为自己申请"}}
		}
		me, err := s.Identity.Person(ctx, actor.PersonID)
		if err != nil {
			return nil, err
		}
		return &applicant{Kind: "person", PersonID: actor.PersonID, Name: actor.DisplayName, IDMasked: me.IDNumberMasked, Channel: ChannelOnline}, nil
	case identity.KindCompany:
		if in != nil {
			return nil, &apperr.Error{Code: apperr.Forbidden, Message: "只有综合窗口人员可以代他人申请", Fields: map[string]string{"applicant": "企业经办人只能为本企业申请"}}
		}
		co, err := s.Identity.Company(ctx, actor.CompanyID)
		if err != nil {
			return nil, err
		}
		return &applicant{Kind: "company", CompanyID: actor.CompanyID, Name: actor.CompanyName, AgentID: actor.PersonID, AgentName: actor.DisplayName,
			Channel: ChannelOnline, company: co}, nil
	}
	if !actor.HasRole(identity.RoleClerk) {
		return nil, apperr.New(apperr.Forbidden, "只有综合窗口人员可以代办事人申请")
	}
	if !actor.CanSeeRegion(it.Region) {
		return nil, apperr.New(apperr.Forbidden, "该事项不在您所在窗口的受理范围内")
	}
	if in == nil || (in.PersonID == "" && in.IDNumber == "" && in.CreditCode == "") {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "请指明办事人：公民身份号码，或企业的统一社会信用代码", Fields: map[string]string{"applicant": "请指明办事人"}}
	}
	a := &applicant{Channel: ChannelWindow}
	switch {
	case in.CreditCode != "":
		c, err := s.Identity.FindCompanyByCreditCode(ctx, actor, in.CreditCode)
		if err != nil {
			return nil, prefixFields(err, "applicant.")
		}
		a.Kind, a.CompanyID, a.Name, a.company = "company", c.ID, c.Name, c
	case in.PersonID != "":
		p, err := s.Identity.Person(ctx, in.PersonID)
		if err != nil {
			return nil, &apperr.Error{Code: apperr.Invalid, Message: "办事人不存在", Fields: map[string]string{"applicant.personId": "未找到该人员"}}
		}
		a.Kind, a.PersonID, a.Name, a.IDMasked = "person", p.ID, p.Name, p.IDNumberMasked
	default:
		p, err := s.Identity.FindPersonByIDNumber(ctx, actor, in.IDNumber)
		switch {
		case err == nil:
			if in.Name != "" && strings.TrimSpace(in.Name) != p.Name {
				return nil, &apperr.Error{Code: apperr.Invalid, Message: "姓名与公民身份号码登记的不一致，请核对身份证",
					Fields: map[string]string{"applicant.name": "与登记的姓名不一致"}}
			}
			a.Kind, a.PersonID, a.Name, a.IDMasked = "person", p.ID, p.Name, p.IDNumberMasked
		case apperr.Is(err, apperr.NotFound):
			if in.Name == "" || in.Phone == "" {
				return nil, &apperr.Error{Code: apperr.Invalid, Message: "未找到持该身份证号的人员：请填写姓名和手机号码，登记为现场办事人",
					Fields: map[string]string{"applicant.name": "请填写姓名", "applicant.phone": "请填写手机号码"}}
			}
			a.Kind, a.Name = "person", strings.TrimSpace(in.Name)
			a.IDMasked = stdcode.MaskIDNumber(stdcode.NormalizeIDNumber(in.IDNumber))
			a.walkIn = &identity.NewPerson{Name: in.Name, IDNumber: in.IDNumber, Phone: in.Phone}
		default:
			return nil, prefixFields(err, "applicant.")
		}
	}
	return a, nil
}

// prefixFields moves an error's field names under prefix ("idNumber" →
// "applicant.idNumber").
func prefixFields(err error, prefix string) error {
	e, ok := err.(*apperr.Error)
	if !ok || e.Code == apperr.Internal {
		return err
	}
	out := *e
	out.Fields = map[string]string{}
	for k, v := range e.Fields {
		out.Fields[prefix+k] = v
	}
	if len(out.Fields) == 0 {
		out.Fields[strings.TrimSuffix(prefix, ".")] = e.Message
	}
	return &out
}

// checkObjects: the item must serve this kind of applicant, and be open to
// online applications when the applicant applies online.
func checkObjects(it *catalog.Item, a *applicant) error {
	personOK := slices.Contains(it.ServiceObjects, "1")
	orgOK := false
	for _, o := range it.ServiceObjects {
		orgOK = orgOK || o != "1"
	}
	switch {
	case a.Kind == "person" && !personOK:
		return &apperr.Error{Code: apperr.Invalid, Message: "本事项的服务对象不包括自然人，请以企业或组织身份申请", Fields: map[string]string{"item": "服务对象不包括自然人"}}
	case a.Kind == "company" && !orgOK:
		return &apperr.Error{Code: apperr.Invalid, Message: "本事项只面向自然人，请以个人身份申请", Fields: map[string]string{"item": "服务对象只包括自然人"}}
	case a.Channel == ChannelOnline && it.OnlineDepth < 3:
		return &apperr.Error{Code: apperr.Invalid, Message: "本事项暂不支持网上申请，请到政务服务中心窗口办理", Fields: map[string]string{"item": "不支持网上申请"}}
	}
	return nil
}

// checked is an application that passed the checks.
type checked struct {
	answers catalog.Answers
	values  catalog.Values
	refs    []MaterialRef       // files
	uses    []licence.UseRecord // licences instead of files (免提交)
	cause   string              // 用证事由 of those uses
	org     string              // the department the case goes to
	caseID  string              // once known, for the trail of what prefill read
}

// check validates an application against the item. full is for a
// submission: every question answered, every required field and material
// given. A draft only has to be well formed.
func (s *Service) check(ctx context.Context, actor *identity.Principal, app *Application, e *catalog.Entry, a *applicant, full bool) (*checked, error) {
	it := &e.Item
	f := apperr.FieldErrors{}
	out := &checked{answers: catalog.Answers{}, values: catalog.Values{}}
	for q, o := range app.Situation {
		var sit *catalog.Situation
		for i := range it.Situations {
			if it.Situations[i].ID == q {
				sit = &it.Situations[i]
			}
		}
		switch {
		case sit == nil:
			f.Add("situation."+q, fmt.Sprintf("本事项没有办理情形问题 %q", q))
		case o == "":
		case !slices.ContainsFunc(sit.Options, func(op catalog.Option) bool { return op.ID == o }):
			f.Add("situation."+q, fmt.Sprintf("“%s”没有选项 %q", sit.Question, o))
		default:
			out.answers[q] = o
		}
	}
	if full {
		for _, sit := range it.Situations {
			if out.answers[sit.ID] == "" {
				f.Add("situation."+sit.ID, "请选择"+sit.Question)
			}
		}
	}
	// Form values: every name must be a field of the form (in the answered
	// situation), every value of bounded size; a submission is checked
	// against the typed fields in full later, once prefilled.
	known := map[string]bool{}
	if e.Form != nil {
		for _, fl := range e.Form.FieldsFor(out.answers) {
			known[fl.Name] = true
		}
	}
	for name, vals := range app.Form {
		if !known[name] {
			f.Add("form."+name, fmt.Sprintf("申请表没有字段 %q（或在您的情形下不需要填写）", name))
			continue
		}
		var keep []string
		for _, v := range vals {
			if utf8.RuneCountInString(v) > maxValueRunes {
				f.Add("form."+name, fmt.Sprintf("不能超过%d个字", maxValueRunes))
			}
			if strings.TrimSpace(v) != "" {
				keep = append(keep, strings.TrimSpace(v))
			}
		}
		if len(keep) > 0 {
			out.values[name] = keep
		}
	}
	// Materials.
	applicable := map[string]catalog.Material{}
	for _, m := range it.MaterialsFor(out.answers) {
		applicable[m.ID] = m
	}
	if len(app.Materials) > maxMaterialRefs {
		f.Add("materials", fmt.Sprintf("材料文件不能超过%d个", maxMaterialRefs))
	}
	perMaterial := map[string]int{}
	seen := map[MaterialRef]bool{}
	var fileIDs, licenceIDs []string
	for _, ref := range app.Materials {
		if ref.File != "" {
			fileIDs = append(fileIDs, ref.File)
		}
		if ref.Licence != "" && len(licenceIDs) < maxMaterialRefs {
			licenceIDs = append(licenceIDs, ref.Licence)
		}
	}
	given, err := s.Files.Describe(ctx, fileIDs)
	if err != nil {
		return nil, err
	}
	held := map[string]*licence.Licence{}
	if len(licenceIDs) > 0 && s.Licences != nil {
		if held, err = s.Licences.Load(ctx, licenceIDs); err != nil {
			return nil, err
		}
	}
	out.cause, out.org = "办理“"+it.Name+"”", e.DeptName
	for i, ref := range app.Materials {
		p := fmt.Sprintf("materials[%d]", i)
		m, ok := applicable[ref.Material]
		if !ok {
			if ref.Material == "" {
				f.Add(p+".material", "请指明是哪一项材料")
			} else {
				f.Add(p+".material", fmt.Sprintf("本事项没有材料 %q（或在您的情形下不需要）", ref.Material))
			}
			continue
		}
		if ref.Licence != "" {
			if ref.File != "" {
				f.Add(p+".licence", "一项材料要么上传文件，要么选用电子证照，不能同时给出")
				continue
			}
			if msg := usable(m, held[ref.Licence], a, ref.Consent, s.Licences != nil); msg != "" {
				f.Add(p+".licence", msg)
				f.Add("materials."+m.ID, msg) // beside the material on the page
				continue
			}
			if seen[ref] {
				continue
			}
			seen[ref] = true
			perMaterial[ref.Material]++
			out.uses = append(out.uses, licence.UseRecord{LicenceID: ref.Licence, MaterialID: m.ID, MaterialName: m.Name})
			continue
		}
		if ref.File == "" {
			f.Add(p+".file", "请先上传“"+m.Name+"”的文件")
			continue
		}
		if fl, ok := given[ref.File]; !ok || fl.OwnerAccountID != actor.AccountID {
			f.Add(p+".file", "文件不存在或不是您上传的")
			continue
		}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if perMaterial[ref.Material]++; perMaterial[ref.Material] > maxFilesPerMaterial {
			f.Add(p+".file", fmt.Sprintf("“%s”最多%d个文件", m.Name, maxFilesPerMaterial))
			continue
		}
		out.refs = append(out.refs, ref)
	}
	if full && e.Form != nil {
		// The typed check runs again once the form is prefilled; here a
		// field left empty for prefill is not yet missing.
		fields := map[string]catalog.Field{}
		for _, fl := range e.Form.Fields {
			fields[fl.Name] = fl
		}
		for name, msg := range e.Form.Check(out.values, out.answers, s.now()) {
			if fl := fields[name]; len(out.values[name]) == 0 && prefillable(fl.Prefill, a) {
				continue
			}
			f.Add("form."+name, msg)
		}
	}
	if full {
		for _, m := range it.MaterialsFor(out.answers) {
			if requiredMaterial(m) && perMaterial[m.ID] == 0 {
				f.Add("materials."+m.ID, "请上传："+m.Name)
			}
		}
	}
	return out, f.Err()
}

// checkAll checks an application in full — its answers, form and
// materials, and its extras (容缺, 告知承诺, delivery) — and reports every
// problem of both at once (一次告知), not one round after the other.
func (s *Service) checkAll(ctx context.Context, actor *identity.Principal, app *Application, e *catalog.Entry, a *applicant) (*checked, *extras, *txEnv, time.Time, error) {
	env, err := s.loadEnv(ctx)
	if err != nil {
		return nil, nil, nil, time.Time{}, err
	}
	now := s.now()
	ch, cerr := s.check(ctx, actor, app, e, a, app.Submit)
	var ce *apperr.Error
	if cerr != nil && (ch == nil || !errors.As(cerr, &ce) || ce.Code != apperr.Invalid) {
		return nil, nil, nil, now, cerr
	}
	x, xerr := s.checkExtras(actor, app, &e.Item, ch, env.tab, now, app.Submit)
	var xe *apperr.Error
	switch {
	case xerr != nil && !errors.As(xerr, &xe):
		return nil, nil, nil, now, xerr
	case ce != nil && xe != nil:
		if ce.Fields == nil {
			ce.Fields = map[string]string{}
		}
		for k, v := range xe.Fields {
			if _, ok := ce.Fields[k]; !ok {
				ce.Fields[k] = v
			}
		}
		return nil, nil, nil, now, ce
	case ce != nil:
		return nil, nil, nil, now, ce
	case xerr != nil:
		return nil, nil, nil, now, xerr
	}
	return ch, x, env, now, nil
}

// requiredMaterial: 必要 materials the applicant brings must come with the
// application. 容缺 ones may follow after acceptance, 非必要 ones are
// optional, and those issued by government are fetched by the department.
func requiredMaterial(m catalog.Material) bool {
	return m.Necessity == "必要" && m.Source != "政府部门核发"
}

// MustSubmit reports whether a submission must carry files for material
// m: 必要 materials the applicant brings, and 容缺 ones unless the
// applicant pledges them for later (Application.Deferred).
func MustSubmit(m catalog.Material) bool {
	return (m.Necessity == "必要" || m.Necessity == "容缺") && m.Source != "政府部门核发"
}

// Prefill sources of catalog forms (免填写).
var personPrefill = map[string]bool{"person.name": true, "person.idNumber": true, "person.phone": true}

// prefillable reports whether a field's prefill source has data for this
// applicant: a person's own data (a company's agent's, for person.*), the
// company's for company.*.
func prefillable(source string, a *applicant) bool {
	switch {
	case source == "":
		return false
	case personPrefill[source]:
		return a.Kind == "person" || a.AgentID != ""
	case strings.HasPrefix(source, "company."):
		return a.Kind == "company"
	case catalog.IsLicencePrefill(source):
		return true // when the applicant holds no such licence, the typed check says the field is missing
	}
	return false
}

// prefill fills empty fields that name a prefill source from the
// applicant's verified data, and checks the whole form against its typed
// fields. Reading the ID number or phone is recorded in the trail.
func (s *Service) prefill(ctx context.Context, tx *db.Tx, a *applicant, e *catalog.Entry, ch *checked, now time.Time) error {
	if e.Form == nil {
		return nil
	}
	var person *identity.PersonUnmasked
	var company *identity.Company
	var revealed []string
	personID := a.PersonID
	if a.Kind == "company" {
		personID = a.AgentID
	}
	// 免填写 from the applicant's own licences (their wallet).
	var fromLicences map[string]string
	var licencesRead []string
	if s.Licences != nil {
		var sources []string
		for _, fl := range e.Form.FieldsFor(ch.answers) {
			if catalog.IsLicencePrefill(fl.Prefill) && len(ch.values[fl.Name]) == 0 {
				sources = append(sources, fl.Prefill)
			}
		}
		if len(sources) > 0 {
			var people []string
			if personID != "" {
				people = append(people, personID)
			}
			var err error
			if fromLicences, licencesRead, err = s.Licences.PrefillValues(ctx, tx, people, a.CompanyID, sources); err != nil {
				return err
			}
		}
	}
	for _, fl := range e.Form.FieldsFor(ch.answers) {
		if fl.Prefill == "" || len(ch.values[fl.Name]) > 0 {
			continue
		}
		var v string
		switch {
		case catalog.IsLicencePrefill(fl.Prefill):
			v = fromLicences[fl.Prefill]
		case personPrefill[fl.Prefill] && personID != "":
			if person == nil {
				p, err := s.Identity.UnmaskedIn(ctx, tx, personID)
				if err != nil {
					return err
				}
				person = p
			}
			switch fl.Prefill {
			case "person.name":
				v = person.Name
			case "person.idNumber":
				v, revealed = person.IDNumber, append(revealed, "idNumber")
			case "person.phone":
				v, revealed = person.Phone, append(revealed, "phone")
			}
		case strings.HasPrefix(fl.Prefill, "company.") && a.CompanyID != "":
			if company == nil {
				if company = a.company; company == nil {
					return fmt.Errorf("prefill: company %s not loaded", a.CompanyID)
				}
			}
			switch fl.Prefill {
			case "company.name":
				v = company.Name
			case "company.creditCode":
				v = company.CreditCode
			case "company.legalRep":
				v = company.LegalRepName
			case "company.address":
				v = company.Address
			}
		}
		if v != "" {
			ch.values[fl.Name] = []string{v}
		}
	}
	if problems := e.Form.Check(ch.values, ch.answers, now); len(problems) > 0 {
		f := apperr.FieldErrors{}
		for k, v := range problems {
			f.Add("form."+k, v)
		}
		return f.Err()
	}
	if len(licencesRead) > 0 {
		if err := audit.Append(ctx, tx, now, audit.Entry{Action: "licence.prefill", ObjectType: "case", ObjectID: ch.caseID,
			Detail: map[string]any{"licences": licencesRead, "reason": "免填写：" + e.Item.Name}}); err != nil {
			return err
		}
	}
	if len(revealed) > 0 {
		slices.Sort(revealed)
		return audit.Append(ctx, tx, now, audit.Entry{Action: "person.prefill", ObjectType: "person", ObjectID: personID,
			Detail: map[string]any{"fields": slices.Compact(revealed), "reason": "免填写：" + e.Item.Name}})
	}
	return nil
}

// published finds the current version of an item.
func (s *Service) published(ctx context.Context, code string) (*catalog.Entry, error) {
	if strings.TrimSpace(code) == "" {
		return nil, errItemMissing
	}
	snap, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	e, ok := snap.ByCode(strings.TrimSpace(code))
	if !ok {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("事项 %q 不存在或未发布", code), Fields: map[string]string{"item": "事项不存在"}}
	}
	return e, nil
}

func staleError(e *catalog.Entry, had int) error {
	return &apperr.Error{Code: apperr.Conflict,
		Message: fmt.Sprintf("“%s”的办事指南已于填写期间更新（第 %d 版 → 第 %d 版），请核对申请表和材料后重新提交；已填写的内容已保留", e.Item.Name, had, e.Item.Version),
		Fields:  map[string]string{"itemVersion": fmt.Sprintf("当前为第 %d 版", e.Item.Version)}}
}

// workflowFor is the workflow an item runs under: its current revision.
func (s *Service) workflowFor(ctx context.Context, q db.Querier, it *catalog.Item, mode string) (*Workflow, int, error) {
	id := it.Workflow
	if id == "" {
		id = DefaultWorkflow(it.HandlingType)
	}
	if mode == ModePledge {
		id = it.EffectiveRules().PledgeWorkflow
	}
	var rev int
	err := q.QueryRowContext(ctx, `SELECT revision FROM workflows WHERE id = ?`, id).Scan(&rev)
	if db.IsNoRows(err) {
		return nil, 0, apperr.Newf(apperr.NotFound, "办理流程 %q 不存在", id)
	}
	if err != nil {
		return nil, 0, err
	}
	w, err := s.workflowRev(ctx, q, id, rev)
	return w, rev, err
}

// Create saves an application as a draft or submits it. A retried request
// with the same Idempotency-Key returns the case the first one made
// (replayed true); the same key with a different request is a Conflict.
func (s *Service) Create(ctx context.Context, actor *identity.Principal, app Application) (*Case, bool, error) {
	if actor == nil {
		return nil, false, errLogin
	}
	fingerprint := ""
	if app.IdempotencyKey != "" {
		if len(app.IdempotencyKey) > maxIdempotencyKey || strings.ContainsFunc(app.IdempotencyKey, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return nil, false, apperr.Newf(apperr.Invalid, "Idempotency-Key 应为不超过 %d 个可见 ASCII 字符", maxIdempotencyKey)
		}
		b, _ := json.Marshal(app)
		sum := sha256.Sum256(b)
		fingerprint = hex.EncodeToString(sum[:])
		if c, err := s.replay(ctx, actor, app.IdempotencyKey, fingerprint); c != nil || err != nil {
			return c, c != nil, err
		}
	}
	e, err := s.published(ctx, app.Item)
	if err != nil {
		return nil, false, err
	}
	if app.ItemVersion != 0 && app.ItemVersion != e.Item.Version {
		return nil, false, staleError(e, app.ItemVersion)
	}
	a, err := s.resolveApplicant(ctx, actor, app.Applicant, &e.Item)
	if err != nil {
		return nil, false, err
	}
	if err := checkObjects(&e.Item, a); err != nil {
		return nil, false, err
	}
	ch, x, env, now, err := s.checkAll(ctx, actor, &app, e, a)
	if err != nil {
		return nil, false, err
	}
	c := &caseRow{ID: newID(), ItemID: e.ID, ItemCode: e.Item.Code, ItemVersion: e.Item.Version, ItemName: e.Item.Name,
		DepartmentID: e.DeptID, RegionCode: e.Item.Region, Status: StatusDraft, Channel: a.Channel,
		ApplicantKind: a.Kind, ApplicantName: a.Name, CreatedBy: actor.AccountID, ListedAt: now, CreatedAt: now, UpdatedAt: now}
	c.ApplicantPersonID, c.ApplicantCompanyID, c.AgentPersonID = ptr(a.PersonID), ptr(a.CompanyID), ptr(a.AgentID)
	c.ApplicantIDMasked, c.AgentName, c.ItemType = a.IDMasked, a.AgentName, e.Item.Type
	x.apply(c)
	var no string
	if app.Submit {
		if no, err = s.nextCaseNo(ctx, c.RegionCode, now); err != nil {
			return nil, false, err
		}
	}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if a.walkIn != nil {
			id, err := s.Identity.RegisterWalkInIn(ctx, tx, actor, *a.walkIn)
			if err != nil {
				return prefixFields(err, "applicant.")
			}
			a.PersonID, c.ApplicantPersonID = id, ptr(id)
		}
		remember := func() error {
			if fingerprint == "" {
				return nil
			}
			// A concurrent twin that got here first makes this a Conflict;
			// its case is replayed below.
			return db.ExecLater(ctx, tx, nil, `INSERT INTO case_idempotency (account_id, idem_key, fingerprint, case_id, created_at) VALUES (?, ?, ?, ?, ?)`,
				actor.AccountID, app.IdempotencyKey, fingerprint, c.ID, now)
		}
		if !app.Submit {
			if err := s.storeDraft(ctx, tx, c, ch, true, now, actor); err != nil {
				return err
			}
			if err := remember(); err != nil {
				return err
			}
			return audit.Append(ctx, tx, now, audit.Entry{Action: "case.draft", ObjectType: "case", ObjectID: c.ID, AfterRef: string(StatusDraft),
				Detail: map[string]any{"item": c.ItemCode}})
		}
		return s.submitTx(ctx, tx, env, actor, a, c, e, ch, x, no, true, now, remember)
	})
	if err != nil {
		if fingerprint != "" && apperr.Is(err, apperr.Conflict) {
			if c, rerr := s.replay(ctx, actor, app.IdempotencyKey, fingerprint); c != nil || rerr != nil {
				return c, c != nil, rerr
			}
		}
		return nil, false, err
	}
	out, err := s.view(ctx, actor, c.ID)
	return out, false, err
}

// replay returns the case an earlier request with this key made.
func (s *Service) replay(ctx context.Context, actor *identity.Principal, key, fingerprint string) (*Case, error) {
	var caseID, fp string
	err := s.DB.QueryRowContext(ctx, `SELECT case_id, fingerprint FROM case_idempotency WHERE account_id = ? AND idem_key = ?`, actor.AccountID, key).Scan(&caseID, &fp)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fp != fingerprint {
		return nil, apperr.New(apperr.Conflict, "该 Idempotency-Key 已用于另一份不同的申请，请换一个新的键")
	}
	return s.view(ctx, actor, caseID)
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// usable says why a licence cannot stand in for material m ("" when it
// can): the material must accept a licence type, the licence must be the
// applicant's own (anyone else's is "not found", never described), of that
// type, valid now, and its use consented to.
func usable(m catalog.Material, l *licence.Licence, a *applicant, consent, enabled bool) string {
	switch {
	case !enabled || m.LicenceType == "":
		return "“" + m.Name + "”不能以电子证照代替，请上传文件"
	case l == nil || !(l.HeldBy(a.PersonID, a.CompanyID) || (a.AgentID != "" && l.HeldBy(a.AgentID, ""))):
		return "所选电子证照不存在或不是申请人持有的"
	case l.TypeName != m.LicenceType:
		return "“" + m.Name + "”须为" + m.LicenceType + "，所选的是" + l.TypeName
	case l.State != licence.StateValid:
		return "所选" + l.TypeName + l.StateName + "，不能使用"
	case !consent:
		return "请确认授权使用" + l.TypeName + "（用证事由：办理本事项）"
	}
	return ""
}

// storeDraft writes a draft's situation, form and materials.
func (s *Service) storeDraft(ctx context.Context, tx *db.Tx, c *caseRow, ch *checked, insert bool, now time.Time, actor *identity.Principal) error {
	sit, err := json.Marshal(ch.answers)
	if err != nil {
		return err
	}
	c.Situation = string(sit)
	if c.FormEnc, err = s.sealForm(ch.values); err != nil {
		return err
	}
	c.UpdatedAt = now
	hadUses := c.Extras&extrasLicences != 0
	if len(ch.uses) > 0 {
		c.Extras |= extrasLicences
	}
	if insert {
		if err := insertCase(ctx, tx, c); err != nil {
			return err
		}
	} else {
		read := c.Revision
		c.Revision++
		if err := updateCase(ctx, tx, c, read); err != nil {
			return err
		}
	}
	if err := replaceMaterials(ctx, tx, c.ID, ch.refs, now, actor.AccountID, insert); err != nil {
		return err
	}
	if s.Licences == nil || (len(ch.uses) == 0 && !hadUses) {
		return nil
	}
	consent := licence.ConsentOnline
	if actor.IsStaff() {
		consent = licence.ConsentWindow
	}
	if err := s.Licences.RecordUsesIn(ctx, tx, actor, c.ID, c.no(), ch.cause, ch.org, consent, ch.uses, now); err != nil {
		return err
	}
	if c.No != nil {
		return s.Licences.SetCaseNoIn(ctx, tx, c.ID, *c.No)
	}
	return nil
}

func (s *Service) sealForm(v catalog.Values) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return s.Box.Seal(fieldForm, string(b))
}

func (s *Service) openForm(sealed string) (catalog.Values, error) {
	out := catalog.Values{}
	if sealed == "" {
		return out, nil
	}
	pt, err := s.Box.Open(fieldForm, sealed)
	if err != nil {
		return nil, err
	}
	return out, json.Unmarshal([]byte(pt), &out)
}

// newQueryPassword is the 6-digit password for progress lookups.
func newQueryPassword() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// submitTx submits case c (new when insert) inside tx: prefill and the
// full form check, the case number and query password, the first task of
// its workflow, the timeline, the outbox and the trail.
func (s *Service) submitTx(ctx context.Context, tx *db.Tx, env *txEnv, actor *identity.Principal, a *applicant, c *caseRow, e *catalog.Entry, ch *checked, x *extras, no string, insert bool, now time.Time, also func() error) error {
	ch.caseID = c.ID
	if err := s.prefill(ctx, tx, a, e, ch, now); err != nil {
		return err
	}
	wf, rev, err := s.workflowFor(ctx, tx, &e.Item, x.mode)
	if err != nil {
		return err
	}
	pw, err := newQueryPassword()
	if err != nil {
		return err
	}
	if c.QueryPasswordEnc, err = s.Box.Seal(fieldPassword, pw); err != nil {
		return err
	}
	c.No = &no
	c.WorkflowID, c.WorkflowRev, c.wf = wf.ID, rev, wf
	c.ItemVersion, c.ItemName, c.ItemType = e.Item.Version, e.Item.Name, e.Item.Type
	c.PromisedAmount, c.PromisedUnit = e.Item.PromisedLimit.Amount, e.Item.PromisedLimit.Unit
	c.LegalAmount, c.LegalUnit = e.Item.LegalLimit.Amount, e.Item.LegalLimit.Unit
	if x.mode == ModePledge {
		// A pledged case is decided in the short limit of the rule.
		pl := e.Item.EffectiveRules().PledgeLimit
		c.PromisedAmount, c.PromisedUnit = pl.Amount, pl.Unit
	}
	x.apply(c)
	c.DeferredOpen = len(x.deferred)
	if x.tolerance {
		c.Extras |= extrasTolerance
	}
	if x.mode == ModePledge {
		c.Extras |= extrasPledge
	}
	from := c.Status
	c.Status, c.SubmittedAt, c.ListedAt = StatusSubmitted, &now, now
	if err := s.storeDraft(ctx, tx, c, ch, insert, now, actor); err != nil {
		return err
	}
	if also != nil {
		if err := also(); err != nil {
			return err
		}
	}
	if err := s.storeExtras(ctx, tx, actor, c, &e.Item, x, now); err != nil {
		return err
	}
	start, _ := wf.Step(wf.Start)
	t, err := s.taskFor(c, start, "", now, env)
	if err != nil {
		return err
	}
	if err := insertTask(ctx, tx, t); err != nil {
		return err
	}
	name := "网上提交申请"
	if c.Channel == ChannelWindow {
		name = "窗口收件"
	}
	if err := insertEvent(ctx, tx, &eventRow{ID: newID(), CaseID: c.ID, At: now, ActorID: actor.AccountID, ActorName: actor.DisplayName,
		Org: orgOf(actor), Action: "submit", ActionName: name, From: from, To: c.Status}); err != nil {
		return err
	}
	if err := insertOutbox(ctx, tx, "case.submitted", c.ID, map[string]any{"caseNo": no, "item": c.ItemCode, "status": c.Status}, now); err != nil {
		return err
	}
	return audit.Append(ctx, tx, now, audit.Entry{Action: "case.submit", ObjectType: "case", ObjectID: c.ID,
		BeforeRef: string(from), AfterRef: string(c.Status), Detail: map[string]any{"caseNo": no, "item": c.ItemCode, "version": c.ItemVersion, "channel": c.Channel}})
}

// orgOf is who an actor acts as, for the timeline.
func orgOf(p *identity.Principal) string {
	switch {
	case p == nil:
		return ""
	case p.IsStaff():
		if p.HasRole(identity.RoleClerk) {
			return p.Department + "·综合窗口"
		}
		return p.Department
	case p.CompanyName != "":
		return p.CompanyName
	}
	return "申请人"
}

// taskFor builds the task of case c in step st.
func (s *Service) taskFor(c *caseRow, st *StepDef, fork string, now time.Time, env *txEnv) (*taskRow, error) {
	tab := env.tab
	queue, err := queueOf(c, st.Actor, env)
	if err != nil {
		return nil, err
	}
	t := &taskRow{ID: newID(), CaseID: c.ID, Step: st.ID, StepName: st.Name, Queue: queue,
		Roles: "," + strings.Join(st.Actor.Roles, ",") + ",", ForkID: fork, Status: "open", CreatedAt: now}
	switch {
	case st.Limit > 0:
		due, _, err := DueAt(tab, now, st.Limit, "1")
		if err != nil {
			return nil, err
		}
		if c.PromisedDueAt != nil && c.DecidedAt == nil && due.After(*c.PromisedDueAt) {
			due = *c.PromisedDueAt // a step never runs past the case's own limit
		}
		t.DueAt = &due
	case c.PromisedDueAt != nil && c.DecidedAt == nil:
		due := *c.PromisedDueAt
		t.DueAt = &due
	}
	return t, nil
}

// queueOf is the queue a step's tasks of case c wait in.
func queueOf(c *caseRow, a Actor, env *txEnv) (string, error) {
	switch a.Department {
	case DeptWindow:
		return "window:" + c.RegionCode, nil
	case DeptOwner:
		return "dept:" + c.DepartmentID, nil
	}
	d, ok := env.depts[a.Department]
	if !ok {
		return "", fmt.Errorf("workflow department %s does not exist", a.Department)
	}
	return "dept:" + d.ID, nil
}

// UpdateDraft replaces a draft's answers, form and materials (the owner
// only). The draft moves to the item's current version.
func (s *Service) UpdateDraft(ctx context.Context, actor *identity.Principal, ref string, app Application) (*Case, error) {
	if actor == nil {
		return nil, errLogin
	}
	c, err := caseByRef(ctx, s.DB, ref, false)
	if err != nil {
		return nil, err
	}
	if c.CreatedBy != actor.AccountID {
		return nil, errCaseNotFound
	}
	if c.Status != StatusDraft {
		return nil, apperr.Newf(apperr.Conflict, "办件已提交（%s），不能再修改草稿", StatusNames[c.Status])
	}
	if app.Item != "" && app.Item != c.ItemCode {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "草稿不能改为另一个事项", Fields: map[string]string{"item": "与草稿的事项不同"}}
	}
	e, err := s.published(ctx, c.ItemCode)
	if err != nil {
		return nil, err
	}
	if app.ItemVersion != 0 && app.ItemVersion != e.Item.Version {
		return nil, staleError(e, app.ItemVersion)
	}
	a, err := s.caseApplicant(ctx, c)
	if err != nil {
		return nil, err
	}
	ch, x, env, now, err := s.checkAll(ctx, actor, &app, e, a)
	if err != nil {
		return nil, err
	}
	x.apply(c)
	var no string
	if app.Submit {
		if no, err = s.nextCaseNo(ctx, c.RegionCode, now); err != nil {
			return nil, err
		}
	}
	c.ItemVersion, c.ItemName = e.Item.Version, e.Item.Name
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if app.Submit {
			return s.submitTx(ctx, tx, env, actor, a, c, e, ch, x, no, false, now, nil)
		}
		if err := s.storeDraft(ctx, tx, c, ch, false, now, actor); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "case.draft", ObjectType: "case", ObjectID: c.ID, AfterRef: string(StatusDraft),
			Detail: map[string]any{"item": c.ItemCode, "version": c.ItemVersion}})
	})
	if err != nil {
		return nil, err
	}
	return s.view(ctx, actor, c.ID)
}

// caseApplicant is the applicant stored with a case.
func (s *Service) caseApplicant(ctx context.Context, c *caseRow) (*applicant, error) {
	a := &applicant{Kind: c.ApplicantKind, PersonID: deref(c.ApplicantPersonID), CompanyID: deref(c.ApplicantCompanyID),
		Name: c.ApplicantName, AgentID: deref(c.AgentPersonID), Channel: c.Channel}
	if a.CompanyID != "" {
		co, err := s.Identity.Company(ctx, a.CompanyID)
		if err != nil {
			return nil, err
		}
		a.company = co
	}
	return a, nil
}

// submitDraft submits a draft as it was saved, under the version it was
// saved with: if the catalogue moved on, the applicant must look again.
func (s *Service) submitDraft(ctx context.Context, actor *identity.Principal, c *caseRow, data map[string]any) (*Case, error) {
	if c.CreatedBy != actor.AccountID {
		return nil, apperr.New(apperr.Forbidden, "只有草稿的填写人可以提交")
	}
	if c.Status != StatusDraft {
		return nil, apperr.Newf(apperr.Conflict, "办件已提交（%s）", StatusNames[c.Status])
	}
	e, err := s.published(ctx, c.ItemCode)
	if err != nil {
		return nil, err
	}
	if e.Item.Version != c.ItemVersion {
		return nil, staleError(e, c.ItemVersion)
	}
	values, err := s.openForm(c.FormEnc)
	if err != nil {
		return nil, err
	}
	var sit map[string]string
	if err := json.Unmarshal([]byte(c.Situation), &sit); err != nil {
		return nil, err
	}
	mats, err := caseMaterials(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	// What a draft does not keep (the 容缺 pledge, the signatures) comes
	// with the submission.
	var more struct {
		Pledge          bool            `json:"pledge"`
		Deferred        []DeferredInput `json:"deferred"`
		TolerancePledge bool            `json:"tolerancePledge"`
	}
	if err := decodeData(data, &more); err != nil {
		return nil, err
	}
	app := Application{Item: c.ItemCode, Situation: sit, Form: values, Submit: true, Mode: c.Mode,
		Pledge: more.Pledge, Deferred: more.Deferred, TolerancePledge: more.TolerancePledge}
	if app.Delivery, err = s.draftDelivery(c); err != nil {
		return nil, err
	}
	for _, m := range mats {
		app.Materials = append(app.Materials, MaterialRef{Material: m.Material, File: m.FileID})
	}
	return s.UpdateDraft(ctx, actor, c.ID, app)
}

// WithClock returns a service that reads time from c and otherwise works
// on the same database and services (the demo writes cases at past times).
func (s *Service) WithClock(c clock.Clock) *Service {
	out := NewService(s.DB, s.Catalog, s.Identity, s.Calendar, s.Files, s.Box, c, s.Log)
	out.Licences = s.Licences
	return out
}
