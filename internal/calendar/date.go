package calendar

import (
	"fmt"
	"time"
)

// Shanghai is the zone whose civil dates the calendar counts in: an
// application accepted at 23:30 Beijing time on 30 September was accepted
// on the 30th, whatever the server's zone.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// No zone database on the host: China has kept UTC+8 without
		// daylight saving since 1991.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// The calendar answers for dates in these years only; anything outside is
// a typing error rather than a deadline.
const (
	MinYear = 1949
	MaxYear = 2200
)

// Date is a civil date (year, month, day) without a time or a zone. It is
// the calendar's unit: holidays, working days and deadlines are dates.
// An instant (time.Time) becomes a Date through DateOf, which takes its
// date in Asia/Shanghai; Date.Time goes back to midnight in Shanghai.
// Dates compare with ==, Before and After; the zero Date is 1970-01-01.
type Date struct {
	n int32 // days since 1970-01-01
}

// NewDate returns the date y-m-d, or an error when no such date exists.
func NewDate(y int, m time.Month, d int) (Date, error) {
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return Date{}, fmt.Errorf("日期 %04d-%02d-%02d 无效", y, int(m), d)
	}
	return dateOf(y, m, d), nil
}

// MustDate is NewDate for dates known to be valid (tests, constants).
func MustDate(y int, m time.Month, d int) Date {
	dt, err := NewDate(y, m, d)
	if err != nil {
		panic(err)
	}
	return dt
}

func dateOf(y int, m time.Month, d int) Date {
	return Date{n: int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)}
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// DateOf is the date of instant t in Asia/Shanghai.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Shanghai).Date()
	return dateOf(y, m, d)
}

// ParseDate reads a date written YYYY-MM-DD (2026-10-01). The error is a
// sentence for the person who typed it.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("日期 %s 格式有误，应为 YYYY-MM-DD（如 2026-10-01）", quoteShort(s))
	}
	num := func(part string) (int, bool) {
		v := 0
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 {
		return Date{}, fmt.Errorf("日期 %s 格式有误，应为 YYYY-MM-DD（如 2026-10-01）", quoteShort(s))
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return Date{}, fmt.Errorf("日期 %s 无效", s)
	}
	return dateOf(y, time.Month(m), d), nil
}

// quoteShort keeps echoed input short, so a pasted essay does not come
// back in the error.
func quoteShort(s string) string {
	r := []rune(s)
	if len(r) > 20 {
		return "“" + string(r[:20]) + "…”"
	}
	return "“" + s + "”"
}

func (d Date) utc() time.Time { return time.Unix(int64(d.n)*86400, 0).UTC() }

// Year, Month and Day are the parts of the date.
func (d Date) Year() int         { return d.utc().Year() }
func (d Date) Month() time.Month { return d.utc().Month() }
func (d Date) Day() int          { return d.utc().Day() }

// Weekday of the date (1970-01-01 was a Thursday).
func (d Date) Weekday() time.Weekday {
	return time.Weekday(((int(d.n)+4)%7 + 7) % 7)
}

// IsWeekend reports Saturday or Sunday.
func (d Date) IsWeekend() bool {
	w := d.Weekday()
	return w == time.Saturday || w == time.Sunday
}

// AddDays is the date n calendar days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return Date{n: d.n + int32(n)} }

// DaysSince is the number of calendar days from e to d.
func (d Date) DaysSince(e Date) int { return int(d.n - e.n) }

func (d Date) Before(e Date) bool { return d.n < e.n }
func (d Date) After(e Date) bool  { return d.n > e.n }

// Time is midnight at the start of the date in Asia/Shanghai.
func (d Date) Time() time.Time {
	y, m, day := d.utc().Date()
	return time.Date(y, m, day, 0, 0, 0, 0, Shanghai)
}

// String writes the date as YYYY-MM-DD.
func (d Date) String() string { return d.utc().Format("2006-01-02") }

// MarshalText and UnmarshalText make a Date travel as "YYYY-MM-DD".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// weekdayNames are the Chinese names, Sunday first like time.Weekday.
var weekdayNames = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// WeekdayName is the Chinese name of the date's weekday (星期六).
func (d Date) WeekdayName() string { return weekdayNames[d.Weekday()] }

func inRange(d Date) bool        { y := d.Year(); return y >= MinYear && y <= MaxYear }
func (d Date) Equal(e Date) bool { return d.n == e.n }
