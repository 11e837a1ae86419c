package calendar_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/calendar"
)

// shipped is the table of the data that ships with the product (2026).
func shipped(t *testing.T) *calendar.Table {
	t.Helper()
	years, err := calendar.ShippedYears()
	if err != nil {
		t.Fatal(err)
	}
	return calendar.NewTable(years)
}

func d(s string) calendar.Date {
	v, err := calendar.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestShipped2026MatchesTheNotice(t *testing.T) {
	years, err := calendar.ShippedYears()
	if err != nil {
		t.Fatal(err)
	}
	if len(years) == 0 || years[0].Year != 2026 || !strings.Contains(years[0].Source, "国务院办公厅") {
		t.Fatalf("shipped years: %+v", years)
	}
	y := years[0]
	// 13 statutory days are contained in 33 days off (元旦3 春节9 清明3 劳动5 端午3 中秋3 国庆7)
	// and 6 weekends are worked.
	if y.Holidays() != 33 || y.Workdays() != 6 {
		t.Fatalf("2026: %d holidays, %d swapped working days", y.Holidays(), y.Workdays())
	}
	tab := calendar.NewTable(years)
	off := map[string]string{
		"2026-01-01": "元旦", "2026-01-03": "元旦", "2026-02-15": "春节", "2026-02-23": "春节",
		"2026-04-06": "清明节", "2026-05-05": "劳动节", "2026-06-19": "端午节", "2026-09-25": "中秋节",
		"2026-10-01": "国庆节", "2026-10-07": "国庆节",
	}
	for s, name := range off {
		if day := tab.Day(d(s)); day.Workday || day.Name != name {
			t.Errorf("%s: %+v, want 休 %s", s, day, name)
		}
	}
	for _, s := range []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"} {
		day := tab.Day(d(s))
		if !day.Workday || !day.Date.IsWeekend() || !strings.HasSuffix(day.Name, "调休上班") {
			t.Errorf("%s should be a weekend worked: %+v", s, day)
		}
	}
	// Ordinary days follow the weekday rule.
	if !tab.IsWorkday(d("2026-03-10")) || tab.IsWorkday(d("2026-03-14")) || tab.IsWorkday(d("2026-03-15")) {
		t.Error("ordinary March week")
	}
}

func TestAddWorkingDays(t *testing.T) {
	tab := shipped(t)
	cases := []struct {
		name        string
		from        string
		n           int
		want        string
		provisional bool
	}{
		{"国庆: the 10th (Saturday) is the third working day", "2026-09-30", 3, "2026-10-10", false},
		{"before 春节: the Saturday 14th works, then nine days off", "2026-02-12", 5, "2026-02-26", false},
		{"元旦: Sunday the 4th is a working day", "2026-01-01", 1, "2026-01-04", false},
		{"Friday + 1 over a normal weekend", "2026-03-06", 1, "2026-03-09", false},
		{"n=0 on a holiday is the next working day", "2026-10-03", 0, "2026-10-08", false},
		{"n=0 on a working day is that day", "2026-03-10", 0, "2026-03-10", false},
		{"n=0 on a swapped Saturday is that day", "2026-10-10", 0, "2026-10-10", false},
		{"n=0 on a normal Sunday", "2026-03-08", 0, "2026-03-09", false},
		{"acceptance on a holiday does not count", "2026-10-05", 1, "2026-10-08", false},
		{"20 working days (Art. 42) across 国庆", "2026-09-28", 20, "2026-10-30", false},
		{"劳动节 and the Saturday 9th", "2026-04-30", 2, "2026-05-07", false},
		{"crossing into 2027 is provisional", "2026-12-30", 5, "2027-01-06", true},
		{"within 2027 is provisional", "2027-03-01", 1, "2027-03-02", true},
		{"from the last day of 2025, only 2026 days are counted", "2025-12-31", 1, "2026-01-04", false},
		{"n=0 on a day of 2025 (no official table)", "2025-12-31", 0, "2025-12-31", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, prov, err := tab.AddWorkingDays(d(tc.from).Time(), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want || prov != tc.provisional {
				t.Fatalf("%s + %d = %s (provisional %v), want %s (%v)", tc.from, tc.n, got, prov, tc.want, tc.provisional)
			}
			if tc.n > 0 {
				back, _, err := tab.WorkingDaysBetween(d(tc.from).Time(), got.Time())
				if err != nil || back != tc.n {
					t.Fatalf("WorkingDaysBetween(%s, %s) = %d, %v; want %d", tc.from, got, back, err, tc.n)
				}
			}
		})
	}
}

func TestAddWorkingDaysCountsFromTheDateInShanghai(t *testing.T) {
	tab := shipped(t)
	// 2026-09-30 17:00 UTC is 1 October 01:00 in Beijing: a holiday, so the
	// count starts from the 1st.
	got, _, err := tab.AddWorkingDays(time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC), 1)
	if err != nil || got.String() != "2026-10-08" {
		t.Fatalf("got %s %v", got, err)
	}
	// 15:59 UTC is still the 30th in Beijing.
	got, _, _ = tab.AddWorkingDays(time.Date(2026, 9, 30, 15, 59, 0, 0, time.UTC), 3)
	if got.String() != "2026-10-10" {
		t.Fatalf("got %s", got)
	}
}

