package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"yiwang/internal/apperr"
)

// The two kinds of exception, as written in the line format.
const (
	KindRest = "休" // a day off (holiday)
	KindWork = "班" // a working day (weekend swapped into work)
)

// Limits on what an administrator may enter for one year.
const (
	maxDaysPerYear = 400 // a year has 366 dates at most; room for typos
	maxNameRunes   = 30
	maxSourceRunes = 200
)

// YearInput is a year's arrangement as submitted (API body).
type YearInput struct {
	// Source is the notice the arrangement comes from.
	Source string     `json:"source"`
	Days   []DayInput `json:"days"`
}

// DayInput is one exception as submitted.
type DayInput struct {
	Date    string `json:"date"` // YYYY-MM-DD
	Workday *bool  `json:"workday"`
	Name    string `json:"name"`
}

// problem is one thing wrong with entry i of a submission.
type problem struct {
	i     int
	field string // date, workday, name ("" for the entry as a whole)
	msg   string
}

// checkDays validates the exceptions of year: valid dates in that year, a
// kind, a name, no date twice. label names entry i in messages ("第3行",
// "days[2]").
func checkDays(year int, in []DayInput, label func(i int) string) ([]Day, []problem) {
	var out []Day
	var probs []problem
	first := map[Date]int{}
	for i, e := range in {
		ok := true
		d, err := ParseDate(strings.TrimSpace(e.Date))
		switch {
		case strings.TrimSpace(e.Date) == "":
			probs = append(probs, problem{i, "date", "请填写日期（YYYY-MM-DD）"})
			ok = false
		case err != nil:
			probs = append(probs, problem{i, "date", err.Error()})
			ok = false
		case d.Year() != year:
			probs = append(probs, problem{i, "date", fmt.Sprintf("日期 %s 不在%d年内", d, year)})
			ok = false
		default:
			if j, dup := first[d]; dup {
				probs = append(probs, problem{i, "date", fmt.Sprintf("日期 %s 重复（%s已填写）", d, label(j))})
				ok = false
			} else {
				first[d] = i
			}
		}
		if e.Workday == nil {
			probs = append(probs, problem{i, "workday", "请说明当天是否上班（workday 为 true 或 false）"})
			ok = false
		}
		name := strings.TrimSpace(e.Name)
		switch {
		case name == "":
			probs = append(probs, problem{i, "name", "请填写名称（如 国庆节、国庆节调休上班）"})
			ok = false
		case utf8.RuneCountInString(name) > maxNameRunes:
			probs = append(probs, problem{i, "name", fmt.Sprintf("名称不能超过%d个字", maxNameRunes)})
			ok = false
		case strings.IndexFunc(name, unicode.IsControl) >= 0:
			probs = append(probs, problem{i, "name", "名称含有不可见字符"})
			ok = false
		}
		if ok {
			out = append(out, Day{Date: d, Workday: *e.Workday, Name: name})
		}
	}
	slices.SortFunc(out, func(a, b Day) int { return a.Date.DaysSince(b.Date) })
	return out, probs
}

func checkSource(src string) (string, string) {
	src = strings.TrimSpace(src)
	switch {
	case src == "":
		return src, "请填写依据（如 国务院办公厅关于该年部分节假日安排的通知 及其文号）"
	case utf8.RuneCountInString(src) > maxSourceRunes:
		return src, fmt.Sprintf("依据不能超过%d个字", maxSourceRunes)
	case strings.IndexFunc(src, unicode.IsControl) >= 0:
		return src, "依据含有不可见字符"
	}
	return src, ""
}

// CheckYear validates a year given in a URL or a form.
func CheckYear(s string) (int, error) {
	y, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || y < MinYear || y > MaxYear {
		return 0, fieldError("year", fmt.Sprintf("年份须为%d至%d之间的整数", MinYear, MaxYear))
	}
	return y, nil
}

