package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"yiwang/internal/apperr"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/stdcode"
)

func (s *Server) routesCasePages() {
	s.page("GET /items/{code}/apply", authRequired, s.applyPage)
	s.page("POST /items/{code}/apply", authRequired, s.applySubmit)
	s.page("GET /cases", authRequired, s.myCasesPage)
	s.page("GET /cases/{ref}", authRequired, s.casePage)
	s.page("GET /cases/{ref}/edit", authRequired, s.draftPage)
	s.page("POST /cases/{ref}/edit", authRequired, s.draftSubmit)
	s.page("POST /cases/{ref}/act", authRequired, s.caseAct)
	s.page("GET /cases/{ref}/notice/{kind}", authRequired, s.caseNotice)
	s.page("GET /cases/{ref}/files/{id}", authRequired, s.caseFile)
	s.page("GET /progress", authOptional, s.progressPage)
	s.page("POST /progress", authOptional, s.progressSubmit)
	s.page("GET /desk", authRequired, s.deskPage)
	s.page("GET /desk/apply", authRequired, s.deskApplyPage)
	s.page("POST /desk/apply", authRequired, s.deskApplySubmit)
	s.page("GET /inbox", authRequired, s.inboxPage)
	s.page("GET /staff/cases", authRequired, s.staffCasesPage)
}

// fieldView is one form field on the application page.
type fieldView struct {
	catalog.Field
	Value     string
	Values    []string
	Prefilled string // what the platform will fill in, as shown (masked)
	// FromApplicant: at the window, for a walk-in not yet registered, the
	// field is filled from the applicant block (name, ID number, phone).
	FromApplicant bool
	// FromLicence: the value comes from one of the applicant's licences.
	FromLicence bool
	Err         string
}

// materialView is one material on the application page with the files
// already given for it.
type materialView struct {
	catalog.Material
	Files    []casework.FileView
	Required bool
	Err      string
	// Licences are the applicant's valid licences of the type that
	// satisfies the material (免提交); Chosen the one picked, Consent
	// whether its use was authorised.
	Licences []licence.Holding
	Chosen   string
	Consent  bool
}

// applyData is the application form: online, for a draft, or at the desk.
type applyData struct {
	Entry     *catalog.Entry
	Answers   catalog.Answers
	Complete  bool
	Fields    []fieldView
	Materials []materialView
	Draft     *casework.Case
	Action    string // where the form posts (without the csrf query)
	Situation string // where the situation form goes (GET)
	Window    bool
	Applicant url.Values // desk: idNumber, name, phone, creditCode
	Person    *identity.Person
	Company   *identity.Company
	MaxMB     int64
	// Rules are the item's handling rules (容缺, 告知承诺, delivery);
	// Posted what the form last sent, to show the choices again.
	Rules      catalog.Rules
	Posted     url.Values
	Deliveries []catalog.Option
	// ExtraErrs are the problems of the choices (容缺 dates, pledges,
	// delivery) that have no single field.
	ExtraErrs []string
}

// errNotForStaff keeps staff on their own pages.
var errNotForStaff = apperr.New(apperr.NotFound, "工作人员请在窗口工作台为办事人收件")

func (s *Server) applyPage(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.IsStaff() {
		if p.HasRole(identity.RoleClerk) {
			http.Redirect(w, r, "/desk/apply?item="+url.QueryEscape(r.PathValue("code")), http.StatusSeeOther)
			return nil
		}
		return errNotForStaff
	}
	e, err := s.publishedItem(r)
	if err != nil {
		return err
	}
	d := s.newApplyData(r, e, e.Item.AnswersFrom(r.URL.Query().Get))
	d.Action = "/items/" + e.Item.Code + "/apply"
	d.Situation = d.Action
	return s.renderApply(w, r, http.StatusOK, d, nil, nil, nil)
}

func (s *Server) publishedItem(r *http.Request) (*catalog.Entry, error) {
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return nil, err
	}
	e, ok := snap.ByCode(r.PathValue("code"))
	if !ok {
		return nil, apperr.New(apperr.NotFound, "未找到该事项")
	}
	return e, nil
}

func (s *Server) newApplyData(r *http.Request, e *catalog.Entry, a catalog.Answers) *applyData {
	return &applyData{Entry: e, Answers: a, Complete: e.Item.Complete(a), MaxMB: s.Files.Limit() >> 20}
}

