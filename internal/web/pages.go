package web

import (
	"net/http"
	"net/url"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/casework"
	"yiwang/internal/identity"
)

func (s *Server) routesPages() {
	s.page("GET /{$}", authOptional, s.public(s.home))
	s.page("GET /login", authOptional, s.loginPage)
	s.page("POST /login", authOptional, s.loginSubmit)
	s.page("POST /logout", authOptional, s.logout)
	s.page("GET /register", authOptional, s.registerPage)
	s.page("POST /register", authOptional, s.registerSubmit)
	s.page("POST /prefs/elder", authOptional, s.elderToggle)
	s.page("GET /me", authRequired, s.mePage)
	s.page("POST /me/reveal", authRequired, s.meReveal)
	s.page("GET /departments", authOptional, s.public(s.departmentsPage))
	s.page("GET /centres", authOptional, s.public(s.centresPage))
	s.page("GET /people/{id}", authRequired, s.personPage)
	s.page("POST /people/{id}/reveal", authRequired, s.personReveal)
	s.page("GET /admin", authRequired, s.adminPage)
	s.page("GET /admin/regions", authRequired, s.adminRegions)
	s.page("GET /admin/departments", authRequired, s.adminDepartments)
	s.page("POST /admin/departments", authRequired, s.adminCreateDepartment)
	s.page("GET /admin/accounts", authRequired, s.adminAccounts)
	s.page("GET /admin/audit", authRequired, s.adminAudit)
	s.page("POST /admin/audit/verify", authRequired, s.adminAudit)
}

type homeData struct {
	Scopes []string
	Recent *casework.Page  // an applicant's latest cases
	Inbox  *casework.Inbox // a staff member's waiting tasks
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var data homeData
	if p.IsStaff() {
		regions := map[string]string{}
		for _, sc := range p.Scopes {
			if sc.RegionCode != "" {
				if reg, err := s.Identity.Region(r.Context(), sc.RegionCode); err == nil {
					regions[sc.RegionCode] = reg.FullName
				}
			}
		}
		deps, err := s.Identity.Departments(r.Context())
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, d := range deps {
			names[d.ID] = d.Name
		}
		for _, sc := range p.Scopes {
			switch {
			case sc.RegionCode != "":
				data.Scopes = append(data.Scopes, "区划："+regions[sc.RegionCode]+"（含下级）")
			case sc.DepartmentID != "":
				data.Scopes = append(data.Scopes, "部门："+names[sc.DepartmentID])
			}
		}
	}
	switch {
	case p == nil:
	case p.IsStaff():
		if p.HasRole(identity.RoleClerk) || p.HasRole(identity.RoleApprover) || p.HasRole(identity.RoleDeptHead) {
			in, err := s.Cases.Inbox(r.Context(), p, casework.InboxFilter{Limit: 5})
			if err != nil {
				return err
			}
			data.Inbox = in
		}
	default:
		recent, err := s.Cases.Mine(r.Context(), p, casework.Filter{PageSize: 5})
		if err != nil {
			return err
		}
		data.Recent = recent
	}
	title := "首页"
	if p == nil {
		title = "一网通办"
	}
	s.render(w, r, http.StatusOK, "home", page{Title: title, Data: data})
	return nil
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if principal(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "登录", Form: url.Values{"next": {r.URL.Query().Get("next")}}})
	return nil
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, err := s.Identity.Login(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"), clientIP(r))
	if err != nil {
		s.formFail(w, r, "login", page{Title: "登录"}, err)
		return nil
	}
	// A new session token on every login (no session fixation).
	if old := authOf(r); old.Token != "" && !old.Bearer {
		_ = s.Identity.Logout(r.Context(), old.Token)
	}
	token, _, err := s.Identity.StartSession(r.Context(), p, "browser", clientIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	// The session lasts as long as the server-side session; the cookie is a
	// session cookie so closing the browser on a shared kiosk ends it too.
	s.setCookie(w, r, sessionCookie, token, 0)
	s.clearCookie(w, r, csrfCookie)
	if c, err := r.Cookie(elderCookie); err == nil && c.Value == "1" && !p.ElderMode {
		// The visitor chose 大字版 before logging in: keep it.
		if err := s.Identity.SetElderMode(r.Context(), p.AccountID, true); err != nil {
			return err
		}
	}
	s.redirect(w, r, safeNext(r.PostFormValue("next")), "")
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if a := authOf(r); a.Token != "" && !a.Bearer {
		if err := s.Identity.Logout(r.Context(), a.Token); err != nil {
			return err
		}
	}
	s.clearCookie(w, r, sessionCookie)
	s.redirect(w, r, "/", "您已安全退出")
	return nil
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, "register", page{Title: "个人注册"})
	return nil
}

