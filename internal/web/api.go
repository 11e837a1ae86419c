package web

import (
	"net/http"
	"strconv"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/identity"
)

// userView is how the API shows the caller.
type userView struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	Kind        string   `json:"kind"`
	DisplayName string   `json:"displayName"`
	PersonID    string   `json:"personId,omitempty"`
	Company     *named   `json:"company,omitempty"`
	Department  *named   `json:"department,omitempty"`
	Roles       []string `json:"roles"`
	ElderMode   bool     `json:"elderMode"`
}

type named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func viewUser(p *identity.Principal) userView {
	u := userView{ID: p.AccountID, Username: p.Username, Kind: string(p.Kind), DisplayName: p.DisplayName,
		PersonID: p.PersonID, Roles: []string{}, ElderMode: p.ElderMode}
	if p.CompanyID != "" {
		u.Company = &named{ID: p.CompanyID, Name: p.CompanyName}
	}
	if p.DepartmentID != "" {
		u.Department = &named{ID: p.DepartmentID, Name: p.Department}
	}
	for _, r := range p.Roles {
		u.Roles = append(u.Roles, string(r))
	}
	return u
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      userView  `json:"user"`
}

type registerRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Name     string `json:"name"`
	IDNumber string `json:"idNumber"`
	Phone    string `json:"phone"`
}

type preferencesRequest struct {
	ElderMode *bool `json:"elderMode"`
}

type regionList struct {
	Regions []identity.Region `json:"regions"`
}

type departmentList struct {
	Departments []identity.Department `json:"departments"`
}

type centreList struct {
	Centres []identity.Centre `json:"centres"`
}

type accountList struct {
	Accounts []identity.AccountSummary `json:"accounts"`
}

type revealRequest struct {
	Reason string `json:"reason"`
}

type auditList struct {
	Entries []auditView `json:"entries"`
	Next    int64       `json:"next,omitempty"`
}