// renderApply shows the application form with what was typed (values),
// the files already given (kept), and every problem of e beside its field.
func (s *Server) renderApply(w http.ResponseWriter, r *http.Request, status int, d *applyData, values url.Values, kept map[string][]casework.FileView, e *apperr.Error) error {
	it := &d.Entry.Item
	if e == nil {
		e = &apperr.Error{Fields: map[string]string{}}
	}
	if d.Draft != nil && values == nil {
		values = url.Values{}
		for k, vs := range d.Draft.Form {
			values["f."+k] = vs
		}
	}
	prefill := s.prefillPreview(r, d)
	if d.Entry.Form != nil {
		for _, fl := range d.Entry.Form.FieldsFor(d.Answers) {
			fv := fieldView{Field: fl, Values: values["f."+fl.Name], Prefilled: prefill[fl.Prefill], Err: e.Fields["form."+fl.Name]}
			fv.FromApplicant = d.Window && d.Person == nil && d.Company == nil && strings.HasPrefix(fl.Prefill, "person.")
			fv.FromLicence = fv.Prefilled != "" && catalog.IsLicencePrefill(fl.Prefill)
			if len(fv.Values) > 0 {
				fv.Value = fv.Values[0]
			}
			d.Fields = append(d.Fields, fv)
		}
	}
	holdings, err := s.holdings(r, d, it.MaterialsFor(d.Answers))
	if err != nil {
		return err
	}
	for _, m := range it.MaterialsFor(d.Answers) {
		mv := materialView{Material: m, Files: kept[m.ID], Required: casework.MustSubmit(m), Err: e.Fields["materials."+m.ID]}
		if m.LicenceType != "" {
			mv.Licences = holdings[m.LicenceType]
			mv.Chosen, mv.Consent = values.Get("lic."+m.ID), values.Get("consent."+m.ID) != ""
			if values == nil || d.Draft != nil && values.Get("lic."+m.ID) == "" {
				for _, u := range draftUses(d) {
					if u.MaterialID == m.ID {
						mv.Chosen, mv.Consent = u.Licence.ID, true
					}
				}
			}
		}
		d.Materials = append(d.Materials, mv)
	}
	d.Rules, d.Posted = it.EffectiveRules(), values
	if d.Posted == nil {
		d.Posted = url.Values{}
	}
	if d.Draft != nil && d.Posted.Get("delivery.method") == "" {
		d.Posted.Set("delivery.method", d.Draft.Delivery.Method)
		d.Posted.Set("mode", d.Draft.Mode)
	}
	d.Deliveries = nil
	for _, m := range d.Rules.Delivery {
		label := catalog.DeliveryMethods[m]
		if m == "post" && it.Flags.FreeMail {
			label += "（免费邮寄）"
		}
		d.Deliveries = append(d.Deliveries, catalog.Option{ID: m, Label: label})
	}
	for k, v := range e.Fields {
		if strings.HasPrefix(k, "deferred[") {
			d.ExtraErrs = append(d.ExtraErrs, v)
		}
	}
	sort.Strings(d.ExtraErrs)
	pg := page{Title: "在线申请：" + it.Name, Data: d, Error: e.Message, Errors: e.Fields}
	if d.Window {
		pg.Title = "窗口收件：" + it.Name
	}
	s.render(w, r, status, "apply", pg)
	return nil
}

// applyFail re-renders the form with every problem of err beside its
// field; errors that are not about the form become an error page.
func (s *Server) applyFail(w http.ResponseWriter, r *http.Request, d *applyData, values url.Values, kept map[string][]casework.FileView, err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code == apperr.Internal || e.Code == apperr.Forbidden {
		return err
	}
	// With htmx the address bar would keep the POST's URL (and its csrf
	// query): show the form's own address instead, so a reload works.
	q := url.Values{}
	for k, v := range d.Answers {
		q.Set(k, v)
	}
	if d.Window {
		q.Set("item", d.Entry.Item.Code)
		for k, v := range d.Applicant {
			q[k] = v
		}
	}
	back := d.Situation
	if len(q) > 0 {
		back += "?" + q.Encode()
	}
	w.Header().Set("HX-Replace-Url", back)
	return s.renderApply(w, r, statusOf(e.Code), d, values, kept, e)
}

// prefillPreview is what the platform will fill in for each prefill
// source, as the page may show it: names and company data as they are,
// the ID number and phone masked (免填写 without revealing them).
func (s *Server) prefillPreview(r *http.Request, d *applyData) map[string]string {
	out := map[string]string{}
	p := principal(r)
	personID, companyID := "", ""
	switch {
	case d.Window && d.Person != nil:
		personID = d.Person.ID
	case d.Window && d.Company != nil:
		companyID = d.Company.ID
	case !d.Window:
		personID, companyID = p.PersonID, p.CompanyID
	}
	if personID != "" {
		if person, err := s.Identity.Person(r.Context(), personID); err == nil {
			out["person.name"], out["person.idNumber"], out["person.phone"] = person.Name, person.IDNumberMasked, person.PhoneMasked
		}
	}
	if companyID != "" {
		if c, err := s.Identity.Company(r.Context(), companyID); err == nil {
			out["company.name"], out["company.creditCode"], out["company.legalRep"], out["company.address"] = c.Name, c.CreditCode, c.LegalRepName, c.Address
		}
	}
	// 免填写 from the wallet: what the applicant's licences say.
	if s.Licences != nil && d.Entry.Form != nil && (personID != "" || companyID != "") {
		var sources []string
		for _, fl := range d.Entry.Form.FieldsFor(d.Answers) {
			if catalog.IsLicencePrefill(fl.Prefill) {
				sources = append(sources, fl.Prefill)
			}
		}
		if len(sources) > 0 {
			var people []string
			if personID != "" {
				people = append(people, personID)
			}
			if vals, _, err := s.Licences.PrefillValues(r.Context(), s.DB, people, companyID, sources); err == nil {
				for k, v := range vals {
					out[k] = v
				}
			}
		}
	}
	return out
}

