package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"yiwang/internal/apperr"
	"yiwang/internal/catalog"
	"yiwang/internal/identity"
)

func (s *Server) routesCatalogEditor() {
	s.page("GET /admin/catalogue/items", authRequired, s.editorIndex)
	s.page("POST /admin/catalogue/drafts", authRequired, s.editorNew)
	s.page("POST /admin/catalogue/items/{code}/edit", authRequired, s.editorStart)
	s.page("GET /admin/catalogue/drafts/{id}", authRequired, s.editorPage)
	s.page("POST /admin/catalogue/drafts/{id}", authRequired, s.editorSubmit)
	s.page("GET /admin/catalogue/drafts/{id}/preview", authRequired, s.editorPreview)
}

func mayMaintain(p *identity.Principal) error {
	if !p.HasRole(identity.RoleAdmin) && !p.HasRole(identity.RoleMaintainer) {
		return apperr.New(apperr.Forbidden, "只有平台管理员和事项维护人员可以编辑事项")
	}
	return nil
}

type editorIndexData struct {
	Drafts  []catalog.DraftSummary
	Entries []*catalog.Entry
}

func (s *Server) editorIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := mayMaintain(p); err != nil {
		return err
	}
	drafts, err := s.Catalog.Drafts(r.Context(), p)
	if err != nil {
		return err
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	var entries []*catalog.Entry
	for _, e := range snap.Entries {
		if p.HasRole(identity.RoleAdmin) || e.DeptID == p.DepartmentID {
			entries = append(entries, e)
		}
	}
	s.render(w, r, http.StatusOK, "admin_items", page{Title: "编辑事项", Data: editorIndexData{Drafts: drafts, Entries: entries}})
	return nil
}

func (s *Server) editorNew(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Catalog.NewDraft(r.Context(), principal(r))
	if err != nil {
		return err
	}
	s.redirect(w, r, "/admin/catalogue/drafts/"+d.ID, "已新建草稿")
	return nil
}

func (s *Server) editorStart(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Catalog.EditItem(r.Context(), principal(r), r.PathValue("code"))
	if err != nil {
		return err
	}
	s.redirect(w, r, "/admin/catalogue/drafts/"+d.ID, "")
	return nil
}

// editorData is the editor page: the draft's item with two blank rows
// appended to every list, so rows can be added without JavaScript.
type editorData struct {
	Draft       *catalog.Draft
	Item        catalog.Item
	Departments []identity.Department
	Forms       []option
	Workflows   []option
	Dict        map[string][]option
	Depths      []option
	Themes      []string
	Problems    []catalog.Problem
	Published   bool
	// Rules are the numbers of the item's rules as the form shows them,
	// RuleDefaults what an empty field means (with RuleNames to say it),
	// Delivery the delivery checkboxes (办理规则).
	Rules        ruleNumbers
	RuleDefaults catalog.Rules
	RuleNames    map[string]map[string]string
	Delivery     []choice
}

// ruleNumbers are an item's rule numbers as editor fields: empty where the
// rule takes its default (a zero limit or number), so that saving the form
// unchanged keeps it the default.
type ruleNumbers struct {
	SupplementLimit, ToleranceDays, PledgeLimit, PostCheckLimit, Extension string
}

func ruleNumbersOf(r catalog.Rules) ruleNumbers {
	n := func(v int) string {
		if v == 0 {
			return ""
		}
		return strconv.Itoa(v)
	}
	l := func(v catalog.Limit) string {
		if v == (catalog.Limit{}) {
			return ""
		}
		return strconv.Itoa(v.Amount)
	}
	return ruleNumbers{SupplementLimit: l(r.SupplementLimit), ToleranceDays: n(r.ToleranceDays), PledgeLimit: l(r.PledgeLimit),
		PostCheckLimit: l(r.PostCheckLimit), Extension: n(r.Extension)}
}

// extensionRoles are the roles that may approve an extension (延期), as
// catalog.Validate allows them.
var extensionRoles = map[string]string{string(identity.RoleDeptHead): identity.RoleNames[identity.RoleDeptHead], string(identity.RoleApprover): identity.RoleNames[identity.RoleApprover]}

// choice is one checkbox.
type choice struct {
	Value, Label string
	Checked      bool
}

// deliveryChoices are the delivery checkboxes: the item's own methods
// first, in its order (so saving unchanged keeps the order), then the rest.
func deliveryChoices(chosen []string) []choice {
	var out []choice
	for _, d := range chosen {
		label, ok := catalog.DeliveryMethods[d]
		if !ok {
			label = d
		}
		out = append(out, choice{d, label, true})
	}
	for _, d := range []string{"window", "post", "online"} {
		if !slices.Contains(chosen, d) {
			out = append(out, choice{d, catalog.DeliveryMethods[d], false})
		}
	}
	return out
}