func (s *Server) registerSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	p, err := s.Identity.Register(r.Context(), identity.Registration{
		NewPerson: identity.NewPerson{Name: f.Get("name"), IDNumber: f.Get("idNumber"), Phone: f.Get("phone")},
		Username:  f.Get("username"), Password: f.Get("password"),
	})
	if err != nil {
		s.formFail(w, r, "register", page{Title: "个人注册"}, err)
		return nil
	}
	token, _, err := s.Identity.StartSession(r.Context(), p, "browser", clientIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, token, 0)
	s.clearCookie(w, r, csrfCookie)
	s.redirect(w, r, "/", "注册成功，欢迎使用一网通办")
	return nil
}

func (s *Server) elderToggle(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	on := r.PostFormValue("elder") == "1"
	if p := principal(r); p != nil {
		if err := s.Identity.SetElderMode(r.Context(), p.AccountID, on); err != nil {
			return err
		}
	}
	v := "0"
	if on {
		v = "1"
	}
	s.setCookie(w, r, elderCookie, v, 365*24*time.Hour)
	s.redirect(w, r, safeNext(r.PostFormValue("next")), "")
	return nil
}

type personData struct {
	Person *identity.Person
	Full   *identity.PersonUnmasked
}

func (s *Server) mePage(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var data *personData
	if p.PersonID != "" {
		person, err := s.Identity.Person(r.Context(), p.PersonID)
		if err != nil {
			return err
		}
		data = &personData{Person: person}
	}
	s.render(w, r, http.StatusOK, "me", page{Title: "我的信息", Data: data})
	return nil
}

func (s *Server) meReveal(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.PersonID == "" || p.Kind != identity.KindPerson {
		return apperr.New(apperr.NotFound, "没有可显示的个人信息")
	}
	full, err := s.Identity.RevealPerson(r.Context(), p, p.PersonID, "本人查看")
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "me", page{Title: "我的信息", Data: &personData{Person: &full.Person, Full: full}})
	return nil
}

func (s *Server) departmentsPage(w http.ResponseWriter, r *http.Request) error {
	deps, err := s.Identity.Departments(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "departments", page{Title: "部门目录", Data: deps})
	return nil
}

func (s *Server) centresPage(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.Identity.Centres(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "centres", page{Title: "办事大厅", Data: cs})
	return nil
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !canSeePerson(principal(r), id) {
		return apperr.New(apperr.NotFound, "未找到该人员")
	}
	person, err := s.Identity.Person(r.Context(), id)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "person", page{Title: "人员信息", Data: &personData{Person: person}})
	return nil
}

func (s *Server) personReveal(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	full, err := s.Identity.RevealPerson(r.Context(), principal(r), id, r.PostFormValue("reason"))
	if err != nil {
		if apperr.Is(err, apperr.Invalid) {
			person, perr := s.Identity.Person(r.Context(), id)
			if perr != nil {
				return perr
			}
			s.formFail(w, r, "person", page{Title: "人员信息", Data: &personData{Person: person}}, err)
			return nil
		}
		return err
	}
	s.render(w, r, http.StatusOK, "person", page{Title: "人员信息", Data: &personData{Person: &full.Person, Full: full}})
	return nil
}