func TestAddWorkingDaysRefuses(t *testing.T) {
	tab := shipped(t)
	cases := []struct {
		name  string
		from  time.Time
		n     int
		field string
		msg   string
	}{
		{"negative", d("2026-03-02").Time(), -1, "days", "0到3650"},
		{"too many", d("2026-03-02").Time(), 3651, "days", "0到3650"},
		{"before 1949", d("1948-12-31").Time(), 1, "from", "1949年至2200年"},
		{"after 2200", d("2201-01-01").Time(), 1, "from", "1949年至2200年"},
		{"answer past 2200", d("2200-12-01").Time(), 3650, "days", "超出2200年"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tab.AddWorkingDays(tc.from, tc.n)
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Message(err), tc.msg) {
				t.Fatalf("got %v", err)
			}
			if f := err.(*apperr.Error).Fields; f[tc.field] == "" {
				t.Fatalf("no %s field: %v", tc.field, f)
			}
		})
	}
	// The limits themselves are accepted.
	if _, _, err := tab.AddWorkingDays(d("1949-10-01").Time(), calendar.MaxWorkingDays); err != nil {
		t.Fatal(err)
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	tab := shipped(t)
	cases := []struct {
		a, b        string
		want        int
		provisional bool
	}{
		{"2026-09-30", "2026-10-10", 3, false},
		{"2026-10-10", "2026-09-30", -3, false},
		{"2026-10-01", "2026-10-07", 0, false},
		{"2026-03-10", "2026-03-10", 0, false},
		{"2026-03-06", "2026-03-09", 1, false},
		{"2026-01-01", "2026-12-31", 248, false}, // 365 days - 104 weekend days - 19 holidays on weekdays + 6 weekends worked (1 Jan, not counted, is a holiday)
		{"2026-12-31", "2027-01-04", 2, true},
	}
	for _, tc := range cases {
		got, prov, err := tab.WorkingDaysBetween(d(tc.a).Time(), d(tc.b).Time())
		if err != nil || got != tc.want || prov != tc.provisional {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d %v %v; want %d %v", tc.a, tc.b, got, prov, err, tc.want, tc.provisional)
		}
	}
	if _, _, err := tab.WorkingDaysBetween(d("1900-01-01").Time(), d("2026-01-01").Time()); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("1900: %v", err)
	}
}

// Without any official year, every date follows Monday–Friday and every
// answer is provisional.
func TestEmptyTableIsProvisional(t *testing.T) {
	tab := calendar.NewTable(nil)
	got, prov, err := tab.AddWorkingDays(d("2026-09-30").Time(), 3)
	if err != nil || got.String() != "2026-10-05" || !prov {
		t.Fatalf("got %s %v %v", got, prov, err)
	}
	if y := tab.Year(2026); y.Official || len(y.Days) != 0 {
		t.Fatalf("year: %+v", y)
	}
}

func TestParseDate(t *testing.T) {
	good := map[string]string{"2026-10-01": "星期四", "2024-02-29": "星期四", "1949-10-01": "星期六", "2200-12-31": "星期三"}
	for s, wd := range good {
		v, err := calendar.ParseDate(s)
		if err != nil || v.String() != s || v.WeekdayName() != wd {
			t.Errorf("%s: %v %v %s", s, v, err, v.WeekdayName())
		}
		if calendar.DateOf(v.Time()) != v {
			t.Errorf("%s: DateOf(Time()) does not round-trip", s)
		}
	}
	bad := map[string]string{
		"2026-02-30": "日期 2026-02-30 无效", "2025-02-29": "无效", "2026-13-01": "无效", "2026-00-10": "无效",
		"2026-1-1": "格式有误", "20261001": "格式有误", "2026/10/01": "格式有误", "abcd-ef-gh": "格式有误", "": "格式有误",
		"２０２６-10-01": "格式有误",
	}
	for s, want := range bad {
		if _, err := calendar.ParseDate(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
	if a, b := d("2026-10-01"), d("2026-10-08"); !a.Before(b) || !b.After(a) || b.DaysSince(a) != 7 || a.AddDays(7) != b {
		t.Error("date arithmetic")
	}
}

func TestParseLines(t *testing.T) {
	text := "# 注释\n\n2026-10-01 休 国庆节\r\n2026-10-10  班  国庆节 调休上班\n2026-10-02\n2026-10-03 放 国庆节\n2026-10-04 休\n"
	days, lines, bad := calendar.ParseLines(strings.ReplaceAll(text, "\r", ""))
	if len(days) != 3 || lines[0] != 3 || lines[1] != 4 || lines[2] != 7 {
		t.Fatalf("days %+v lines %v", days, lines)
	}
	if *days[1].Workday != true || days[1].Name != "国庆节 调休上班" || days[2].Name != "" {
		t.Fatalf("day: %+v", days)
	}
	if !strings.Contains(bad[5], "格式应为") || !strings.Contains(bad[6], "“放”应为“休”或“班”") || len(bad) != 2 {
		t.Fatalf("bad: %v", bad)
	}
}

// The counting formula agrees with walking the days one by one, for spans
// within, across and outside the official years and in both directions.
func TestWorkingDaysBetweenMatchesADayByDayCount(t *testing.T) {
	years, err := calendar.ShippedYears()
	if err != nil {
		t.Fatal(err)
	}
	tab := calendar.NewTable(years)
	walk := func(a, b calendar.Date) int {
		sign := 1
		if b.Before(a) {
			a, b, sign = b, a, -1
		}
		n := 0
		for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
			if tab.IsWorkday(d) {
				n++
			}
		}
		return sign * n
	}
	r := rand.New(rand.NewPCG(1, 2))
	base := calendar.MustDate(2024, 6, 1)
	for i := 0; i < 3000; i++ {
		a := base.AddDays(r.IntN(1500))
		b := a.AddDays(r.IntN(800) - 400)
		got, _, err := tab.WorkingDaysBetween(a.Time(), b.Time())
		if err != nil {
			t.Fatal(err)
		}
		if want := walk(a, b); got != want {
			t.Fatalf("%s → %s: %d working days, walking says %d", a, b, got, want)
		}
	}
}
