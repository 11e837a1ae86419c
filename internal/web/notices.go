package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"yiwang/internal/apperr"
	"yiwang/internal/identity"
	"yiwang/internal/notify"
)

// Notices (我的消息): what the platform told the caller about their cases,
// and where else it tells them (SMS to the registered phone, e-mail to an
// address they set here).

func (s *Server) routesNotices() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/my/notices", Tag: "消息", Auth: authRequired, Summary: "我的消息（新的在前，分页，含未读数）",
		Query:    []param{{Name: "page", Desc: "页码，从 1 开始"}, {Name: "pageSize", Desc: "每页条数，1–100，默认 20"}, {Name: "unread", Desc: "true：只看未读"}},
		Response: notify.NoticePage{}, Errors: []int{400}}, s.apiMyNotices)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/my/notices/{id}/read", Tag: "消息", Auth: authRequired, Summary: "把一条消息标为已读（重复标记不改变已读时间）",
		Response: notify.Notice{}, Errors: []int{400, 404}}, s.apiReadNotice)
	s.api(apiRoute{Method: "POST", Path: "/api/v1/my/notices/read-all", Tag: "消息", Auth: authRequired, Summary: "把全部未读消息标为已读",
		Response: readAllResponse{}}, s.apiReadAllNotices)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/me/contact", Tag: "消息", Auth: authRequired, Summary: "接收短信和邮件通知的手机号码与邮箱（脱敏）",
		Response: identity.Contact{}, Errors: []int{404}}, s.apiMyContact)
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/me/email", Tag: "消息", Auth: authRequired, Summary: "设置接收通知的电子邮箱（空字符串为取消）",
		Request: emailRequest{}, Response: identity.Contact{}, Errors: []int{400, 403}}, s.apiSetEmail)
	s.page("GET /my/notices", authRequired, s.noticesPage)
	s.page("POST /my/notices/{id}/read", authRequired, s.noticeRead)
	s.page("POST /my/notices/read-all", authRequired, s.noticesReadAll)
	s.page("POST /my/contact/email", authRequired, s.contactEmail)
}

type readAllResponse struct {
	Marked int64 `json:"marked"`
}

type emailRequest struct {
	Email *string `json:"email"`
}

// noticeFilter reads page, pageSize and unread from the query.
func noticeFilter(q url.Values) (notify.NoticeFilter, error) {
	bad := apperr.FieldErrors{}
	f := notify.NoticeFilter{Page: positiveInt(q, "page", bad), PageSize: positiveInt(q, "pageSize", bad)}
	switch q.Get("unread") {
	case "", "false", "0":
	case "true", "1":
		f.UnreadOnly = true
	default:
		bad.Add("unread", "应为 true 或 false")
	}
	return f, bad.Err()
}

// positiveInt reads an optional positive integer parameter (0 when absent).
func positiveInt(q url.Values, name string, bad apperr.FieldErrors) int {
	v := q.Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		bad.Add(name, "应为正整数")
		return 0
	}
	return n
}

func (s *Server) apiMyNotices(w http.ResponseWriter, r *http.Request) error {
	f, err := noticeFilter(r.URL.Query())
	if err != nil {
		return err
	}
	pg, err := s.Notices.Notices(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pg)
	return nil
}

func (s *Server) apiReadNotice(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Notices.MarkRead(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

func (s *Server) apiReadAllNotices(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Notices.MarkAllRead(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, readAllResponse{Marked: n})
	return nil
}

// errNoContact: staff accounts are not told about cases.
var errNoContact = apperr.New(apperr.NotFound, "工作人员账号不接收办件通知")

func (s *Server) apiMyContact(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.PersonID == "" {
		return errNoContact
	}
	c, err := s.Identity.Contact(r.Context(), p.PersonID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiSetEmail(w http.ResponseWriter, r *http.Request) error {
	var in emailRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Email == nil {
		return &apperr.Error{Code: apperr.Invalid, Message: "请提供 email（取消邮件通知时为空字符串）", Fields: map[string]string{"email": "必填"}}
	}
	c, err := s.Identity.SetEmail(r.Context(), principal(r), *in.Email)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type noticesData struct {
	Page       *notify.NoticePage
	UnreadOnly bool
	Prev, Next string
	Contact    *identity.Contact
	Email      string // what was typed into the e-mail form
}

func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotices(w, r, http.StatusOK, "", nil)
}

// renderNotices shows the caller's notices and how they are told, with
// the e-mail form's problem when there is one.
func (s *Server) renderNotices(w http.ResponseWriter, r *http.Request, status int, typed string, formErr *apperr.Error) error {
	p := principal(r)
	q := r.URL.Query()
	f, err := noticeFilter(q)
	if err != nil {
		return err
	}
	pg, err := s.Notices.Notices(r.Context(), p, f)
	if err != nil {
		return err
	}
	d := noticesData{Page: pg, UnreadOnly: f.UnreadOnly, Email: typed}
	d.Prev, d.Next = pageLinks("/my/notices", q, pg.Page, pg.More)
	if p.PersonID != "" {
		if d.Contact, err = s.Identity.Contact(r.Context(), p.PersonID); err != nil {
			return err
		}
	}
	pg2 := page{Title: "我的消息", Data: d}
	if formErr != nil {
		pg2.Error, pg2.Errors = formErr.Message, formErr.Fields
	}
	s.render(w, r, status, "my_notices", pg2)
	return nil
}

// pageLinks are the previous and next page addresses of a paged list.
func pageLinks(base string, q url.Values, pageNo int, more bool) (prev, next string) {
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return base + "?" + v.Encode()
	}
	if pageNo > 1 {
		prev = link(pageNo - 1)
	}
	if more {
		next = link(pageNo + 1)
	}
	return prev, next
}

func (s *Server) noticeRead(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := s.Notices.MarkRead(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, noticesBack(r), http.StatusSeeOther)
	return nil
}

func (s *Server) noticesReadAll(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	n, err := s.Notices.MarkAllRead(r.Context(), principal(r))
	if err != nil {
		return err
	}
	s.redirect(w, r, noticesBack(r), "已将 "+strconv.FormatInt(n, 10)+" 条消息标为已读")
	return nil
}

// noticesBack is where a notices form returns to: the page it was on.
func noticesBack(r *http.Request) string {
	if next := safeNext(r.PostFormValue("next")); next != "/" {
		return next
	}
	return "/my/notices"
}

func (s *Server) contactEmail(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := r.PostFormValue("email")
	c, err := s.Identity.SetEmail(r.Context(), principal(r), email)
	var e *apperr.Error
	if errors.As(err, &e) && e.Code == apperr.Invalid {
		// A clean address bar for a reload, not the POST's.
		w.Header().Set("HX-Replace-Url", "/my/notices")
		return s.renderNotices(w, r, http.StatusBadRequest, email, e)
	}
	if err != nil {
		return err
	}
	msg := "已取消邮件通知"
	if c.EmailMasked != "" {
		msg = "通知邮箱已保存：" + c.EmailMasked
	}
	s.redirect(w, r, "/my/notices#contact", msg)
	return nil
}