const blankRows = 2

func withBlankRows(it catalog.Item) catalog.Item {
	for i := 0; i < blankRows; i++ {
		it.LegalBasis = append(it.LegalBasis, catalog.LegalBasis{})
		it.SpecialProcedures = append(it.SpecialProcedures, catalog.SpecialProcedure{Limit: catalog.Limit{Unit: "1"}})
		it.Fee.Items = append(it.Fee.Items, catalog.FeeItem{})
		it.Process = append(it.Process, catalog.Step{})
		it.Situations = append(it.Situations, catalog.Situation{})
		it.Materials = append(it.Materials, catalog.Material{Copies: 1})
		it.FAQ = append(it.FAQ, catalog.QA{})
	}
	return it
}

func (s *Server) editorRender(w http.ResponseWriter, r *http.Request, status int, d *catalog.Draft, it catalog.Item, probs []catalog.Problem, pg page) error {
	deps, err := s.Identity.Departments(r.Context())
	if err != nil {
		return err
	}
	f, err := s.Catalog.Export(r.Context())
	if err != nil {
		return err
	}
	var forms []option
	for _, fm := range f.Forms {
		forms = append(forms, option{fm.ID, fm.Name})
	}
	names, err := s.Cases.WorkflowNames(r.Context())
	if err != nil {
		return err
	}
	workflows := sortedOptions(names)
	var depths []option
	for i := 0; i <= 4; i++ {
		depths = append(depths, option{strconv.Itoa(i), catalog.OnlineDepths[i]})
	}
	if pg.Errors == nil {
		pg.Errors = map[string]string{}
	}
	for _, p := range probs {
		fields := []string{p.Field}
		if strings.HasPrefix(p.Field, "rules.delivery[") {
			// One message at the delivery checkboxes, whichever was wrong.
			fields = append(fields, "rules.delivery")
		}
		for _, f := range fields {
			if _, ok := pg.Errors[f]; !ok {
				pg.Errors[f] = p.Message
			}
		}
	}
	pg.Title = "编辑事项：" + it.Name
	pg.Data = editorData{Draft: d, Item: withBlankRows(it), Departments: deps, Forms: forms, Workflows: workflows, Depths: depths, Problems: probs, Published: d.ItemID != "",
		Rules: ruleNumbersOf(it.Rules), RuleDefaults: (&catalog.Item{}).EffectiveRules(), Delivery: deliveryChoices(it.Rules.Delivery),
		RuleNames: map[string]map[string]string{"clock": catalog.SupplementClocks, "tolerance": catalog.ToleranceResults, "workflow": names,
			"role": extensionRoles},
		Themes: append(append([]string{}, catalog.PersonThemes...), catalog.CompanyThemes...),
		Dict: map[string][]option{"type": sortedOptions(catalog.ItemTypes), "level": sortedOptions(catalog.Levels), "power": sortedOptions(catalog.PowerSources),
			"handling": sortedOptions(catalog.HandlingTypes), "object": sortedOptions(catalog.ServiceObjects), "unit": sortedOptions(catalog.LimitUnits),
			"scope": sortedOptions(catalog.Scopes), "result": sortedOptions(catalog.ResultTypes),
			"mtype": setOptions(catalog.MaterialTypes), "mform": setOptions(catalog.MaterialForms), "necessity": setOptions(catalog.Necessities), "source": setOptions(catalog.Sources),
			"clock": sortedOptions(catalog.SupplementClocks), "tolerance": sortedOptions(catalog.ToleranceResults), "role": sortedOptions(extensionRoles)}}
	s.render(w, r, status, "admin_item_edit", pg)
	return nil
}

func setOptions(m map[string]bool) []option {
	o := map[string]string{}
	for k := range m {
		o[k] = k
	}
	return sortedOptions(o)
}

func (s *Server) editorPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Catalog.Draft(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.editorRender(w, r, http.StatusOK, d, d.Item, nil, page{})
}