func requireAdmin(r *http.Request) error {
	if !principal(r).HasRole(identity.RoleAdmin) {
		return apperr.New(apperr.Forbidden, "只有平台管理员可以访问系统管理")
	}
	return nil
}

type adminStats struct {
	Regions, Departments, Centres, Windows, Accounts, AuditEntries int
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	var st adminStats
	err := s.DB.QueryRowContext(r.Context(), `SELECT
		(SELECT count(*) FROM regions), (SELECT count(*) FROM departments), (SELECT count(*) FROM service_centres),
		(SELECT count(*) FROM service_windows), (SELECT count(*) FROM accounts), (SELECT COALESCE(SUM(link), 0) FROM audit_chains)`).
		Scan(&st.Regions, &st.Departments, &st.Centres, &st.Windows, &st.Accounts, &st.AuditEntries)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin", page{Title: "系统管理", Data: st})
	return nil
}

type regionsData struct {
	Regions []identity.Region
	Trail   []identity.Region
	Levels  []string
}

func (s *Server) adminRegions(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	parent := r.URL.Query().Get("parent")
	regions, err := s.Identity.Regions(r.Context(), parent)
	if err != nil {
		return err
	}
	var trail []identity.Region
	for code := parent; code != ""; {
		reg, err := s.Identity.Region(r.Context(), code)
		if err != nil {
			return err
		}
		trail = append([]identity.Region{*reg}, trail...)
		code = reg.ParentCode
	}
	s.render(w, r, http.StatusOK, "admin_regions", page{Title: "行政区划", Data: regionsData{
		Regions: regions, Trail: trail, Levels: []string{"", "省级", "市级", "县级", "乡镇（街道）", "村（社区）"}}})
	return nil
}

func (s *Server) adminDepartments(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	deps, err := s.Identity.Departments(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_departments", page{Title: "部门", Data: deps})
	return nil
}

func (s *Server) adminCreateDepartment(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	d, err := s.Identity.CreateDepartment(r.Context(), principal(r), identity.NewDepartment{
		Code: f.Get("code"), Name: f.Get("name"), ShortName: f.Get("shortName"), CreditCode: f.Get("creditCode"),
		RegionCode: f.Get("regionCode"), Phone: f.Get("phone"), Address: f.Get("address"),
	})
	if err != nil {
		deps, derr := s.Identity.Departments(r.Context())
		if derr != nil {
			return derr
		}
		s.formFail(w, r, "admin_departments", page{Title: "部门", Data: deps}, err)
		return nil
	}
	s.redirect(w, r, "/admin/departments", "已新增部门："+d.Name)
	return nil
}

func (s *Server) adminAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Identity.Accounts(r.Context(), principal(r), identity.Kind(r.URL.Query().Get("kind")))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_accounts", page{Title: "账号", Data: list})
	return nil
}

type auditPage struct {
	Entries []audit.Record
	Next    int64
	Report  *audit.Report
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request) error {
	if !canReadAudit(principal(r)) {
		return apperr.New(apperr.Forbidden, "只有平台管理员和效能监察人员可以查看审计记录")
	}
	f, err := s.auditFilter(r)
	if err != nil {
		return err
	}
	var data auditPage
	if r.Method == http.MethodPost {
		rep, err := audit.Verify(r.Context(), s.DB)
		if err != nil {
			return err
		}
		data.Report = &rep
	}
	if data.Entries, err = audit.List(r.Context(), s.DB, f); err != nil {
		return err
	}
	if len(data.Entries) == f.Limit {
		data.Next = data.Entries[len(data.Entries)-1].Seq
	}
	s.render(w, r, http.StatusOK, "admin_audit", page{Title: "全过程留痕", Data: data})
	return nil
}

// parseForm reads a urlencoded form of bounded size.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if asMaxBytes(err, &tooBig) {
			return apperr.New(apperr.TooLarge, "提交的内容过大")
		}
		return apperr.New(apperr.Invalid, "无法读取提交的表单")
	}
	return nil
}
