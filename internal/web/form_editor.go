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
)

func (s *Server) routesFormEditor() {
	s.page("GET /admin/catalogue/forms", authRequired, s.formsIndex)
	s.page("GET /admin/catalogue/forms/{id}", authRequired, s.formPage)
	s.page("POST /admin/catalogue/forms/{id}", authRequired, s.formSubmit)
}

func (s *Server) formsIndex(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	forms, err := s.Catalog.Forms(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_forms", page{Title: "申请表", Data: forms})
	return nil
}

type formEditorData struct {
	Form     catalog.Form
	New      bool
	Types    []option
	Prefills []option
}

const newFormID = "new"

func (s *Server) formEditor(w http.ResponseWriter, r *http.Request, status int, f catalog.Form, isNew bool, pg page) error {
	for i := 0; i < 3; i++ {
		f.Fields = append(f.Fields, catalog.Field{Type: "text"})
	}
	prefills := []option{{"", "无"}}
	for _, p := range catalog.PrefillSources() {
		prefills = append(prefills, option{p, p})
	}
	// Licence fields (免填写 from the wallet) used by this form stay choosable.
	for _, fl := range f.Fields {
		if catalog.IsLicencePrefill(fl.Prefill) && !slices.ContainsFunc(prefills, func(o option) bool { return o.Value == fl.Prefill }) {
			prefills = append(prefills, option{fl.Prefill, fl.Prefill})
		}
	}
	pg.Title = "申请表：" + f.Name
	pg.Data = formEditorData{Form: f, New: isNew, Types: sortedOptions(catalog.FieldTypes), Prefills: prefills}
	s.render(w, r, status, "admin_form_edit", pg)
	return nil
}

func (s *Server) formPage(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if id == newFormID {
		return s.formEditor(w, r, http.StatusOK, catalog.Form{}, true, page{})
	}
	f, err := s.Catalog.Form(r.Context(), id)
	if err != nil {
		return err
	}
	return s.formEditor(w, r, http.StatusOK, *f, false, page{})
}

func (s *Server) formSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	isNew := r.PathValue("id") == newFormID
	f, errs := parseFormDefinition(r.PostForm)
	if !isNew {
		f.ID = r.PathValue("id")
		if _, err := s.Catalog.Form(r.Context(), f.ID); err != nil {
			return err
		}
	} else if _, err := s.Catalog.Form(r.Context(), f.ID); err == nil {
		errs["id"] = "该标识已被其他申请表使用"
	}
	if len(errs) > 0 {
		return s.formEditor(w, r, http.StatusBadRequest, f, isNew, page{Error: "有内容无法识别，未保存", Errors: errs, Form: r.PostForm})
	}
	n, err := s.Catalog.SaveForm(r.Context(), principal(r), f)
	if err != nil {
		var e *apperr.Error
		if asAppErr(err, &e) && e.Code == apperr.Invalid {
			return s.formEditor(w, r, http.StatusBadRequest, f, isNew, page{Error: e.Message, Errors: e.Fields})
		}
		return err
	}
	s.redirect(w, r, "/admin/catalogue/forms/"+url.PathEscape(f.ID), fmt.Sprintf("申请表已保存，%d 个使用它的事项已发布新版本", n))
	return nil
}

// parseFormDefinition reads the form editor; rows without a field name
// are dropped.
func parseFormDefinition(v url.Values) (catalog.Form, map[string]string) {
	errs := map[string]string{}
	f := catalog.Form{ID: strings.TrimSpace(v.Get("id")), Name: strings.TrimSpace(v.Get("name"))}
	for i := 0; i < 200; i++ {
		p := fmt.Sprintf("fields.%d.", i)
		if _, ok := v[p+"name"]; !ok {
			continue
		}
		name := strings.TrimSpace(v.Get(p + "name"))
		if name == "" {
			continue
		}
		fl := catalog.Field{Name: name, Label: strings.TrimSpace(v.Get(p + "label")), Type: v.Get(p + "type"),
			Required: v.Get(p+"required") != "", Pattern: strings.TrimSpace(v.Get(p + "pattern")), Help: strings.TrimSpace(v.Get(p + "help")),
			Prefill: v.Get(p + "prefill")}
		idx := len(f.Fields)
		for _, b := range []struct {
			key string
			dst **float64
		}{{"min", &fl.Min}, {"max", &fl.Max}} {
			if raw := strings.TrimSpace(v.Get(p + b.key)); raw != "" {
				x, err := strconv.ParseFloat(raw, 64)
				if err != nil {
					errs[fmt.Sprintf("fields[%d].%s", idx, b.key)] = "应为数字"
					continue
				}
				*b.dst = &x
			}
		}
		for _, line := range strings.Split(v.Get(p+"options"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			id, label, ok := strings.Cut(line, "=")
			if !ok {
				errs[fmt.Sprintf("fields[%d].options", idx)] = "每行一个选项，写成 标识=名称"
				continue
			}
			fl.Options = append(fl.Options, catalog.Option{ID: strings.TrimSpace(id), Label: strings.TrimSpace(label)})
		}
		for _, w := range strings.Split(v.Get(p+"when"), ",") {
			if w = strings.TrimSpace(w); w != "" {
				fl.When = append(fl.When, w)
			}
		}
		f.Fields = append(f.Fields, fl)
	}
	return f, errs
}