// applicationForm is a posted application page: its text fields and the
// files uploaded with it.
type applicationForm struct {
	values url.Values
	refs   []casework.MaterialRef
	kept   map[string][]casework.FileView
}

// maxApplicationBody bounds one posted application with its files.
const maxApplicationBody = 120 << 20

// readApplication streams a multipart application: text parts into
// values, each file part through the files service (checked by content and
// stored), so a file needs uploading only once even when the form comes
// back with problems.
func (s *Server) readApplication(w http.ResponseWriter, r *http.Request) (*applicationForm, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	out := &applicationForm{values: url.Values{}, kept: map[string][]casework.FileView{}}
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		// A form without files (no file input was used) may come urlencoded.
		if err := parseForm(w, r); err != nil {
			return nil, err
		}
		out.values = r.PostForm
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxApplicationBody)
		mr := multipart.NewReader(r.Body, params["boundary"])
		textBytes := 0
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, s.uploadError(err)
			}
			name := part.FormName()
			fname, isFile := partFileName(part)
			if !isFile {
				b, err := io.ReadAll(io.LimitReader(part, maxFormBody+1))
				if err != nil {
					return nil, s.uploadError(err)
				}
				if textBytes += len(b); textBytes > maxFormBody {
					return nil, apperr.New(apperr.TooLarge, "填写的内容过多")
				}
				out.values.Add(name, string(b))
				continue
			}
			material, ok := strings.CutPrefix(name, "m.")
			if !ok || fname == "" {
				continue // an empty file input
			}
			in, err := s.Files.Receive(r.Context(), principal(r), fname, part)
			if err != nil {
				var ae *apperr.Error
				if errors.As(err, &ae) {
					return out, &apperr.Error{Code: ae.Code, Message: "“" + fname + "”：" + ae.Message, Fields: map[string]string{"materials." + material: ae.Message}}
				}
				return nil, s.uploadError(err)
			}
			f, err := s.Files.Save(r.Context(), principal(r), in)
			in.Close()
			if err != nil {
				return nil, err
			}
			out.refs = append(out.refs, casework.MaterialRef{Material: material, File: f.ID})
			out.kept[material] = append(out.kept[material], casework.FileView{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size})
		}
	}
	// Files given earlier and kept (ticked) on the form.
	for key, ids := range out.values {
		material, ok := strings.CutPrefix(key, "keep.")
		if !ok {
			continue
		}
		infos, err := s.Files.Describe(r.Context(), ids)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if f, ok := infos[id]; ok && f.OwnerAccountID == principal(r).AccountID {
				out.refs = append(out.refs, casework.MaterialRef{Material: material, File: id})
				out.kept[material] = append(out.kept[material], casework.FileView{ID: id, Name: f.Name, ContentType: f.ContentType, Size: f.Size})
			}
		}
	}
	sort.SliceStable(out.refs, func(i, j int) bool { return out.refs[i].Material < out.refs[j].Material })
	return out, nil
}

// holdings are the applicant's licences usable for the materials (免提交):
// the person's own; for a company, the company's and its agent's own; at
// the desk, those of the person or company found.
func (s *Server) holdings(r *http.Request, d *applyData, ms []catalog.Material) (map[string][]licence.Holding, error) {
	if s.Licences == nil {
		return nil, nil
	}
	var types []string
	for _, m := range ms {
		if m.LicenceType != "" {
			types = append(types, m.LicenceType)
		}
	}
	if len(types) == 0 {
		return nil, nil
	}
	p := principal(r)
	var people []string
	company := ""
	switch {
	case d.Window:
		if d.Person != nil {
			people = append(people, d.Person.ID)
		}
		if d.Company != nil {
			company = d.Company.ID
		}
	default:
		if p.PersonID != "" {
			people = append(people, p.PersonID)
		}
		company = p.CompanyID
	}
	if len(people) == 0 && company == "" {
		return nil, nil
	}
	return s.Licences.Usable(r.Context(), people, company, types)
}

// draftUses are the licences a draft gives for its materials.
func draftUses(d *applyData) []licence.CaseUse {
	if d.Draft == nil {
		return nil
	}
	return d.Draft.LicenceUses
}

