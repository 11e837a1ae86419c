package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/calendar"
	"yiwang/internal/identity"
)

// workingDaysAnswer is the deadline n working days after a date.
type workingDaysAnswer struct {
	Date string `json:"date"` // YYYY-MM-DD
	// Provisional: the count passed through a year whose official
	// arrangement has not been entered (Monday–Friday was assumed).
	Provisional bool `json:"provisional"`
}

type calendarDayView struct {
	Date    string `json:"date"`
	Workday bool   `json:"workday"`
	Name    string `json:"name"`
}

// calendarYearView is one year: official tells whether its arrangement
// has been entered; days are only the exceptions to Monday–Friday.
type calendarYearView struct {
	Year      int               `json:"year"`
	Official  bool              `json:"official"`
	Source    string            `json:"source"`
	UpdatedAt *time.Time        `json:"updatedAt,omitempty"`
	Days      []calendarDayView `json:"days"`
}

func viewCalendarYear(y calendar.Year) calendarYearView {
	v := calendarYearView{Year: y.Year, Official: y.Official, Source: y.Source, Days: []calendarDayView{}}
	if !y.UpdatedAt.IsZero() {
		at := y.UpdatedAt
		v.UpdatedAt = &at
	}
	for _, d := range y.Days {
		v.Days = append(v.Days, calendarDayView{Date: d.Date.String(), Workday: d.Workday, Name: d.Name})
	}
	return v
}

func (s *Server) routesCalendar() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/calendar/add-working-days", Tag: "工作日",
		Summary: "期限推算：某日之后第 N 个工作日（受理当日不计；N=0 为当日或其后第一个工作日）",
		Query: []param{
			{Name: "from", Desc: "起算日期 YYYY-MM-DD（如受理日）", Required: true},
			{Name: "days", Desc: "工作日天数，0–3650", Required: true},
		},
		Response: workingDaysAnswer{}, Errors: []int{400}}, s.apiAddWorkingDays)
	s.api(apiRoute{Method: "GET", Path: "/api/v1/calendar/{year}", Tag: "工作日",
		Summary:  "一年的节假日与调休安排（只列出与周一至周五不同的日期；official=false 表示尚未录入官方安排）",
		Response: calendarYearView{}, Errors: []int{400}}, s.apiCalendarYear)
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/calendar/{year}", Tag: "工作日",
		Summary: "整年替换节假日与调休安排（平台管理员，写入审计留痕）", Auth: authRequired,
		Request: calendar.YearInput{}, Response: calendarYearView{}, Errors: []int{403}}, s.apiSaveCalendarYear)

	s.page("GET /admin/calendar", authRequired, s.adminCalendar)
	s.page("POST /admin/calendar", authRequired, s.adminSaveCalendar)
}

func invalidField(field, msg string) error {
	return &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: map[string]string{field: msg}}
}

// parseDeadlineQuery reads from and days; both problems are reported at once.
func parseDeadlineQuery(q url.Values) (calendar.Date, int, error) {
	f := apperr.FieldErrors{}
	var from calendar.Date
	var n int
	if v := strings.TrimSpace(q.Get("from")); v == "" {
		f.Add("from", "请提供起算日期 from（YYYY-MM-DD，如 2026-09-30）")
	} else if d, err := calendar.ParseDate(v); err != nil {
		f.Add("from", err.Error())
	} else {
		from = d
	}
	if v := strings.TrimSpace(q.Get("days")); v == "" {
		f.Add("days", "请提供工作日天数 days")
	} else if x, err := strconv.Atoi(v); err != nil {
		f.Add("days", fmt.Sprintf("工作日天数应为0到%d之间的整数", calendar.MaxWorkingDays))
	} else {
		n = x
	}
	if len(f) == 1 {
		for _, msg := range f {
			return from, n, &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: f}
		}
	}
	return from, n, f.Err()
}

func (s *Server) apiAddWorkingDays(w http.ResponseWriter, r *http.Request) error {
	from, n, err := parseDeadlineQuery(r.URL.Query())
	if err != nil {
		return err
	}
	d, provisional, err := s.Calendar.AddWorkingDays(r.Context(), from.Time(), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workingDaysAnswer{Date: d.String(), Provisional: provisional})
	return nil
}

func (s *Server) apiCalendarYear(w http.ResponseWriter, r *http.Request) error {
	year, err := calendar.CheckYear(r.PathValue("year"))
	if err != nil {
		return err
	}
	y, err := s.Calendar.Year(r.Context(), year)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCalendarYear(y))
	return nil
}

func (s *Server) apiSaveCalendarYear(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).HasRole(identity.RoleAdmin) {
		return apperr.New(apperr.Forbidden, "只有平台管理员可以维护工作日安排")
	}
	year, err := calendar.CheckYear(r.PathValue("year"))
	if err != nil {
		return err
	}
	var in calendar.YearInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	y, err := s.Calendar.SaveYear(r.Context(), principal(r), year, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCalendarYear(y))
	return nil
}

