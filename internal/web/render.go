package web

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/identity"
)

// page is what every template receives.
type page struct {
	Title     string
	P         *identity.Principal
	CSRF      string
	Elder     bool
	Nav       []navItem
	Path      string
	Here      string // path and query, for "come back here" links
	Flash     string
	Error     string
	Errors    map[string]string
	Form      url.Values
	Data      any
	RequestID string
	Version   string
	Unread    int // the caller's unread notices, for the header
}

type navItem struct {
	Href, Label string
	Active      bool
}

// navFor builds the navigation for the caller's role.
func navFor(p *identity.Principal, path string) []navItem {
	items := []navItem{{Href: "/", Label: "首页"}}
	switch {
	case p == nil:
		items = append(items, navItem{Href: "/items", Label: "找服务"}, navItem{Href: "/lists", Label: "清单"}, navItem{Href: "/progress", Label: "进度查询"}, navItem{Href: "/verify", Label: "证照核验"}, navItem{Href: "/centres", Label: "办事大厅"})
	case p.IsStaff():
		if p.HasRole(identity.RoleClerk) {
			items = append(items, navItem{Href: "/desk", Label: "窗口工作台"})
		}
		if p.HasRole(identity.RoleApprover) || p.HasRole(identity.RoleDeptHead) {
			items = append(items, navItem{Href: "/inbox", Label: "待办件"})
		}
		if p.HasRole(identity.RoleClerk) || p.HasRole(identity.RoleApprover) || p.HasRole(identity.RoleDeptHead) || p.HasRole(identity.RoleSupervisor) || p.HasRole(identity.RoleAdmin) {
			items = append(items, navItem{Href: "/staff/cases", Label: "办件查询"})
		}
		if p.HasRole(identity.RoleSupervisor) && !p.HasRole(identity.RoleAdmin) {
			items = append(items, navItem{Href: "/admin/audit", Label: "全过程留痕"})
		}
		if p.HasRole(identity.RoleMaintainer) && !p.HasRole(identity.RoleAdmin) {
			items = append(items, navItem{Href: "/admin/catalogue/items", Label: "事项维护"})
		}
		if p.HasRole(identity.RoleAdmin) {
			items = append(items, navItem{Href: "/admin", Label: "系统管理"})
		}
		items = append(items, navItem{Href: "/me", Label: "我的信息"})
	default:
		items = append(items, navItem{Href: "/cases", Label: "我的办件"}, navItem{Href: "/my/licences", Label: "我的证照"}, navItem{Href: "/my/notices", Label: "我的消息"}, navItem{Href: "/items", Label: "找服务"}, navItem{Href: "/me", Label: "我的信息"})
	}
	for i := range items {
		items[i].Active = items[i].Href == path || (items[i].Href != "/" && strings.HasPrefix(path, items[i].Href+"/"))
	}
	return items
}

// elderMode: a logged-in person's stored choice, otherwise the cookie.
func elderMode(r *http.Request) bool {
	if p := principal(r); p != nil {
		return p.ElderMode
	}
	c, err := r.Cookie(elderCookie)
	return err == nil && c.Value == "1"
}

// csrfToken returns the token for forms on this page, creating the
// anonymous CSRF cookie when a visitor without a session has none.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	b := csrfBinding(r)
	if b == "" {
		raw := make([]byte, 18)
		_, _ = rand.Read(raw)
		v := base64.RawURLEncoding.EncodeToString(raw)
		s.setCookie(w, r, csrfCookie, v, 0)
		b = "a:" + v
	}
	return s.Box.CSRFToken(b)
}

// render writes a full page; it renders into a buffer first so a template
// error never leaves half a page behind.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	pg.P = principal(r)
	if capturing(r) {
		pg.CSRF = csrfSentinel
	} else {
		pg.CSRF = s.csrfToken(w, r)
	}
	pg.Elder = elderMode(r)
	pg.Path = r.URL.Path
	pg.Here = r.URL.RequestURI()
	pg.Nav = navFor(pg.P, r.URL.Path)
	pg.RequestID = requestID(r)
	pg.Version = s.Version
	if pg.P != nil && !pg.P.IsStaff() && s.Notices != nil {
		// One count on a partial index; a failure only hides the badge.
		if n, err := s.Notices.Unread(r.Context(), pg.P.AccountID); err == nil {
			pg.Unread = n
		}
	}
	if pg.Form == nil {
		pg.Form = url.Values{}
	}
	if pg.Errors == nil {
		pg.Errors = map[string]string{}
	}
	if c, err := r.Cookie(flashCookie); err == nil && pg.Flash == "" {
		if v, err := url.QueryUnescape(c.Value); err == nil {
			pg.Flash = v
		}
		s.clearCookie(w, r, flashCookie)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := s.views.Render(buf, name, pg); err != nil {
		s.Log.ErrorContext(r.Context(), "render", "template", name, "err", err, "request_id", pg.RequestID)
		http.Error(w, internalMessage, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "Cookie")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

const flashCookie = "yiwang_flash"

// bufPool reuses page buffers: pages are rendered whole before sending.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// redirect sends the browser on after a successful POST, with a one-time
// message for the next page.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		s.setCookie(w, r, flashCookie, url.QueryEscape(flash), time.Minute)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

var errorTitles = map[apperr.Code]string{
	apperr.Invalid: "请求有误", apperr.NotFound: "页面不存在", apperr.Conflict: "操作冲突",
	apperr.Forbidden: "无权访问", apperr.Unauthenticated: "请先登录", apperr.TooLarge: "内容过大",
	apperr.RateLimited: "操作过于频繁", apperr.MethodNotAllowed: "请求方法有误", apperr.Internal: "系统繁忙",
}

// pageFail answers an error with a page. An anonymous visitor who needs to
// log in is sent to the login page and brought back afterwards.
func (s *Server) pageFail(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.Is(err, apperr.Unauthenticated) && r.Method == http.MethodGet && principal(r) == nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	status, body := s.errorBody(r, err)
	s.render(w, r, status, "error", page{Title: errorTitles[body.Code], Error: body.Message})
}

// formFail re-renders a form with what was typed and every field error.
// Other errors become an error page.
func (s *Server) formFail(w http.ResponseWriter, r *http.Request, name string, pg page, err error) {
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code == apperr.Internal || e.Code == apperr.Forbidden {
		s.pageFail(w, r, err)
		return
	}
	pg.Error = e.Message
	pg.Errors = e.Fields
	pg.Form = r.PostForm
	s.render(w, r, statusOf(e.Code), name, pg)
}

// pageHandler returns an error to answer as a page.
type pageHandler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) page(pattern string, need authNeed, h pageHandler) {
	if _, path, _ := strings.Cut(pattern, " "); strings.HasPrefix(path, "/api/") {
		panic("API routes must be registered with s.api so they are documented: " + pattern)
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if need == authRequired && principal(r) == nil {
			s.pageFail(w, r, errLoginRequired)
			return
		}
		if err := h(w, r); err != nil {
			s.pageFail(w, r, err)
		}
	})
}

// safeNext keeps redirects on this site: only local absolute paths.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