// application builds the casework input from a posted form.
func (af *applicationForm) application(e *catalog.Entry, submit bool) casework.Application {
	app := casework.Application{Item: e.Item.Code, Situation: map[string]string{}, Form: catalog.Values{}, Materials: af.refs, Submit: submit}
	// 免提交: a licence picked for a material, with the consent box.
	var picked []string
	for key := range af.values {
		if m, ok := strings.CutPrefix(key, "lic."); ok && strings.TrimSpace(af.values.Get(key)) != "" {
			picked = append(picked, m)
		}
	}
	sort.Strings(picked)
	for _, m := range picked {
		app.Materials = append(app.Materials, casework.MaterialRef{Material: m, Licence: strings.TrimSpace(af.values.Get("lic." + m)),
			Consent: af.values.Get("consent."+m) != ""})
	}
	fmt.Sscan(af.values.Get("itemVersion"), &app.ItemVersion)
	v := af.values
	app.Mode, app.Pledge = v.Get("mode"), v.Get("pledge") != ""
	app.Deferred, app.TolerancePledge = deferredOf(v), v.Get("tolerancePledge") != ""
	if m := v.Get("delivery.method"); m != "" {
		app.Delivery = &casework.DeliveryInput{Method: m, Recipient: v.Get("delivery.recipient"), Phone: v.Get("delivery.phone"), Address: v.Get("delivery.address")}
	}
	for k, vs := range af.values {
		switch {
		case strings.HasPrefix(k, "s."):
			app.Situation[k[2:]] = vs[0]
		case strings.HasPrefix(k, "f."):
			var keep []string
			for _, v := range vs {
				if strings.TrimSpace(v) != "" {
					keep = append(keep, v)
				}
			}
			if len(keep) > 0 {
				app.Form[k[2:]] = keep
			}
		}
	}
	return app
}

func answersOf(e *catalog.Entry, v url.Values) catalog.Answers {
	return e.Item.AnswersFrom(func(q string) string { return v.Get("s." + q) })
}

func (s *Server) applySubmit(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.IsStaff() {
		return errNotForStaff
	}
	e, err := s.publishedItem(r)
	if err != nil {
		return err
	}
	af, err := s.readApplication(w, r)
	d := s.newApplyData(r, e, nil)
	d.Action = "/items/" + e.Item.Code + "/apply"
	d.Situation = d.Action
	if af != nil {
		d.Answers = answersOf(e, af.values)
		d.Complete = e.Item.Complete(d.Answers)
	}
	if err != nil {
		if af == nil {
			return err
		}
		return s.applyFail(w, r, d, af.values, af.kept, err)
	}
	submit := af.values.Get("do") == "submit"
	c, _, err := s.Cases.Create(r.Context(), p, af.application(e, submit))
	if err != nil {
		return s.applyFail(w, r, d, af.values, af.kept, err)
	}
	s.afterSave(w, r, c, submit)
	return nil
}

func (s *Server) afterSave(w http.ResponseWriter, r *http.Request, c *casework.Case, submitted bool) {
	if !submitted {
		s.redirect(w, r, "/cases/"+c.ID, "草稿已保存。您可以随时回来继续填写并提交。")
		return
	}
	msg := fmt.Sprintf("申请已提交。办件编号：%s", c.No)
	if c.QueryPassword != "" {
		msg += fmt.Sprintf("，查询密码：%s（可凭编号和密码在自助终端或电话查询进度）", c.QueryPassword)
	}
	s.redirect(w, r, "/cases/"+c.No, msg)
}

