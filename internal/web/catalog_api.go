package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"yiwang/internal/apperr"
	"yiwang/internal/catalog"
)

// itemSummary is an item in search results and lists.
type itemSummary struct {
	Code           string        `json:"code"`
	ImplCode       string        `json:"implCode"`
	BaseCode       string        `json:"baseCode"`
	Name           string        `json:"name"`
	Type           string        `json:"type"`
	TypeName       string        `json:"typeName"`
	Department     string        `json:"department"`
	DepartmentName string        `json:"departmentName"`
	Visits         int           `json:"visits"`
	OnlineDepth    int           `json:"onlineDepth"`
	HandlingType   string        `json:"handlingType"`
	PromisedLimit  catalog.Limit `json:"promisedLimit"`
	LegalLimit     catalog.Limit `json:"legalLimit"`
	Lists          []string      `json:"lists"`
	Version        int           `json:"version"`
}

func summarize(e *catalog.Entry) itemSummary {
	it := &e.Item
	return itemSummary{Code: it.Code, ImplCode: it.ImplCode, BaseCode: it.BaseCode, Name: it.Name, Type: it.Type,
		TypeName: catalog.ItemTypes[it.Type], Department: it.Department, DepartmentName: e.DeptName, Visits: it.Visits,
		OnlineDepth: it.OnlineDepth, HandlingType: it.HandlingType, PromisedLimit: it.PromisedLimit, LegalLimit: it.LegalLimit,
		Lists: nonNil(e.Lists), Version: it.Version}
}

type itemPage struct {
	Items    []itemSummary `json:"items"`
	Total    int           `json:"total"`
	Page     int           `json:"page"`
	PageSize int           `json:"pageSize"`
}

// itemDetail is the full service guide of one item version.
type itemDetail struct {
	catalog.Item
	TypeName       string                `json:"typeName"`
	DepartmentName string                `json:"departmentName"`
	Lists          []string              `json:"lists"`
	FormDefinition *catalog.Form         `json:"formDefinition,omitempty"`
	Versions       []catalog.VersionInfo `json:"versions"`
}

type listInfo struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Count       int    `json:"count"`
}

type listIndex struct {
	Lists []listInfo `json:"lists"`
}

type listDetail struct {
	List  listInfo      `json:"list"`
	Items []itemSummary `json:"items"`
}

func (s *Server) routesCatalogAPI() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/items", Tag: "事项库", Summary: "检索事项（中文分词、同义词、筛选、分页）",
		Query: []param{{Name: "q", Desc: "用自己的话描述要办的事，如 开饭店"}, {Name: "type", Desc: "事项类型代码"}, {Name: "dept", Desc: "部门代码"},
			{Name: "region", Desc: "行政区划代码"}, {Name: "list", Desc: "清单（slug 或中文名）"}, {Name: "theme", Desc: "主题"}, {Name: "page"}, {Name: "pageSize"}},
		Response: itemPage{}, Errors: []int{400}}, s.apiItems)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/items/{code}", Tag: "事项库", Summary: "事项完整办事指南（业务办理项编码、实施编码或基本编码均可）",
		Query: []param{{Name: "version", Desc: "历史版本号；省略为现行版本"}}, Response: itemDetail{}, Errors: []int{404}}, s.apiItem)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/items", Tag: "事项库", Summary: "新建并发布事项（平台管理员；事项维护人员限本部门）；编码由部门、层级和基本编码生成", Auth: authRequired,
		Request: catalog.Item{}, Response: catalog.Item{}, Status: 201, Errors: []int{403, 409}}, s.apiCreateItem)
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/items/{code}", Tag: "事项库", Summary: "发布事项的新版本（编码不变；旧版本仍可查）", Auth: authRequired,
		Request: catalog.Item{}, Response: catalog.Item{}, Errors: []int{403, 404}}, s.apiUpdateItem)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/lists", Tag: "事项库", Summary: "清单目录及事项数", Response: listIndex{}}, s.apiLists)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/lists/{list}", Tag: "事项库", Summary: "一个清单的全部事项", Response: listDetail{}, Errors: []int{404}}, s.apiList)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/catalogue/stats", Tag: "事项库", Summary: "事项库统计：网上可办率、全程网办率、最多跑一次、即办件占比、时限压缩",
		Response: catalog.Stats{}}, s.apiStats)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/catalogue/import", Tag: "事项库", Summary: "导入事项库：JSON 或 Excel（.xlsx，按内容识别）；全部成功或全部不导入，并报告每处问题", Auth: authRequired,
		Request: catalog.File{}, Response: catalog.ImportReport{}, Errors: []int{403}}, s.apiImport)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/catalogue/export", Tag: "事项库", Summary: "导出事项库（现行版本与申请表）：JSON，或 ?format=xlsx 的 Excel 工作簿", Auth: authRequired,
		Query:    []param{{Name: "format", Desc: "json（默认）或 xlsx"}},
		Response: catalog.File{}, Errors: []int{403}}, s.apiExport)
}