// validateInput checks an API submission; field errors are named
// "source", "days" and "days[i].date|workday|name".
func validateInput(year int, in YearInput) (string, []Day, error) {
	f := apperr.FieldErrors{}
	src, msg := checkSource(in.Source)
	if msg != "" {
		f.Add("source", msg)
	}
	switch {
	case len(in.Days) == 0:
		f.Add("days", "请至少提供一天（如 {\"date\":\"2026-10-01\",\"workday\":false,\"name\":\"国庆节\"}）")
	case len(in.Days) > maxDaysPerYear:
		f.Add("days", fmt.Sprintf("一年最多%d天", maxDaysPerYear))
		return "", nil, f.Err()
	}
	days, probs := checkDays(year, in.Days, func(i int) string { return fmt.Sprintf("days[%d]", i) })
	for _, p := range probs {
		f.Add(fmt.Sprintf("days[%d].%s", p.i, p.field), p.msg)
	}
	if err := f.Err(); err != nil {
		return "", nil, &apperr.Error{Code: apperr.Invalid, Message: "节假日安排有误，请按提示修改", Fields: f}
	}
	return src, days, nil
}

// Line-format field keys: "source", "lines" for the text as a whole, and
// "lines.N" for line N. LineProblems reads them back in order.
const linesField = "lines"

// ParseLines reads exceptions written one a line, as in the editor and the
// shipped data files:
//
//	2026-10-01 休 国庆节
//	2026-10-10 班 国庆节调休上班
//
// Blank lines and lines starting with # are skipped. It returns the
// entries with their line numbers and, by line number, what could not be
// read at all (validation of dates and names comes later).
func ParseLines(text string) (days []DayInput, lineNo []int, bad map[int]string) {
	bad = map[int]string{}
	work, rest := true, false
	for i, line := range strings.Split(text, "\n") {
		no := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			bad[no] = "格式应为“日期 休/班 名称”，如 2026-10-01 休 国庆节"
			continue
		}
		var wd *bool
		switch fields[1] {
		case KindRest:
			wd = &rest
		case KindWork:
			wd = &work
		default:
			bad[no] = fmt.Sprintf("类型%s应为“休”或“班”", quoteShort(fields[1]))
			continue
		}
		days = append(days, DayInput{Date: fields[0], Workday: wd, Name: strings.Join(fields[2:], " ")})
		lineNo = append(lineNo, no)
	}
	return days, lineNo, bad
}

// validateLines checks a submission in the line format; every bad line
// gets one message, "第3行：日期 2026-02-30 无效".
func validateLines(year int, source, text string) (string, []Day, error) {
	f := apperr.FieldErrors{}
	src, msg := checkSource(source)
	if msg != "" {
		f.Add("source", msg)
	}
	in, lineNo, bad := ParseLines(text)
	switch {
	case len(in) == 0 && len(bad) == 0:
		f.Add(linesField, fmt.Sprintf("请至少填写一行（如 %d-10-01 休 国庆节）", year))
	case len(in)+len(bad) > maxDaysPerYear:
		f.Add(linesField, fmt.Sprintf("一年最多%d行", maxDaysPerYear))
		return "", nil, f.Err()
	}
	days, probs := checkDays(year, in, func(i int) string { return fmt.Sprintf("第%d行", lineNo[i]) })
	perLine := map[int][]string{}
	for no, msg := range bad {
		perLine[no] = append(perLine[no], msg)
	}
	for _, p := range probs {
		no := lineNo[p.i]
		perLine[no] = append(perLine[no], p.msg)
	}
	for no, msgs := range perLine {
		f.Add(fmt.Sprintf("%s.%d", linesField, no), fmt.Sprintf("第%d行：%s", no, strings.Join(msgs, "；")))
	}
	if err := f.Err(); err != nil {
		return "", nil, &apperr.Error{Code: apperr.Invalid, Message: "节假日安排有误，请按提示修改", Fields: f}
	}
	return src, days, nil
}

// LineProblems lists the messages about the lines of a failed
// SaveYearText, the text as a whole first, then line by line.
func LineProblems(err error) []string {
	var e *apperr.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	if m, ok := e.Fields[linesField]; ok {
		out = append(out, m)
	}
	var nos []int
	for k := range e.Fields {
		if rest, ok := strings.CutPrefix(k, linesField+"."); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				nos = append(nos, n)
			}
		}
	}
	slices.Sort(nos)
	for _, n := range nos {
		out = append(out, e.Fields[fmt.Sprintf("%s.%d", linesField, n)])
	}
	return out
}

// Lines writes exceptions in the line format, one a line.
func Lines(days []Day) string {
	var b strings.Builder
	for _, d := range days {
		b.WriteString(d.Line())
		b.WriteByte('\n')
	}
	return b.String()
}