func (s *Server) draftPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Cases.Get(r.Context(), principal(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	if c.Status != casework.StatusDraft {
		http.Redirect(w, r, "/cases/"+c.No, http.StatusSeeOther)
		return nil
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	e, ok := snap.ByCode(c.Item.Code)
	if !ok {
		return apperr.New(apperr.NotFound, "该事项已不再办理")
	}
	answers := catalog.Answers(c.Situation)
	if q := r.URL.Query(); len(q) > 0 {
		answers = e.Item.AnswersFrom(q.Get)
	}
	d := s.newApplyData(r, e, answers)
	d.Draft = c
	d.Action = "/cases/" + c.ID + "/edit"
	d.Situation = d.Action
	kept := map[string][]casework.FileView{}
	for _, m := range c.Materials {
		kept[m.ID] = m.Files
	}
	return s.renderApply(w, r, http.StatusOK, d, nil, kept, nil)
}

func (s *Server) draftSubmit(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	c, err := s.Cases.Get(r.Context(), p, r.PathValue("ref"))
	if err != nil {
		return err
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	e, ok := snap.ByCode(c.Item.Code)
	if !ok {
		return apperr.New(apperr.NotFound, "该事项已不再办理")
	}
	af, err := s.readApplication(w, r)
	d := s.newApplyData(r, e, nil)
	d.Draft, d.Action = c, "/cases/"+c.ID+"/edit"
	d.Situation = d.Action
	if af != nil {
		d.Answers = answersOf(e, af.values)
		d.Complete = e.Item.Complete(d.Answers)
	}
	if err != nil {
		if af == nil {
			return err
		}
		return s.applyFail(w, r, d, af.values, af.kept, err)
	}
	submit := af.values.Get("do") == "submit"
	app := af.application(e, submit)
	app.Item = ""
	out, err := s.Cases.UpdateDraft(r.Context(), p, c.ID, app)
	if err != nil {
		if apperr.Is(err, apperr.Conflict) && strings.Contains(apperr.Message(err), "办事指南已") {
			// The guide changed: show the form under the new version, with
			// everything typed kept, and say so.
			d.Entry = e
		}
		return s.applyFail(w, r, d, af.values, af.kept, err)
	}
	s.afterSave(w, r, out, submit)
	return nil
}

type casesData struct {
	Page     *casework.Page
	Status   string
	Statuses []statusOption
	Query    url.Values
	Staff    bool
	Next     string
	Prev     string
	Depts    []identity.Department
}

type statusOption struct{ Value, Label string }

func statusOptions() []statusOption {
	var out []statusOption
	for _, st := range casework.Statuses {
		out = append(out, statusOption{string(st), casework.StatusNames[st]})
	}
	return out
}

func pagerLinks(base string, q url.Values, pg *casework.Page) (prev, next string) {
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", fmt.Sprint(n))
		return base + "?" + v.Encode()
	}
	if pg.Page > 1 {
		prev = link(pg.Page - 1)
	}
	if pg.More {
		next = link(pg.Page + 1)
	}
	return prev, next
}

func (s *Server) myCasesPage(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.IsStaff() {
		http.Redirect(w, r, "/staff/cases", http.StatusSeeOther)
		return nil
	}
	f, err := caseFilter(r)
	if err != nil {
		return err
	}
	pg, err := s.Cases.Mine(r.Context(), p, f)
	if err != nil {
		return err
	}
	d := casesData{Page: pg, Status: string(f.Status), Statuses: statusOptions(), Query: r.URL.Query()}
	d.Prev, d.Next = pagerLinks("/cases", r.URL.Query(), pg)
	s.render(w, r, http.StatusOK, "cases", page{Title: "我的办件", Data: d})
	return nil
}

func (s *Server) staffCasesPage(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.IsStaff() {
		return apperr.New(apperr.NotFound, "页面不存在")
	}
	f, err := caseFilter(r)
	d := casesData{Status: string(f.Status), Statuses: statusOptions(), Query: r.URL.Query(), Staff: true}
	if d.Depts, _ = s.Identity.Departments(r.Context()); err == nil {
		d.Page, err = s.Cases.List(r.Context(), p, f)
	}
	if err != nil {
		var e *apperr.Error
		if !errors.As(err, &e) || e.Code != apperr.Invalid {
			return err
		}
		d.Page = &casework.Page{Cases: []casework.Summary{}, Page: 1}
		s.render(w, r, http.StatusBadRequest, "staff_cases", page{Title: "办件查询", Data: d, Error: e.Message, Errors: e.Fields, Form: r.URL.Query()})
		return nil
	}
	d.Prev, d.Next = pagerLinks("/staff/cases", r.URL.Query(), d.Page)
	s.render(w, r, http.StatusOK, "staff_cases", page{Title: "办件查询", Data: d, Form: r.URL.Query()})
	return nil
}

type caseData struct {
	Case      *casework.Case
	Applicant bool // the viewer is the applicant
	Staff     bool
	Tasks     []actionGroup
	// CaseActions are the case procedures open to the viewer (补正,
	// 特别程序, 延期, 撤回, 作废, 补交材料).
	CaseActions []casework.ActionView
	Notices     []noticeLink
	// Postal is the full address of a result to be posted, when the
	// clerk asked to see it (the reading is audited).
	Postal    *casework.PostalAddress
	FormRows  []formRow
	Situation []formRow
}

type actionGroup struct {
	Task     string
	StepName string
	Actions  []casework.ActionView
	Reason   bool
}

type noticeLink struct{ Kind, Name string }

type formRow struct{ Label, Value string }

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderCase(w, r, http.StatusOK, nil)
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, actErr *apperr.Error) error {
	p := principal(r)
	c, err := s.Cases.Get(r.Context(), p, r.PathValue("ref"))
	if err != nil {
		return err
	}
	d := caseData{Case: c, Staff: p.IsStaff(), Applicant: !p.IsStaff()}
	byTask := map[string]*actionGroup{}
	for _, a := range c.Actions {
		if a.Task == "" {
			if a.Action != "submit" {
				d.CaseActions = append(d.CaseActions, a)
			}
			continue
		}
		g := byTask[a.Task]
		if g == nil {
			d.Tasks = append(d.Tasks, actionGroup{Task: a.Task})
			g = &d.Tasks[len(d.Tasks)-1]
			for _, t := range c.Tasks {
				if t.ID == a.Task {
					g.StepName = t.StepName
				}
			}
			byTask[a.Task] = g
		}
		g.Actions = append(g.Actions, a)
		g.Reason = g.Reason || a.Reason
	}
	if c.No != "" {
		d.Notices = append(d.Notices, noticeLink{"receipt", casework.NoticeKinds["receipt"]})
		if c.AcceptedAt != nil {
			d.Notices = append(d.Notices, noticeLink{"acceptance", casework.NoticeKinds["acceptance"]})
		}
		if c.Status == casework.StatusRefused {
			d.Notices = append(d.Notices, noticeLink{"refusal", casework.NoticeKinds["refusal"]})
		} else if c.DecidedAt != nil {
			d.Notices = append(d.Notices, noticeLink{"decision", casework.NoticeKinds["decision"]})
		}
		for _, p := range c.Procedures {
			if p.Kind == "supplement" {
				d.Notices = append(d.Notices, noticeLink{"supplement", casework.NoticeKinds["supplement"]})
				break
			}
		}
		for _, p := range c.Pledges {
			d.Notices = append(d.Notices, noticeLink{p.Kind, casework.NoticeKinds[p.Kind]})
		}
		if c.RevokedAt != nil {
			d.Notices = append(d.Notices, noticeLink{"revocation", casework.NoticeKinds["revocation"]})
		}
	}
	if it, form, err := s.Catalog.Version(r.Context(), c.Item.Code, c.Item.Version); err == nil {
		for _, sit := range it.Situations {
			for _, o := range sit.Options {
				if c.Situation[sit.ID] == o.ID {
					d.Situation = append(d.Situation, formRow{sit.Question, o.Label})
				}
			}
		}
		if form != nil {
			for _, fl := range form.Fields {
				vs := c.Form[fl.Name]
				if len(vs) == 0 {
					continue
				}
				d.FormRows = append(d.FormRows, formRow{fl.Label, fieldDisplay(fl, vs)})
			}
		}
	}
	title := c.Item.Name
	if c.No != "" {
		title += " · " + c.No
	}
	if r.URL.Query().Get("reveal") == "address" {
		if d.Postal, err = s.Cases.RevealDelivery(r.Context(), p, c.No); err != nil {
			return err
		}
	}
	pg := page{Title: title, Data: d}
	if actErr != nil {
		w.Header().Set("HX-Replace-Url", "/cases/"+r.PathValue("ref"))
		pg.Error, pg.Errors, pg.Form = actErr.Message, actErr.Fields, r.PostForm
	}
	s.render(w, r, status, "case", pg)
	return nil
}

// fieldDisplay shows a field's values as words (option labels, 是 for a
// ticked box).
func fieldDisplay(fl catalog.Field, vs []string) string {
	var out []string
	for _, v := range vs {
		switch fl.Type {
		case "select", "radio", "multiselect":
			for _, o := range fl.Options {
				if o.ID == v {
					v = o.Label
				}
			}
		case "checkbox":
			v = "是"
		}
		out = append(out, v)
	}
	return strings.Join(out, "、")
}

func (s *Server) caseAct(w http.ResponseWriter, r *http.Request) error {
	// Supplements come with files (multipart); every other action is a
	// plain form.
	af, err := s.readApplication(w, r)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && (e.Code == apperr.Invalid || e.Code == apperr.TooLarge) {
			r.PostForm = url.Values{}
			return s.renderCase(w, r, statusOf(e.Code), e)
		}
		return err
	}
	f := af.values
	r.PostForm = f
	ref := r.PathValue("ref")
	in := casework.ActionInput{Action: f.Get("action"), Task: f.Get("task"), Comment: f.Get("comment"), Data: actionData(f, af.refs)}
	c, err := s.Cases.Act(r.Context(), principal(r), ref, in)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && (e.Code == apperr.Invalid || e.Code == apperr.Conflict || e.Code == apperr.Forbidden) {
			return s.renderCase(w, r, statusOf(e.Code), e)
		}
		return err
	}
	to := "/cases/" + c.No
	if c.No == "" {
		to = "/cases/" + c.ID
	}
	msg := "已办理：" + c.StatusName
	switch f.Get("action") {
	case "submit":
		msg = fmt.Sprintf("申请已提交。办件编号：%s，查询密码：%s", c.No, c.QueryPassword)
	case "supply":
		msg = "材料已提交，办件继续办理"
	case "supplement":
		msg = "已一次性告知补正，等待申请人补正材料"
	}
	s.redirect(w, r, to, msg)
	return nil
}