func (s *Server) editorSubmit(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	id := r.PathValue("id")
	d, err := s.Catalog.Draft(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if r.PostFormValue("op") == "discard" {
		if err := s.Catalog.DiscardDraft(r.Context(), p, id); err != nil {
			return err
		}
		s.redirect(w, r, "/admin/catalogue/items", "已放弃草稿")
		return nil
	}
	it, parseErrs := parseItemForm(r.PostForm)
	if len(parseErrs) > 0 {
		// Not saved: keep what was typed and say what cannot be read.
		return s.editorRender(w, r, http.StatusBadRequest, d, it, nil, page{Error: "有内容无法识别，草稿未保存，请按提示修改", Errors: parseErrs, Form: r.PostForm})
	}
	probs, err := s.Catalog.SaveDraft(r.Context(), p, id, it)
	if err != nil {
		var e *apperr.Error
		if asAppErr(err, &e) && e.Code == apperr.Forbidden && e.Fields != nil {
			return s.editorRender(w, r, http.StatusForbidden, d, it, nil, page{Error: e.Message, Errors: e.Fields})
		}
		return err
	}
	switch r.PostFormValue("op") {
	case "preview":
		s.redirect(w, r, "/admin/catalogue/drafts/"+id+"/preview", "")
		return nil
	case "publish":
		pub, err := s.Catalog.PublishDraft(r.Context(), p, id)
		if err != nil {
			var e *apperr.Error
			if asAppErr(err, &e) && e.Code == apperr.Invalid {
				return s.editorRender(w, r, http.StatusBadRequest, d, it, probs, page{Error: e.Message})
			}
			return err
		}
		s.redirect(w, r, "/items/"+pub.Code, fmt.Sprintf("已发布第 %d 版", pub.Version))
		return nil
	}
	msg := "草稿已保存"
	if len(probs) > 0 {
		msg = fmt.Sprintf("草稿已保存。发布前还需处理 %d 处问题", len(probs))
	}
	return s.editorRender(w, r, http.StatusOK, d, it, probs, page{Flash: msg})
}

func (s *Server) editorPreview(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Catalog.Draft(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	it := d.Item
	dep, err := s.Identity.Department(r.Context(), d.DepartmentID)
	if err != nil {
		return err
	}
	data := newItemPageData(&catalog.Entry{Item: it, DeptName: dep.Name}, &it, nil, it.AnswersFrom(r.URL.Query().Get))
	data.Current, data.Preview = true, d.ID
	s.render(w, r, http.StatusOK, "item", page{Title: "预览：" + it.Name, Data: data})
	return nil
}

// parseItemForm reads the editor's fields into an item. Rows whose key
// field is empty are dropped (that is how a row is deleted); numbers that
// cannot be read are reported by field.
func parseItemForm(f url.Values) (catalog.Item, map[string]string) {
	errs := map[string]string{}
	str := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	num := func(k, label string) int {
		v := str(k)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs[k] = label + "应为整数"
		}
		return n
	}
	list := func(k string) []string {
		var out []string
		for _, part := range strings.FieldsFunc(f.Get(k), func(r rune) bool { return r == '\n' || r == '、' || r == '，' || r == ',' || r == ';' || r == '；' }) {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	flag := func(k string) bool { return f.Get(k) != "" }
	rows := func(prefix string) []int {
		var idx []int
		for i := 0; i < 100; i++ {
			p := fmt.Sprintf("%s.%d.", prefix, i)
			found := false
			for k := range f {
				if strings.HasPrefix(k, p) {
					found = true
					break
				}
			}
			if found {
				idx = append(idx, i)
			}
		}
		return idx
	}
	limit := func(k, label string) catalog.Limit {
		return catalog.Limit{Amount: num(k+".amount", label), Unit: str(k + ".unit"), Note: str(k + ".note")}
	}
	it := catalog.Item{
		BaseCode: str("baseCode"), Name: str("name"), MainItem: str("mainItem"), SubItem: str("subItem"),
		Aliases: list("aliases"), Keywords: list("keywords"), Type: str("type"), Level: str("level"), PowerSource: str("powerSource"),
		Department: str("department"), Entrusted: str("entrustedDept"), Region: str("region"),
		Conditions: str("conditions"), ServiceObjects: f["serviceObjects"], HandlingType: str("handlingType"),
		LegalLimit: limit("legalLimit", "法定时限"), PromisedLimit: limit("promisedLimit", "承诺时限"),
		Fee:   catalog.Fee{Charged: flag("fee.charged"), Basis: str("fee.basis")},
		Place: str("place"), Hours: str("hours"), Consult: str("consult"), Complaint: str("complaint"),
		Visits: num("visits", "到现场次数"), OnlineDepth: num("onlineDepth", "网办深度"), Scope: str("scope"),
		JointOrgans: str("jointOrgans"), Intermediary: str("intermediary"),
		Flags: catalog.Flags{InHall: flag("flags.inHall"), Appointment: flag("flags.appointment"), OnlinePayment: flag("flags.onlinePayment"),
			Express: flag("flags.express"), FreeMail: flag("flags.freeMail"), Kiosk: flag("flags.kiosk"), Immediate: flag("flags.immediate"),
			Nearby: flag("flags.nearby"), CityWide: flag("flags.cityWide"), CrossProvince: flag("flags.crossProvince"), Pledge: flag("flags.pledge"),
			Tolerance: flag("flags.tolerance"), Proof: flag("flags.proof"), HighFrequency: flag("flags.highFrequency")},
		Result: catalog.Result{Type: str("result.type"), Name: str("result.name"), LicenceType: str("result.licenceType"), Sample: str("result.sample")},
		Form:   str("form"), Workflow: str("workflow"), Themes: f["themes"], EffectiveFrom: str("effectiveFrom"),
		Rules: catalog.Rules{SupplementLimit: limit("rules.supplementLimit", "补正期限"), SupplementClock: str("rules.supplementClock"),
			ToleranceResult: str("rules.toleranceResult"), ToleranceDays: num("rules.toleranceDays", "容缺材料补交期限"),
			PledgeText: str("rules.pledgeText"), PledgeLimit: limit("rules.pledgeLimit", "告知承诺办理时限"), PledgeWorkflow: str("rules.pledgeWorkflow"),
			PostCheckLimit: limit("rules.postCheckLimit", "核查时限"), Extension: num("rules.extension", "可延长的工作日"),
			ExtensionRole: str("rules.extensionRole"), Delivery: f["rules.delivery"]},
	}
	for _, i := range rows("legalBasis") {
		p := fmt.Sprintf("legalBasis.%d.", i)
		if str(p+"law") == "" {
			continue
		}
		it.LegalBasis = append(it.LegalBasis, catalog.LegalBasis{Law: str(p + "law"), Article: str(p + "article"), Text: str(p + "text")})
	}
	for _, i := range rows("specialProcedures") {
		p := fmt.Sprintf("specialProcedures.%d.", i)
		if str(p+"name") == "" {
			continue
		}
		it.SpecialProcedures = append(it.SpecialProcedures, catalog.SpecialProcedure{Name: str(p + "name"), Limit: limit(p+"limit", "特别程序时限"), Description: str(p + "description")})
	}
	for _, i := range rows("fee.items") {
		p := fmt.Sprintf("fee.items.%d.", i)
		if str(p+"name") == "" {
			continue
		}
		it.Fee.Items = append(it.Fee.Items, catalog.FeeItem{Name: str(p + "name"), Standard: str(p + "standard")})
	}
	for _, i := range rows("process") {
		p := fmt.Sprintf("process.%d.", i)
		if str(p+"name") == "" {
			continue
		}
		it.Process = append(it.Process, catalog.Step{Name: str(p + "name"), Description: str(p + "description")})
	}
	for _, i := range rows("situations") {
		p := fmt.Sprintf("situations.%d.", i)
		if str(p+"id") == "" && str(p+"question") == "" {
			continue
		}
		sit := catalog.Situation{ID: str(p + "id"), Question: str(p + "question")}
		for _, line := range strings.Split(f.Get(p+"options"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			id, label, ok := strings.Cut(line, "=")
			if !ok {
				errs[p+"options"] = "每行一个选项，写成 标识=名称，如 new=新办"
				continue
			}
			sit.Options = append(sit.Options, catalog.Option{ID: strings.TrimSpace(id), Label: strings.TrimSpace(label)})
		}
		it.Situations = append(it.Situations, sit)
	}
	for _, i := range rows("materials") {
		p := fmt.Sprintf("materials.%d.", i)
		if str(p+"name") == "" {
			continue
		}
		it.Materials = append(it.Materials, catalog.Material{ID: str(p + "id"), Name: str(p + "name"), Type: str(p + "type"), Form: str(p + "form"),
			Necessity: str(p + "necessity"), Copies: num(p+"copies", "份数"), Spec: str(p + "spec"), Source: str(p + "source"), Issuer: str(p + "issuer"),
			LicenceType: str(p + "licenceType"), Notes: str(p + "notes"), Standard: str(p + "standard"), Signature: str(p + "signature"),
			BlankForm: flag(p + "blankForm"), When: list(p + "when")})
	}
	for _, i := range rows("faq") {
		p := fmt.Sprintf("faq.%d.", i)
		if str(p+"q") == "" {
			continue
		}
		it.FAQ = append(it.FAQ, catalog.QA{Q: str(p + "q"), A: str(p + "a")})
	}
	return it, errs
}