type auditView struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actorId"`
	ActorName  string    `json:"actorName"`
	Action     string    `json:"action"`
	ObjectType string    `json:"objectType"`
	ObjectID   string    `json:"objectId"`
	BeforeRef  string    `json:"before,omitempty"`
	AfterRef   string    `json:"after,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	IP         string    `json:"ip"`
	RequestID  string    `json:"requestId"`
	Hash       string    `json:"hash"`
}

type auditReport struct {
	OK       bool   `json:"ok"`
	Checked  int64  `json:"checked"`
	HeadSeq  int64  `json:"headSeq"`
	BrokenAt int64  `json:"brokenAt,omitempty"`
	Problem  string `json:"problem,omitempty"`
}

type versionInfo struct {
	Version  string `json:"version"`
	Database string `json:"database"`
}

func (s *Server) routesAPI() {
	s.api(apiRoute{Method: "POST", Path: "/api/v1/login", Tag: "账号", Summary: "用户名密码登录，取得 API 令牌",
		Request: loginRequest{}, Response: loginResponse{}, Errors: []int{401, 403, 429}}, s.apiLogin)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/logout", Tag: "账号", Summary: "注销当前令牌", Auth: authRequired, Status: 204}, s.apiLogout)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/register", Tag: "账号", Summary: "自然人注册", Request: registerRequest{}, Response: userView{}, Status: 201, Errors: []int{409}}, s.apiRegister)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/me", Tag: "账号", Summary: "当前用户", Auth: authRequired, Response: userView{}}, s.apiMe)
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/me/preferences", Tag: "账号", Summary: "设置界面偏好（大字版）", Auth: authRequired, Request: preferencesRequest{}, Response: userView{}}, s.apiPreferences)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/regions", Tag: "组织", Summary: "行政区划（下级列表）",
		Query: []param{{Name: "parent", Desc: "上级区划12位代码；省略时列出省级"}}, Response: regionList{}}, s.apiRegions)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/regions/{code}", Tag: "组织", Summary: "一个行政区划", Response: identity.Region{}, Errors: []int{404}}, s.apiRegion)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/departments", Tag: "组织", Summary: "部门目录", Response: departmentList{}}, s.apiDepartments)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/departments", Tag: "组织", Summary: "新增部门（平台管理员）", Auth: authRequired,
		Request: identity.NewDepartment{}, Response: identity.Department{}, Status: 201, Errors: []int{403, 409}}, s.apiCreateDepartment)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/departments/{id}", Tag: "组织", Summary: "一个部门（ID 或部门代码）", Response: identity.Department{}, Errors: []int{404}}, s.apiDepartment)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/centres", Tag: "组织", Summary: "政务服务中心及窗口", Response: centreList{}}, s.apiCentres)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/accounts", Tag: "账号", Summary: "账号列表（平台管理员，个人信息已脱敏）", Auth: authRequired,
		Query: []param{{Name: "kind", Desc: "person | company | staff"}}, Response: accountList{}, Errors: []int{403}}, s.apiAccounts)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/people", Tag: "人员", Summary: "按公民身份号码查找人员（窗口人员、管理员；结果脱敏）", Auth: authRequired,
		Query: []param{{Name: "idNumber", Desc: "18位公民身份号码", Required: true}}, Response: identity.Person{}, Errors: []int{403, 404}}, s.apiFindPerson)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/people/{id}", Tag: "人员", Summary: "人员信息（脱敏）", Auth: authRequired, Response: identity.Person{}, Errors: []int{404}}, s.apiPerson)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/people/{id}/reveal", Tag: "人员", Summary: "查看完整个人信息（须填事由，写入审计留痕）", Auth: authRequired,
		Request: revealRequest{}, Response: identity.PersonUnmasked{}, Errors: []int{404}}, s.apiRevealPerson)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/audit", Tag: "留痕", Summary: "审计记录（平台管理员、效能监察人员）", Auth: authRequired,
		Query:    []param{{Name: "objectType"}, {Name: "objectId"}, {Name: "actor", Desc: "操作人账号 ID"}, {Name: "before", Desc: "翻页：只看序号小于此值的记录"}},
		Response: auditList{}, Errors: []int{403}}, s.apiAudit)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/audit/verify", Tag: "留痕", Summary: "校验审计哈希链", Auth: authRequired, Response: auditReport{}, Errors: []int{403}}, s.apiAuditVerify)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/version", Tag: "运维", Summary: "版本与数据库类型", Response: versionInfo{}}, s.apiVersion)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/openapi.json", Tag: "运维", Summary: "本 OpenAPI 文档", Response: map[string]any{}}, s.apiOpenAPI)
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in loginRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Identity.Login(r.Context(), in.Username, in.Password, clientIP(r))
	if err != nil {
		return err
	}
	token, exp, err := s.Identity.StartSession(r.Context(), p, "api", clientIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: token, ExpiresAt: exp, User: viewUser(p)})
	return nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Identity.Logout(r.Context(), authOf(r).Token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request) error {
	var in registerRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Identity.Register(r.Context(), identity.Registration{
		NewPerson: identity.NewPerson{Name: in.Name, IDNumber: in.IDNumber, Phone: in.Phone},
		Username:  in.Username, Password: in.Password,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewUser(p))
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, viewUser(principal(r)))
	return nil
}

func (s *Server) apiPreferences(w http.ResponseWriter, r *http.Request) error {
	var in preferencesRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ElderMode == nil {
		return &apperr.Error{Code: apperr.Invalid, Message: "请提供 elderMode（true 或 false）", Fields: map[string]string{"elderMode": "必填"}}
	}
	p := principal(r)
	if err := s.Identity.SetElderMode(r.Context(), p.AccountID, *in.ElderMode); err != nil {
		return err
	}
	u := viewUser(p)
	u.ElderMode = *in.ElderMode
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) apiRegions(w http.ResponseWriter, r *http.Request) error {
	regions, err := s.Identity.Regions(r.Context(), r.URL.Query().Get("parent"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, regionList{Regions: nonNil(regions)})
	return nil
}

func (s *Server) apiRegion(w http.ResponseWriter, r *http.Request) error {
	reg, err := s.Identity.Region(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reg)
	return nil
}

func (s *Server) apiDepartments(w http.ResponseWriter, r *http.Request) error {
	deps, err := s.Identity.Departments(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, departmentList{Departments: nonNil(deps)})
	return nil
}

func (s *Server) apiDepartment(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Identity.Department(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiCreateDepartment(w http.ResponseWriter, r *http.Request) error {
	var in identity.NewDepartment
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.Identity.CreateDepartment(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiCentres(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Identity.Centres(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, centreList{Centres: nonNil(cs)})
	return nil
}

func (s *Server) apiAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Identity.Accounts(r.Context(), principal(r), identity.Kind(r.URL.Query().Get("kind")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountList{Accounts: nonNil(list)})
	return nil
}

func (s *Server) apiFindPerson(w http.ResponseWriter, r *http.Request) error {
	idn := r.URL.Query().Get("idNumber")
	if idn == "" {
		return &apperr.Error{Code: apperr.Invalid, Message: "请提供 idNumber 参数", Fields: map[string]string{"idNumber": "必填"}}
	}
	p, err := s.Identity.FindPersonByIDNumber(r.Context(), principal(r), idn)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// canSeePerson: the person themself, a company account acting through that
// person, window clerks and administrators. Everyone else gets 404.
func canSeePerson(p *identity.Principal, personID string) bool {
	return p.PersonID == personID || p.HasRole(identity.RoleClerk) || p.HasRole(identity.RoleAdmin)
}

func (s *Server) apiPerson(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !canSeePerson(principal(r), id) {
		return apperr.New(apperr.NotFound, "未找到该人员")
	}
	p, err := s.Identity.Person(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiRevealPerson(w http.ResponseWriter, r *http.Request) error {
	var in revealRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Identity.RevealPerson(r.Context(), principal(r), r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func canReadAudit(p *identity.Principal) bool {
	return p.HasRole(identity.RoleAdmin) || p.HasRole(identity.RoleSupervisor)
}

func (s *Server) auditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{ObjectType: q.Get("objectType"), ObjectID: q.Get("objectId"), ActorID: q.Get("actor"), Limit: 50}
	if (f.ObjectType == "") != (f.ObjectID == "") {
		return f, apperr.New(apperr.Invalid, "objectType 与 objectId 须同时提供")
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return f, &apperr.Error{Code: apperr.Invalid, Message: "before 应为正整数", Fields: map[string]string{"before": "应为正整数"}}
		}
		f.BeforeSeq = n
	}
	return f, nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	if !canReadAudit(principal(r)) {
		return apperr.New(apperr.Forbidden, "只有平台管理员和效能监察人员可以查看审计记录")
	}
	f, err := s.auditFilter(r)
	if err != nil {
		return err
	}
	recs, err := audit.List(r.Context(), s.DB, f)
	if err != nil {
		return err
	}
	out := auditList{Entries: []auditView{}}
	for _, e := range recs {
		out.Entries = append(out.Entries, auditView{Seq: e.Seq, At: e.At, ActorID: e.ActorID, ActorName: e.ActorName, Action: e.Action,
			ObjectType: e.ObjectType, ObjectID: e.ObjectID, BeforeRef: e.BeforeRef, AfterRef: e.AfterRef, Detail: e.Detail,
			IP: e.IP, RequestID: e.RequestID, Hash: e.Hash})
	}
	if len(recs) == f.Limit {
		out.Next = recs[len(recs)-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request) error {
	if !canReadAudit(principal(r)) {
		return apperr.New(apperr.Forbidden, "只有平台管理员和效能监察人员可以校验审计链")
	}
	rep, err := audit.Verify(r.Context(), s.DB)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auditReport{OK: rep.OK, Checked: rep.Checked, HeadSeq: rep.HeadSeq, BrokenAt: rep.BrokenAt, Problem: rep.Problem})
	return nil
}

func (s *Server) apiVersion(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, versionInfo{Version: s.Version, Database: string(s.DB.Dialect())})
	return nil
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
