package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"yiwang/internal/apperr"
	"yiwang/internal/catalog"
	"yiwang/internal/identity"
)

func (s *Server) routesCatalogPages() {
	s.page("GET /items", authOptional, s.public(s.itemsPage))
	s.page("GET /items/{code}", authOptional, s.public(s.itemPage))
	s.page("GET /items/{code}/print", authOptional, s.public(s.itemPrintPage))
	s.page("GET /items/{code}/guide.pdf", authOptional, s.itemGuidePDF)
	s.page("GET /lists", authOptional, s.public(s.listsPage))
	s.page("GET /lists/{list}", authOptional, s.public(s.listPage))
	s.page("GET /lists/{list}/csv", authOptional, s.listCSV)
	s.page("GET /admin/catalogue", authRequired, s.adminCatalogue)
	s.page("POST /admin/catalogue/import", authRequired, s.adminCatalogueImport)
	s.page("GET /admin/catalogue/export", authRequired, s.adminCatalogueExport)
	s.page("GET /admin/catalogue/stats", authRequired, s.adminCatalogueStats)
}

type itemsPageData struct {
	Query       catalog.Query
	Result      catalog.SearchResult
	Departments []identity.Department
	Types       []option
	Lists       []catalog.List
	Themes      []string
	Pages       []int
	PrevURL     string
	NextURL     string
}

type option struct{ Value, Label string }