// actionData is the data of an action posted from the case page: the
// fields of its form, by action.
func actionData(f url.Values, refs []casework.MaterialRef) map[string]any {
	num := func(k string) any {
		v := strings.TrimSpace(f.Get(k))
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		return v // the service says what is wrong with it
	}
	switch f.Get("action") {
	case "supplement":
		items := []any{}
		for _, id := range f["m"] {
			items = append(items, map[string]any{"material": id, "reason": f.Get("reason." + id)})
		}
		return map[string]any{"materials": items}
	case "supply":
		items := []any{}
		for _, ref := range refs {
			items = append(items, map[string]any{"material": ref.Material, "file": ref.File})
		}
		return map[string]any{"materials": items}
	case "special-start":
		return map[string]any{"procedure": f.Get("procedure"), "days": num("days")}
	case "extend":
		return map[string]any{"days": num("days")}
	case "handover":
		return map[string]any{"collector": map[string]any{"name": f.Get("collector.name"), "idNumber": f.Get("collector.idNumber")}}
	case "post":
		return map[string]any{"carrier": f.Get("carrier"), "trackingNo": f.Get("trackingNo")}
	case "submit":
		var deferred []any
		for _, d := range deferredOf(f) {
			deferred = append(deferred, map[string]any{"material": d.Material, "due": d.Due})
		}
		if len(deferred) == 0 && f.Get("pledge") == "" {
			return nil
		}
		return map[string]any{"deferred": deferred, "tolerancePledge": f.Get("tolerancePledge") != "", "pledge": f.Get("pledge") != ""}
	}
	return nil
}