func queryFrom(v url.Values) (catalog.Query, error) {
	q := catalog.Query{Q: v.Get("q"), Type: v.Get("type"), Department: v.Get("dept"), Region: v.Get("region"), List: v.Get("list"), Theme: v.Get("theme")}
	for name, dst := range map[string]*int{"page": &q.Page, "pageSize": &q.PageSize} {
		if raw := v.Get(name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				return q, &apperr.Error{Code: apperr.Invalid, Message: name + " 应为正整数", Fields: map[string]string{name: "应为正整数"}}
			}
			*dst = n
		}
	}
	if q.Region != "" && len(q.Region) != 12 {
		return q, &apperr.Error{Code: apperr.Invalid, Message: "region 应为12位行政区划代码", Fields: map[string]string{"region": "应为12位数字"}}
	}
	return q, nil
}

func (s *Server) apiItems(w http.ResponseWriter, r *http.Request) error {
	q, err := queryFrom(r.URL.Query())
	if err != nil {
		return err
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	q = q.Normalized()
	body, err := snap.Memo(fmt.Sprintf("api-items:%#v", q), func() ([]byte, error) {
		res, err := snap.Search(q)
		if err != nil {
			return nil, err
		}
		out := itemPage{Items: []itemSummary{}, Total: res.Total, Page: res.Page, PageSize: res.PageSize}
		for _, e := range res.Entries {
			out.Items = append(out.Items, summarize(e))
		}
		return json.Marshal(out)
	})
	if err != nil {
		return err
	}
	return writeRawJSON(w, body)
}

// writeRawJSON answers 200 with an already encoded JSON body.
func writeRawJSON(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(append(body, '\n'))
	return err
}

// itemVersion resolves {code} and ?version= to an item, its form and
// the published entry it belongs to.
func (s *Server) itemVersion(r *http.Request, code, versionParam string) (*catalog.Entry, *catalog.Item, *catalog.Form, error) {
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return nil, nil, nil, err
	}
	e, ok := snap.ByCode(code)
	if !ok {
		return nil, nil, nil, apperr.New(apperr.NotFound, "未找到该事项")
	}
	if versionParam == "" {
		return e, &e.Item, e.Form, nil
	}
	v, err := strconv.Atoi(versionParam)
	if err != nil || v < 1 {
		return nil, nil, nil, &apperr.Error{Code: apperr.Invalid, Message: "version 应为正整数", Fields: map[string]string{"version": "应为正整数"}}
	}
	it, form, err := s.Catalog.Version(r.Context(), e.Item.Code, v)
	return e, it, form, err
}