// calendarPage is the administrator's view of one year.
type calendarPage struct {
	Year       calendar.Year
	Prev, Next int
	Years      []int // years with an official arrangement
	Months     []calMonth
	Source     string // the form: what is stored, or what was typed
	Lines      string
	LineErrors []string
	Calc       *calcAnswer
}

type calMonth struct {
	Name  string
	Weeks [][]calCell
}

// calCell is one day of a month grid; Class says how it is drawn
// (work, rest, holiday, swap = a weekend that is worked).
type calCell struct {
	Day   int
	Date  string
	Mark  string // 班 or 休
	Name  string
	Class string
	Today bool
}

type calcAnswer struct {
	From        string
	Days        int
	Date        string
	Weekday     string
	Provisional bool
}

// monthGrid lays a month out in weeks, Monday first; blank cells pad the
// first and last week.
func monthGrid(t *calendar.Table, year int, m time.Month, today calendar.Date) calMonth {
	first := calendar.MustDate(year, m, 1)
	out := calMonth{Name: fmt.Sprintf("%d月", int(m))}
	week := make([]calCell, (int(first.Weekday())+6)%7)
	for d := first; d.Month() == m; d = d.AddDays(1) {
		day := t.Day(d)
		c := calCell{Day: d.Day(), Date: d.String(), Name: day.Name, Today: d == today}
		switch {
		case day.Workday && d.IsWeekend():
			c.Mark, c.Class = "班", "swap"
		case day.Workday:
			c.Mark, c.Class = "班", "work"
		case day.Name != "":
			c.Mark, c.Class = "休", "holiday"
		default:
			c.Mark, c.Class = "休", "rest"
		}
		week = append(week, c)
		if len(week) == 7 {
			out.Weeks = append(out.Weeks, week)
			week = nil
		}
	}
	if len(week) > 0 {
		for len(week) < 7 {
			week = append(week, calCell{})
		}
		out.Weeks = append(out.Weeks, week)
	}
	return out
}

func (s *Server) calendarData(r *http.Request, year int) (*calendarPage, error) {
	t, err := s.Calendar.Table(r.Context())
	if err != nil {
		return nil, err
	}
	y := t.Year(year)
	data := &calendarPage{Year: y, Prev: year - 1, Next: year + 1, Years: t.Years(), Source: y.Source, Lines: calendar.Lines(y.Days)}
	today := s.Calendar.Today()
	for m := time.January; m <= time.December; m++ {
		data.Months = append(data.Months, monthGrid(t, year, m, today))
	}
	return data, nil
}

func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	q := r.URL.Query()
	year := s.Calendar.Today().Year()
	if v := q.Get("year"); v != "" {
		var err error
		if year, err = calendar.CheckYear(v); err != nil {
			return err
		}
	}
	data, err := s.calendarData(r, year)
	if err != nil {
		return err
	}
	pg := page{Title: fmt.Sprintf("%d年工作日安排", year), Data: data, Form: q}
	status := http.StatusOK
	// The deadline calculator: a GET form on the same page.
	if q.Has("from") || q.Has("days") {
		ans, err := s.calcDeadline(r, q)
		if err != nil {
			var e *apperr.Error
			if !asAppErr(err, &e) || e.Code != apperr.Invalid {
				return err
			}
			pg.Error, pg.Errors, status = e.Message, e.Fields, http.StatusBadRequest
		}
		data.Calc = ans
	}
	s.render(w, r, status, "admin_calendar", pg)
	return nil
}

func (s *Server) calcDeadline(r *http.Request, q url.Values) (*calcAnswer, error) {
	from, n, err := parseDeadlineQuery(q)
	if err != nil {
		return nil, err
	}
	d, prov, err := s.Calendar.AddWorkingDays(r.Context(), from.Time(), n)
	if err != nil {
		return nil, err
	}
	return &calcAnswer{From: from.String(), Days: n, Date: d.String(), Weekday: d.WeekdayName(), Provisional: prov}, nil
}

func (s *Server) adminSaveCalendar(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	year, err := calendar.CheckYear(r.PostFormValue("year"))
	if err != nil {
		return err
	}
	source, lines := r.PostFormValue("source"), strings.ReplaceAll(r.PostFormValue("lines"), "\r\n", "\n")
	y, err := s.Calendar.SaveYearText(r.Context(), principal(r), year, source, lines)
	if err != nil {
		data, derr := s.calendarData(r, year)
		if derr != nil {
			return derr
		}
		data.Source, data.Lines, data.LineErrors = source, lines, calendar.LineProblems(err)
		s.formFail(w, r, "admin_calendar", page{Title: fmt.Sprintf("%d年工作日安排", year), Data: data}, err)
		return nil
	}
	s.redirect(w, r, fmt.Sprintf("/admin/calendar?year=%d", year),
		fmt.Sprintf("已保存%d年工作日安排：休息日%d天，调休上班%d天", year, y.Holidays(), y.Workdays()))
	return nil
}