// deferredOf reads the 容缺 dates of an application form ("defer.<id>").
func deferredOf(f url.Values) []casework.DeferredInput {
	var out []casework.DeferredInput
	for k, vs := range f {
		if id, ok := strings.CutPrefix(k, "defer."); ok && strings.TrimSpace(vs[0]) != "" {
			out = append(out, casework.DeferredInput{Material: id, Due: strings.TrimSpace(vs[0])})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Material < out[j].Material })
	return out
}

func (s *Server) caseNotice(w http.ResponseWriter, r *http.Request) error {
	b, name, err := s.Cases.Notice(r.Context(), principal(r), r.PathValue("ref"), r.PathValue("kind"))
	if err != nil {
		return err
	}
	writePDF(w, b, name)
	return nil
}

func (s *Server) caseFile(w http.ResponseWriter, r *http.Request) error {
	// The case must be visible and the file one of its materials.
	c, err := s.Cases.Get(r.Context(), principal(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	found := false
	for _, m := range c.Materials {
		for _, f := range m.Files {
			found = found || f.ID == id
		}
	}
	if !found {
		return apperr.New(apperr.NotFound, "该办件没有这份材料")
	}
	return s.apiDownloadFile(w, r)
}

type progressData struct {
	Progress *casework.Progress
}

func (s *Server) progressPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "progress", page{Title: "办件进度查询", Data: progressData{}, Form: url.Values{"caseNo": {r.URL.Query().Get("caseNo")}}})
	return nil
}

func (s *Server) progressSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	pr, err := s.Cases.LookupProgress(r.Context(), r.PostFormValue("caseNo"), r.PostFormValue("password"), clientIP(r))
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Code != apperr.Internal {
			pg := page{Title: "办件进度查询", Data: progressData{}, Error: e.Message, Errors: e.Fields, Form: url.Values{"caseNo": {r.PostFormValue("caseNo")}}}
			s.render(w, r, statusOf(e.Code), "progress", pg)
			return nil
		}
		return err
	}
	s.render(w, r, http.StatusOK, "progress", page{Title: "办件进度查询", Data: progressData{Progress: pr}, Form: url.Values{"caseNo": {pr.CaseNo}}})
	return nil
}

// deskData is the comprehensive window's desk: find the person, take in
// an application for them, and the window's queues.
type deskData struct {
	Person  *identity.Person
	Company *identity.Company
	Items   []*catalog.Entry
	Query   string
	Inbox   *casework.Inbox
	Drafts  *casework.Page
}

func (s *Server) deskPage(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.HasRole(identity.RoleClerk) {
		return apperr.New(apperr.Forbidden, "只有综合窗口人员可以使用窗口工作台")
	}
	q := r.URL.Query()
	pg := page{Title: "窗口工作台", Form: q, Errors: map[string]string{}}
	d := &deskData{Query: q.Get("q")}
	pg.Data = d
	status := http.StatusOK
	if idn := q.Get("idNumber"); idn != "" {
		person, err := s.Identity.FindPersonByIDNumber(r.Context(), p, idn)
		switch {
		case err == nil:
			d.Person = person
		case apperr.Is(err, apperr.Invalid):
			pg.Errors["idNumber"], status = apperr.Message(err), http.StatusBadRequest
		case apperr.Is(err, apperr.NotFound):
			pg.Errors["idNumber"] = "未找到持该身份证号的人员。可直接选择事项收件，在收件页登记姓名和手机号码。"
		default:
			return err
		}
	}
	if cc := q.Get("creditCode"); cc != "" {
		c, err := s.Identity.FindCompanyByCreditCode(r.Context(), p, cc)
		switch {
		case err == nil:
			d.Company = c
		case apperr.Is(err, apperr.Invalid), apperr.Is(err, apperr.NotFound):
			pg.Errors["creditCode"] = apperr.Message(err)
			if apperr.Is(err, apperr.Invalid) {
				status = http.StatusBadRequest
			}
		default:
			return err
		}
	}
	if d.Query != "" {
		snap, err := s.Catalog.Snapshot(r.Context())
		if err != nil {
			return err
		}
		res, err := snap.Search(catalog.Query{Q: d.Query, PageSize: 10})
		if err != nil {
			return err
		}
		d.Items = res.Entries
	}
	var err error
	if d.Inbox, err = s.Cases.Inbox(r.Context(), p, casework.InboxFilter{Limit: 50}); err != nil {
		return err
	}
	if d.Drafts, err = s.Cases.Mine(r.Context(), p, casework.Filter{PageSize: 10}); err != nil {
		return err
	}
	s.render(w, r, status, "desk", pg)
	return nil
}

