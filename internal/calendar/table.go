// Package calendar is the working-day calendar (工作日): which dates are
// working days, the holidays and swapped working days of each year, and
// deadline arithmetic in working days (行政许可法 Art. 82: limits count in
// working days, statutory holidays excluded).
//
// A working day is a per-date table, never a weekday rule. Each year whose
// official arrangement (the State Council notice) has been entered has its
// exceptions stored; its effective table is Monday–Friday overridden by
// those exceptions. A year without an official arrangement falls back to
// Monday–Friday, and every answer that touches it is marked provisional.
//
// Dates are civil dates in Asia/Shanghai (type Date). Functions that take
// an instant (time.Time), such as the moment an application was accepted,
// count from its date in Shanghai.
package calendar

import (
	"fmt"
	"slices"
	"time"

	"yiwang/internal/apperr"
)

// MaxWorkingDays bounds one deadline computation (about fourteen years):
// longer limits are typing errors.
const MaxWorkingDays = 3650

// Day is one date of the effective table.
type Day struct {
	Date    Date
	Workday bool
	// Name is the holiday ("国庆节") or the swap ("国庆节调休上班"); empty
	// for an ordinary weekday or weekend.
	Name string
}

// Line writes the day in the line format of the editor and the shipped
// data: "2026-10-01 休 国庆节".
func (d Day) Line() string {
	kind := KindRest
	if d.Workday {
		kind = KindWork
	}
	return d.Date.String() + " " + kind + " " + d.Name
}

// Year is one year's arrangement.
type Year struct {
	Year int
	// Official is true when the year's arrangement has been entered; false
	// means Monday–Friday is assumed (provisional).
	Official  bool
	Source    string // the notice, e.g. 国务院办公厅关于2026年部分节假日安排的通知
	UpdatedAt time.Time
	UpdatedBy string
	// Days are the exceptions to Monday–Friday, by date.
	Days []Day
}

// Holidays and Workdays count the exceptions of each kind.
func (y Year) Holidays() int { return count(y.Days, false) }
func (y Year) Workdays() int { return count(y.Days, true) }

// Table is an immutable working-day table over the official years it was
// built from. Its methods are pure: they read nothing but the table.
type Table struct {
	years map[int]*Year
	days  map[Date]Day
	// adj lists, in date order, the exceptions that change a date's
	// Monday–Friday answer (a holiday on a weekday: -1; a weekend worked:
	// +1), with running sums, so counting working days over any span is a
	// formula plus two binary searches instead of a walk through every day.
	adj []adjustment
}

type adjustment struct {
	n   int32 // the date's day number
	cum int   // sum of the deltas up to and including this one
}

// NewTable builds a table from official years (their Official flag is
// implied). Exceptions outside their own year are ignored.
func NewTable(years []Year) *Table {
	t := &Table{years: map[int]*Year{}, days: map[Date]Day{}}
	for _, y := range years {
		y := y
		y.Official = true
		y.Days = slices.Clone(y.Days)
		slices.SortFunc(y.Days, func(a, b Day) int { return a.Date.DaysSince(b.Date) })
		kept := y.Days[:0]
		for _, d := range y.Days {
			if d.Date.Year() == y.Year {
				kept = append(kept, d)
				t.days[d.Date] = d
			}
		}
		y.Days = kept
		t.years[y.Year] = &y
	}
	for d, day := range t.days {
		switch {
		case !day.Workday && !d.IsWeekend():
			t.adj = append(t.adj, adjustment{n: d.n, cum: -1})
		case day.Workday && d.IsWeekend():
			t.adj = append(t.adj, adjustment{n: d.n, cum: +1})
		}
	}
	slices.SortFunc(t.adj, func(a, b adjustment) int { return int(a.n - b.n) })
	sum := 0
	for i := range t.adj {
		sum += t.adj[i].cum
		t.adj[i].cum = sum
	}
	return t
}

// weekdaysBefore counts the Mondays to Fridays among day numbers below n
// (from a fixed origin far in the past; only differences matter).
func weekdaysBefore(n int32) int {
	// Day 0 (1970-01-01) is a Thursday; shift so that 0 is a Monday and
	// every day number of the calendar's range is positive.
	k := int(n) + 3 + 7*40000
	return 5*(k/7) + min(k%7, 5)
}

// adjustedBefore is the sum of the adjustments of dates below n.
func (t *Table) adjustedBefore(n int32) int {
	i, _ := slices.BinarySearchFunc(t.adj, n, func(a adjustment, n int32) int { return int(a.n - n) })
	if i == 0 {
		return 0
	}
	return t.adj[i-1].cum
}