func (s *Server) apiItem(w http.ResponseWriter, r *http.Request) error {
	version := r.URL.Query().Get("version")
	e, it, form, err := s.itemVersion(r, r.PathValue("code"), version)
	if err != nil {
		return err
	}
	detail := func() ([]byte, error) {
		return json.Marshal(itemDetail{Item: *it, TypeName: catalog.ItemTypes[it.Type], DepartmentName: e.DeptName,
			Lists: nonNil(catalog.ListsOf(it)), FormDefinition: form, Versions: nonNil(e.Versions)})
	}
	var body []byte
	if version == "" {
		// The current version's answer never changes within a snapshot.
		body, err = e.Memo("api-detail", detail)
	} else {
		body, err = detail()
	}
	if err != nil {
		return err
	}
	return writeRawJSON(w, body)
}

func (s *Server) listInfos(r *http.Request) ([]listInfo, *catalog.Snapshot, error) {
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return nil, nil, err
	}
	counts := map[string]int{}
	for _, e := range snap.Entries {
		for _, l := range e.Lists {
			counts[l]++
		}
	}
	out := make([]listInfo, 0, len(catalog.Lists))
	for _, l := range catalog.Lists {
		out = append(out, listInfo{Slug: l.Slug, Name: l.Name, Description: l.Desc, Count: counts[l.Slug]})
	}
	return out, snap, nil
}

func (s *Server) apiLists(w http.ResponseWriter, r *http.Request) error {
	infos, _, err := s.listInfos(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listIndex{Lists: infos})
	return nil
}

func (s *Server) listMembers(r *http.Request, name string) (listInfo, []*catalog.Entry, error) {
	l, ok := catalog.ListBySlugOrName(name)
	if !ok {
		return listInfo{}, nil, apperr.New(apperr.NotFound, "没有这个清单")
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return listInfo{}, nil, err
	}
	var members []*catalog.Entry
	for _, e := range snap.Entries {
		if l.In(&e.Item) {
			members = append(members, e)
		}
	}
	return listInfo{Slug: l.Slug, Name: l.Name, Description: l.Desc, Count: len(members)}, members, nil
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request) error {
	info, members, err := s.listMembers(r, r.PathValue("list"))
	if err != nil {
		return err
	}
	out := listDetail{List: info, Items: []itemSummary{}}
	for _, e := range members {
		out.Items = append(out.Items, summarize(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).HasRole("admin") {
		return apperr.New(apperr.Forbidden, "只有平台管理员可以导入事项库")
	}
	// The decoders stop reading past catalog.MaxImportBytes.
	f, rep, err := catalog.DecodeAny(r.Body)
	if err == nil {
		rep, err = s.Catalog.Import(r.Context(), principal(r), f)
	}
	if err != nil {
		if rep != nil {
			status, body := s.errorBody(r, err)
			writeJSON(w, status, struct {
				Error  apiErrorBody          `json:"error"`
				Report *catalog.ImportReport `json:"report"`
			}{body, rep})
			return nil
		}
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) apiExport(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).HasRole("admin") {
		return apperr.New(apperr.Forbidden, "只有平台管理员可以导出事项库")
	}
	return s.exportCatalogue(w, r)
}

// exportCatalogue answers JSON, or a workbook with ?format=xlsx.
func (s *Server) exportCatalogue(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Catalog.Export(r.Context())
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		w.Header().Set("Content-Disposition", `attachment; filename="yiwang-catalogue.json"`)
		writeJSON(w, http.StatusOK, f)
		return nil
	case "xlsx":
		var buf bytes.Buffer
		if err := catalog.WriteXLSX(f, &buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="yiwang-catalogue.xlsx"`)
		_, err := w.Write(buf.Bytes())
		return err
	}
	return &apperr.Error{Code: apperr.Invalid, Message: "format 只能是 json 或 xlsx", Fields: map[string]string{"format": "json 或 xlsx"}}
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, snap.Stats())
	return nil
}

func (s *Server) apiCreateItem(w http.ResponseWriter, r *http.Request) error {
	var in catalog.Item
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Catalog.PublishItem(r.Context(), principal(r), "", in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, it)
	return nil
}

func (s *Server) apiUpdateItem(w http.ResponseWriter, r *http.Request) error {
	var in catalog.Item
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := s.Catalog.PublishItem(r.Context(), principal(r), r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, it)
	return nil
}
