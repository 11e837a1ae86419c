package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"yiwang/internal/apperr"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
)

// applicationRequest is the body of POST /api/v1/cases and PUT on a draft.
// Form values may be strings, numbers, booleans or arrays of strings
// (multiselect).
type applicationRequest struct {
	Item        string                     `json:"item"`
	ItemVersion int                        `json:"itemVersion,omitempty"`
	Situation   map[string]string          `json:"situation,omitempty"`
	Form        map[string]json.RawMessage `json:"form,omitempty"`
	Materials   []casework.MaterialRef     `json:"materials,omitempty"`
	Submit      bool                       `json:"submit"`
	Applicant   *casework.ApplicantInput   `json:"applicant,omitempty"`
	// Mode "pledge" applies under 告知承诺制, signed by pledge: true.
	Mode   string `json:"mode,omitempty"`
	Pledge bool   `json:"pledge,omitempty"`
	// Deferred are 容缺 materials to come later, pledged by
	// tolerancePledge: true.
	Deferred        []casework.DeferredInput `json:"deferred,omitempty"`
	TolerancePledge bool                     `json:"tolerancePledge,omitempty"`
	Delivery        *casework.DeliveryInput  `json:"delivery,omitempty"`
}

type actionRequest struct {
	Action  string         `json:"action"`
	Task    string         `json:"task,omitempty"`
	Comment string         `json:"comment,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

type progressRequest struct {
	CaseNo   string `json:"caseNo"`
	Password string `json:"password"`
}

type workflowList struct {
	Workflows []casework.WorkflowInfo `json:"workflows"`
}

var caseListQuery = []param{
	{Name: "status", Desc: "办件状态：draft submitted accepted supplement processing special refused closed collected delivered"},
	{Name: "item", Desc: "事项编码（三种编码均可）"},
	{Name: "dept", Desc: "部门 ID 或部门代码"},
	{Name: "from", Desc: "提交日期起（YYYY-MM-DD，含）"},
	{Name: "to", Desc: "提交日期止（YYYY-MM-DD，含）"},
	{Name: "overdue", Desc: "true：只看已超过承诺期限仍未办结的"},
	{Name: "page", Desc: "页码，从 1 开始"},
	{Name: "pageSize", Desc: "每页条数，1–100，默认 20"},
}

func (s *Server) routesCasesAPI() {
	s.api(apiRoute{Method: "POST", Path: "/api/v1/cases", Tag: "办件", Auth: authRequired,
		Summary: "申请：保存草稿（submit=false）或提交（submit=true）；综合窗口人员以 applicant 指明办事人。Idempotency-Key 请求头使重试返回同一办件",
		Request: applicationRequest{}, Response: casework.Case{}, Status: http.StatusCreated, Errors: []int{403, 404, 409}}, s.apiCreateCase)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/cases", Tag: "办件", Auth: authRequired,
		Summary: "办件查询（工作人员，限本人数据范围）", Query: caseListQuery, Response: casework.Page{}, Errors: []int{403}}, s.apiListCases)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/my/cases", Tag: "办件", Auth: authRequired,
		Summary: "我的办件（个人：本人的；企业经办人：本企业的；含草稿）", Query: caseListQuery, Response: casework.Page{}}, s.apiMyCases)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/cases/{ref}", Tag: "办件", Auth: authRequired,
		Summary: "一个办件（办件编号，草稿用 ID）：状态、期限、时间线、材料、可进行的操作", Response: casework.Case{}, Errors: []int{404}}, s.apiGetCase)
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/cases/{ref}", Tag: "办件", Auth: authRequired,
		Summary: "修改草稿（submit=true 时修改后立即提交）", Request: applicationRequest{}, Response: casework.Case{}, Errors: []int{403, 404, 409}}, s.apiUpdateCase)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/cases/{ref}/actions", Tag: "办件", Auth: authRequired,
		Summary: "进行一项操作（受理、不予受理、审查通过、准予、不予、领取……；提交草稿为 submit）。无权进行为 403，状态已变为 409",
		Request: actionRequest{}, Response: casework.Case{}, Errors: []int{403, 404, 409}}, s.apiAct)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/cases/{ref}/notices/{kind}", Tag: "办件", Auth: authRequired,
		Summary: "办件文书 PDF：receipt 收件回执、acceptance 受理通知书、refusal 不予受理通知书、decision 办结通知", Errors: []int{404, 409}}, s.apiNotice)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/inbox", Tag: "办件", Auth: authRequired,
		Summary: "待办件：本人可办理的环节中的办件，按期限紧急程度排序", Query: []param{{Name: "step", Desc: "只看某一环节"}},
		Response: casework.Inbox{}, Errors: []int{403}}, s.apiInbox)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/progress", Tag: "办件",
		Summary: "凭办件编号和6位查询密码查询办理进度（无需登录；失败过多将暂时锁定）",
		Request: progressRequest{}, Response: casework.Progress{}, Errors: []int{404, 429}}, s.apiProgress)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/workflows", Tag: "流程", Auth: authRequired, Summary: "办理流程列表", Response: workflowList{}}, s.apiWorkflows)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/workflows/{id}", Tag: "流程", Auth: authRequired, Summary: "一个办理流程的定义", Response: casework.StoredWorkflow{}, Errors: []int{404}}, s.apiWorkflow)
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/workflows/{id}", Tag: "流程", Auth: authRequired,
		Summary: "新建或修改办理流程（平台管理员）；保存前校验：不可达环节、无去向的操作、无人可办的环节等逐项报告",
		Request: casework.Workflow{}, Response: casework.StoredWorkflow{}, Errors: []int{403}}, s.apiSaveWorkflow)
}

// formValues turns the JSON form into the catalogue's values.
func formValues(raw map[string]json.RawMessage) (catalog.Values, error) {
	out := catalog.Values{}
	f := apperr.FieldErrors{}
	for name, v := range raw {
		var anyV any
		if err := json.Unmarshal(v, &anyV); err != nil {
			f.Add("form."+name, "值无法解析")
			continue
		}
		switch x := anyV.(type) {
		case nil:
		case string:
			out[name] = []string{x}
		case float64:
			out[name] = []string{strconv.FormatFloat(x, 'f', -1, 64)}
		case bool:
			if x {
				out[name] = []string{"1"}
			}
		case []any:
			for _, e := range x {
				str, ok := e.(string)
				if !ok {
					f.Add("form."+name, "数组中只能是字符串")
					break
				}
				out[name] = append(out[name], str)
			}
		default:
			f.Add("form."+name, "应为字符串、数字、布尔值或字符串数组")
		}
	}
	return out, f.Err()
}

func (req *applicationRequest) application() (casework.Application, error) {
	values, err := formValues(req.Form)
	if err != nil {
		return casework.Application{}, err
	}
	return casework.Application{Item: req.Item, ItemVersion: req.ItemVersion, Situation: req.Situation, Form: values,
		Materials: req.Materials, Submit: req.Submit, Applicant: req.Applicant, Mode: req.Mode, Pledge: req.Pledge,
		Deferred: req.Deferred, TolerancePledge: req.TolerancePledge, Delivery: req.Delivery}, nil
}

func (s *Server) apiCreateCase(w http.ResponseWriter, r *http.Request) error {
	var in applicationRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	app, err := in.application()
	if err != nil {
		return err
	}
	app.IdempotencyKey = r.Header.Get("Idempotency-Key")
	c, replayed, err := s.Cases.Create(r.Context(), principal(r), app)
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if c.No != "" {
		w.Header().Set("Location", "/api/v1/cases/"+c.No)
	} else {
		w.Header().Set("Location", "/api/v1/cases/"+c.ID)
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiUpdateCase(w http.ResponseWriter, r *http.Request) error {
	var in applicationRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	app, err := in.application()
	if err != nil {
		return err
	}
	if app.Applicant != nil {
		return &apperr.Error{Code: apperr.Invalid, Message: "草稿的办事人不能更改", Fields: map[string]string{"applicant": "不能更改"}}
	}
	c, err := s.Cases.UpdateDraft(r.Context(), principal(r), r.PathValue("ref"), app)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiGetCase(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Cases.Get(r.Context(), principal(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiAct(w http.ResponseWriter, r *http.Request) error {
	var in actionRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Cases.Act(r.Context(), principal(r), r.PathValue("ref"), casework.ActionInput{Action: in.Action, Task: in.Task, Comment: in.Comment, Data: in.Data})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// caseFilter reads the list filters of a query string.
func caseFilter(r *http.Request) (casework.Filter, error) {
	q := r.URL.Query()
	f := casework.Filter{Status: casework.Status(q.Get("status")), Item: q.Get("item"), Dept: q.Get("dept"), From: q.Get("from"), To: q.Get("to")}
	bad := apperr.FieldErrors{}
	switch v := q.Get("overdue"); v {
	case "", "false", "0":
	case "true", "1":
		f.Overdue = true
	default:
		bad.Add("overdue", "应为 true 或 false")
	}
	f.Page, f.PageSize = positiveInt(q, "page", bad), positiveInt(q, "pageSize", bad)
	return f, bad.Err()
}

func (s *Server) apiListCases(w http.ResponseWriter, r *http.Request) error {
	f, err := caseFilter(r)
	if err != nil {
		return err
	}
	page, err := s.Cases.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiMyCases(w http.ResponseWriter, r *http.Request) error {
	f, err := caseFilter(r)
	if err != nil {
		return err
	}
	page, err := s.Cases.Mine(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request) error {
	in, err := s.Cases.Inbox(r.Context(), principal(r), casework.InboxFilter{Step: r.URL.Query().Get("step")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) apiProgress(w http.ResponseWriter, r *http.Request) error {
	var in progressRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Cases.LookupProgress(r.Context(), in.CaseNo, in.Password, clientIP(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiNotice(w http.ResponseWriter, r *http.Request) error {
	b, name, err := s.Cases.Notice(r.Context(), principal(r), r.PathValue("ref"), r.PathValue("kind"))
	if err != nil {
		return err
	}
	writePDF(w, b, name)
	return nil
}

// writePDF sends a generated PDF to be shown in the browser (and saved
// under name).
func writePDF(w http.ResponseWriter, b []byte, name string) {
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", strings.Replace(attachmentDisposition(name), "attachment", "inline", 1))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (s *Server) apiWorkflows(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).IsStaff() {
		return apperr.New(apperr.Forbidden, "办理流程仅供工作人员查看")
	}
	list, err := s.Cases.Workflows(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workflowList{Workflows: nonNil(list)})
	return nil
}

func (s *Server) apiWorkflow(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).IsStaff() {
		return apperr.New(apperr.Forbidden, "办理流程仅供工作人员查看")
	}
	wf, err := s.Cases.GetWorkflow(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wf)
	return nil
}

func (s *Server) apiSaveWorkflow(w http.ResponseWriter, r *http.Request) error {
	var in casework.Workflow
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ID != r.PathValue("id") {
		return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("请求体中的流程标识 %q 与地址中的 %q 不一致", in.ID, r.PathValue("id")), Fields: map[string]string{"id": "与地址不一致"}}
	}
	wf, err := s.Cases.SaveWorkflow(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wf)
	return nil
}