// workingDaysIn counts the working days from day number lo up to but not
// including hi (lo ≤ hi).
func (t *Table) workingDaysIn(lo, hi int32) int {
	return weekdaysBefore(hi) - weekdaysBefore(lo) + t.adjustedBefore(hi) - t.adjustedBefore(lo)
}

// Official reports whether year y has an official arrangement.
func (t *Table) Official(y int) bool { _, ok := t.years[y]; return ok }

// Years lists the official years, ascending.
func (t *Table) Years() []int {
	out := make([]int, 0, len(t.years))
	for y := range t.years {
		out = append(out, y)
	}
	slices.Sort(out)
	return out
}

// Year returns year y: its official arrangement, or an empty provisional
// year (Official false) when none was entered.
func (t *Table) Year(y int) Year {
	if v, ok := t.years[y]; ok {
		out := *v
		out.Days = slices.Clone(v.Days)
		return out
	}
	return Year{Year: y}
}

// Day is the effective entry for date d: the year's exception when there
// is one, otherwise Monday–Friday. In a year without an official
// arrangement only Monday–Friday applies.
func (t *Table) Day(d Date) Day {
	if ex, ok := t.days[d]; ok && t.Official(d.Year()) {
		return ex
	}
	return Day{Date: d, Workday: !d.IsWeekend()}
}

// IsWorkday reports whether d is a working day.
func (t *Table) IsWorkday(d Date) bool { return t.Day(d).Workday }

// AddWorkingDays is the deadline n working days after the date of from
// (its date in Shanghai). Per 行政许可法 the day of acceptance does not
// count: the answer is the n-th working day after that date. For n = 0 it
// is that date itself when it is a working day, else the next working day.
// provisional is true when a year the count passed through has no official
// arrangement (Monday–Friday was assumed there).
//
// Errors (apperr.Invalid, with the field "from" or "days"): n below 0 or
// above MaxWorkingDays, a date outside MinYear–MaxYear, or an answer past
// MaxYear.
func (t *Table) AddWorkingDays(from time.Time, n int) (Date, bool, error) {
	start := DateOf(from)
	if err := checkDate("from", start); err != nil {
		return Date{}, false, err
	}
	if n < 0 || n > MaxWorkingDays {
		return Date{}, false, fieldError("days", fmt.Sprintf("工作日天数须在0到%d之间", MaxWorkingDays))
	}
	provisional := false
	seen := 0 // the last year looked at, so each year is checked once
	look := func(d Date) bool {
		if y := d.Year(); y != seen {
			seen = y
			if !t.Official(y) {
				provisional = true
			}
		}
		return t.IsWorkday(d)
	}
	d := start
	if n == 0 {
		for !look(d) {
			d = d.AddDays(1)
		}
	}
	for counted := 0; counted < n; {
		d = d.AddDays(1)
		if look(d) {
			counted++
		}
	}
	if d.Year() > MaxYear {
		return Date{}, false, fieldError("days", fmt.Sprintf("期限超出%d年，无法推算", MaxYear))
	}
	return d, provisional, nil
}

// WorkingDaysBetween counts the working days after the date of a up to and
// including the date of b, so WorkingDaysBetween(a, AddWorkingDays(a, n))
// is n for n ≥ 1. When b is before a the count is negative
// (-WorkingDaysBetween(b, a)). provisional is as for AddWorkingDays.
func (t *Table) WorkingDaysBetween(a, b time.Time) (int, bool, error) {
	da, db := DateOf(a), DateOf(b)
	if err := checkDate("from", da); err != nil {
		return 0, false, err
	}
	if err := checkDate("to", db); err != nil {
		return 0, false, err
	}
	sign := 1
	if db.Before(da) {
		da, db, sign = db, da, -1
	}
	provisional := false
	for y := da.AddDays(1).Year(); y <= db.Year() && !da.Equal(db); y++ {
		if !t.Official(y) {
			provisional = true
			break
		}
	}
	return sign * t.workingDaysIn(da.n+1, db.n+1), provisional, nil
}

func checkDate(field string, d Date) error {
	if !inRange(d) {
		return fieldError(field, fmt.Sprintf("日期 %s 超出范围：只能计算%d年至%d年之间的日期", d, MinYear, MaxYear))
	}
	return nil
}

func fieldError(field, msg string) error {
	return &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: map[string]string{field: msg}}
}