// deskApplicant resolves who is at the desk from the query or form.
func (s *Server) deskApplicant(r *http.Request, v url.Values, d *applyData) {
	d.Applicant = url.Values{}
	for _, k := range []string{"idNumber", "name", "phone", "creditCode", "person"} {
		if x := v.Get(k); x != "" {
			d.Applicant.Set(k, x)
		}
	}
	p := principal(r)
	if id := v.Get("person"); id != "" {
		if person, err := s.Identity.Person(r.Context(), id); err == nil {
			d.Person = person
		}
	} else if idn := v.Get("idNumber"); idn != "" {
		if person, err := s.Identity.FindPersonByIDNumber(r.Context(), p, idn); err == nil {
			d.Person = person
		}
	}
	if cc := v.Get("creditCode"); cc != "" {
		if c, err := s.Identity.FindCompanyByCreditCode(r.Context(), p, cc); err == nil {
			d.Company = c
		}
	}
}

func (s *Server) deskItem(r *http.Request, code string) (*catalog.Entry, error) {
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return nil, err
	}
	e, ok := snap.ByCode(code)
	if !ok {
		return nil, apperr.New(apperr.NotFound, "未找到该事项，请在窗口工作台重新搜索")
	}
	return e, nil
}

func (s *Server) deskApplyPage(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).HasRole(identity.RoleClerk) {
		return apperr.New(apperr.Forbidden, "只有综合窗口人员可以窗口收件")
	}
	q := r.URL.Query()
	e, err := s.deskItem(r, q.Get("item"))
	if err != nil {
		return err
	}
	d := s.newApplyData(r, e, e.Item.AnswersFrom(q.Get))
	d.Window = true
	d.Action = "/desk/apply"
	d.Situation = "/desk/apply"
	s.deskApplicant(r, q, d)
	return s.renderApply(w, r, http.StatusOK, d, nil, nil, nil)
}

func (s *Server) deskApplySubmit(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.HasRole(identity.RoleClerk) {
		return apperr.New(apperr.Forbidden, "只有综合窗口人员可以窗口收件")
	}
	af, err := s.readApplication(w, r)
	if af == nil {
		return err
	}
	e, ierr := s.deskItem(r, af.values.Get("item"))
	if ierr != nil {
		return ierr
	}
	d := s.newApplyData(r, e, answersOf(e, af.values))
	d.Window, d.Action, d.Situation = true, "/desk/apply", "/desk/apply"
	s.deskApplicant(r, af.values, d)
	if err != nil {
		return s.applyFail(w, r, d, af.values, af.kept, err)
	}
	app := af.application(e, af.values.Get("do") != "draft")
	in := &casework.ApplicantInput{PersonID: af.values.Get("person"), IDNumber: stdcode.NormalizeIDNumber(af.values.Get("idNumber")),
		Name: af.values.Get("name"), Phone: af.values.Get("phone"), CreditCode: af.values.Get("creditCode")}
	if in.CreditCode != "" {
		in.IDNumber, in.PersonID = "", ""
	}
	app.Applicant = in
	c, _, err := s.Cases.Create(r.Context(), p, app)
	if err != nil {
		return s.applyFail(w, r, d, af.values, af.kept, err)
	}
	if c.No == "" {
		s.redirect(w, r, "/cases/"+c.ID, "已暂存收件草稿")
		return nil
	}
	s.redirect(w, r, "/cases/"+c.No, fmt.Sprintf("已收件，办件编号：%s，查询密码：%s。请审核材料后受理或不予受理，并打印通知书交办事人。", c.No, c.QueryPassword))
	return nil
}

type inboxData struct {
	Inbox *casework.Inbox
	Step  string
}

func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.IsStaff() || !(p.HasRole(identity.RoleApprover) || p.HasRole(identity.RoleDeptHead) || p.HasRole(identity.RoleClerk)) {
		return apperr.New(apperr.Forbidden, "只有审批人员和窗口人员有待办件")
	}
	step := r.URL.Query().Get("step")
	in, err := s.Cases.Inbox(r.Context(), p, casework.InboxFilter{Step: step})
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "inbox", page{Title: "待办件", Data: inboxData{Inbox: in, Step: step}})
	return nil
}