func sortedOptions(m map[string]string) []option {
	out := make([]option, 0, len(m))
	for k, v := range m {
		out = append(out, option{k, v})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Value < out[j-1].Value; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (s *Server) itemsPage(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q, err := queryFrom(v)
	if err != nil {
		return err
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	res, err := snap.Search(q)
	if err != nil {
		return err
	}
	deps, err := s.Identity.Departments(r.Context())
	if err != nil {
		return err
	}
	data := itemsPageData{Query: q, Result: res, Departments: deps, Types: sortedOptions(catalog.ItemTypes), Lists: catalog.Lists,
		Themes: append(append([]string{}, catalog.PersonThemes...), catalog.CompanyThemes...)}
	pageURL := func(p int) string {
		u := url.Values{}
		for k, vs := range v {
			u[k] = vs
		}
		u.Set("page", strconv.Itoa(p))
		return "/items?" + u.Encode()
	}
	if res.Page > 1 {
		data.PrevURL = pageURL(res.Page - 1)
	}
	if res.Page*res.PageSize < res.Total {
		data.NextURL = pageURL(res.Page + 1)
	}
	title := "找服务"
	if q.Q != "" {
		title = "“" + q.Q + "”的搜索结果"
	}
	s.render(w, r, http.StatusOK, "items", page{Title: title, Data: data, Form: v})
	return nil
}

type itemPageData struct {
	Entry     *catalog.Entry
	Item      *catalog.Item
	Form      *catalog.Form
	Answers   catalog.Answers
	Complete  bool
	Materials []catalog.Material
	// Rules are the item's 办理规则 in plain words; Effective the rules
	// with their defaults, for the materials table (容缺 days).
	Rules     []catalog.GuideRule
	Effective catalog.Rules
	Versions  []catalog.VersionInfo
	Current   bool
	Print     bool
	Dict      map[string]map[string]string
	Depth     string
	Preview   string // draft id when previewing an unpublished draft
}

// newItemPageData is the guide page of one version of an item for the
// answered situation (the published page and a draft's preview alike).
func newItemPageData(e *catalog.Entry, it *catalog.Item, form *catalog.Form, answers catalog.Answers) *itemPageData {
	return &itemPageData{Entry: e, Item: it, Form: form, Answers: answers, Complete: it.Complete(answers),
		Materials: it.MaterialsFor(answers), Rules: it.GuideRules(answers), Effective: it.EffectiveRules(),
		Dict: map[string]map[string]string{"type": catalog.ItemTypes, "level": catalog.Levels, "power": catalog.PowerSources,
			"handling": catalog.HandlingTypes, "object": catalog.ServiceObjects, "unit": catalog.LimitUnits, "scope": catalog.Scopes, "result": catalog.ResultTypes},
		Depth: catalog.OnlineDepths[it.OnlineDepth]}
}

func (s *Server) itemData(r *http.Request) (*itemPageData, error) {
	e, it, form, err := s.itemVersion(r, r.PathValue("code"), r.URL.Query().Get("version"))
	if err != nil {
		return nil, err
	}
	d := newItemPageData(e, it, form, it.AnswersFrom(r.URL.Query().Get))
	d.Versions, d.Current = e.Versions, it.Version == e.Item.Version
	return d, nil
}

func (s *Server) itemPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.itemData(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "item", page{Title: d.Item.Name, Data: d})
	return nil
}

func (s *Server) itemPrintPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.itemData(r)
	if err != nil {
		return err
	}
	d.Print = true
	s.render(w, r, http.StatusOK, "item", page{Title: d.Item.Name + " 办事指南（一次告知）", Data: d})
	return nil
}

type listsPageData struct {
	Lists []listInfo
}

func (s *Server) listsPage(w http.ResponseWriter, r *http.Request) error {
	infos, _, err := s.listInfos(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "lists", page{Title: "事项清单", Data: listsPageData{Lists: infos}})
	return nil
}

type listPageData struct {
	List    listInfo
	Entries []*catalog.Entry
}

func (s *Server) listPage(w http.ResponseWriter, r *http.Request) error {
	info, members, err := s.listMembers(r, r.PathValue("list"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "list", page{Title: info.Name, Data: listPageData{List: info, Entries: members}})
	return nil
}

// listCSV downloads a list as CSV (UTF-8 with BOM so spreadsheet programs
// read the Chinese correctly).
func (s *Server) listCSV(w http.ResponseWriter, r *http.Request) error {
	info, members, err := s.listMembers(r, r.PathValue("list"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="list-%s.csv"; filename*=UTF-8''%s.csv`, info.Slug, url.PathEscape(info.Name)))
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"序号", "事项名称", "业务办理项编码", "实施编码", "基本编码", "事项类型", "实施机关", "法定时限", "承诺时限", "到现场次数", "网办深度"})
	for i, e := range members {
		it := &e.Item
		_ = cw.Write([]string{strconv.Itoa(i + 1), it.Name, it.Code, it.ImplCode, it.BaseCode, catalog.ItemTypes[it.Type], e.DeptName,
			limitText(it.LegalLimit), limitText(it.PromisedLimit), strconv.Itoa(it.Visits), catalog.OnlineDepths[it.OnlineDepth]})
	}
	cw.Flush()
	return cw.Error()
}

func limitText(l catalog.Limit) string {
	if l.Amount == 0 {
		return "即办"
	}
	return strconv.Itoa(l.Amount) + catalog.LimitUnits[l.Unit]
}

type adminCatalogueData struct {
	Items   int
	Lists   []listInfo
	Report  *catalog.ImportReport
	Message string
}

func (s *Server) adminCatalogue(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	return s.renderAdminCatalogue(w, r, http.StatusOK, nil, "")
}

func (s *Server) renderAdminCatalogue(w http.ResponseWriter, r *http.Request, status int, rep *catalog.ImportReport, errMsg string) error {
	infos, snap, err := s.listInfos(r)
	if err != nil {
		return err
	}
	s.render(w, r, status, "admin_catalogue", page{Title: "事项库管理", Error: errMsg,
		Data: adminCatalogueData{Items: len(snap.Entries), Lists: infos, Report: rep}})
	return nil
}

func (s *Server) adminCatalogueImport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, catalog.MaxImportBytes+1<<20)
	file, _, err := r.FormFile("file")
	if err != nil {
		return s.renderAdminCatalogue(w, r, http.StatusBadRequest, nil, "请选择要导入的事项库文件（JSON）")
	}
	defer file.Close()
	f, rep, err := catalog.DecodeAny(file)
	if err != nil && rep == nil {
		return s.renderAdminCatalogue(w, r, statusOf(apperr.CodeOf(err)), nil, apperr.Message(err))
	}
	if err == nil {
		rep, err = s.Catalog.Import(r.Context(), principal(r), f)
	}
	if err != nil {
		if rep == nil {
			return err
		}
		return s.renderAdminCatalogue(w, r, http.StatusBadRequest, rep, apperr.Message(err))
	}
	s.redirect(w, r, "/admin/catalogue", fmt.Sprintf("导入完成：%d 个事项（新增 %d，更新 %d，未变 %d），%d 张申请表", rep.Items, rep.Created, rep.Updated, rep.Unchanged, rep.Forms))
	return nil
}

func (s *Server) adminCatalogueExport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	return s.exportCatalogue(w, r)
}

func (s *Server) adminCatalogueStats(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.HasRole(identity.RoleAdmin) && !p.HasRole(identity.RoleSupervisor) {
		return apperr.New(apperr.Forbidden, "只有平台管理员和效能监察人员可以查看事项库统计")
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_catalogue_stats", page{Title: "事项库统计", Data: snap.Stats()})
	return nil
}

func (s *Server) itemGuidePDF(w http.ResponseWriter, r *http.Request) error {
	d, err := s.itemData(r)
	if err != nil {
		return err
	}
	b, err := catalog.GuidePDF(d.Item, d.Entry.DeptName, d.Answers)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="guide-%s.pdf"; filename*=UTF-8''%s.pdf`, d.Item.Code, url.PathEscape(d.Item.Name+"办事指南")))
	_, err = w.Write(b)
	return err
}
