package casework

import (
	"testing"
	"time"

	"yiwang/internal/calendar"
)

func table2026(t *testing.T) *calendar.Table {
	t.Helper()
	years, err := calendar.ShippedYears()
	if err != nil {
		t.Fatal(err)
	}
	return calendar.NewTable(years)
}

func bj(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.Shanghai)
}

func TestDueAtOnTheOfficialCalendar(t *testing.T) {
	tab := table2026(t)
	cases := []struct {
		name   string
		from   time.Time
		amount int
		unit   string
		due    string // as dueText shows it
	}{
		{"3 working days across 国庆 (10-10 is a Saturday that works)", bj(2026, 9, 30, 10, 0), 3, "1", "2026-10-10"},
		{"accepted late on 09-30 still counts from 09-30", bj(2026, 9, 30, 23, 30), 1, "1", "2026-10-08"},
		{"即办 accepted on a holiday is due the next working day", bj(2026, 10, 3, 9, 0), 0, "1", "2026-10-08"},
		{"20 working days from 12-01", bj(2026, 12, 1, 9, 0), 20, "1", "2026-12-29"},
		{"春节: 5 working days from 02-12 (02-14 works)", bj(2026, 2, 12, 9, 0), 5, "1", "2026-02-26"},
		{"calendar days ignore holidays", bj(2026, 9, 30, 10, 0), 3, "2", "2026-10-03"},
		{"hours", bj(2026, 12, 1, 9, 30), 4, "3", "2026-12-01 13:30"},
		{"minutes", bj(2026, 12, 1, 9, 30), 90, "4", "2026-12-01 11:00"},
		{"months", bj(2026, 1, 31, 9, 0), 1, "5", "2026-02-28"},
		{"months, same day", bj(2026, 3, 15, 9, 0), 2, "5", "2026-05-15"},
	}
	for _, tc := range cases {
		at, _, err := DueAt(tab, tc.from.UTC(), tc.amount, tc.unit)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := dueText(at, tc.unit); got != tc.due {
			t.Errorf("%s: due %s, want %s", tc.name, got, tc.due)
		}
	}
	// The case is late from the first moment of the day after the due date.
	at, _, _ := DueAt(tab, bj(2026, 9, 30, 10, 0), 3, "1")
	if !at.Equal(bj(2026, 10, 11, 0, 0)) {
		t.Fatalf("due instant %s", at)
	}
	// A deadline in 2027 (no official calendar yet) is provisional.
	if _, prov, _ := DueAt(tab, bj(2026, 12, 28, 9, 0), 10, "1"); !prov {
		t.Fatal("a deadline in 2027 is not marked provisional")
	}
	if _, _, err := DueAt(tab, bj(2026, 12, 1, 9, 0), 1, "9"); err == nil {
		t.Fatal("unknown unit accepted")
	}
}

func TestDeadlineViewCountsRemainingWorkingDays(t *testing.T) {
	tab := table2026(t)
	due, _, _ := DueAt(tab, bj(2026, 9, 28, 9, 0), 5, "1") // 09-29, 09-30, 10-08, 10-09, 10-10
	d := deadlineView(tab, 5, "1", "", &due, false, true, bj(2026, 9, 30, 16, 0))
	if d.Due != "2026-10-10" || d.Remaining != 3 || d.Overdue {
		t.Fatalf("before 国庆: %+v", d)
	}
	d = deadlineView(tab, 5, "1", "", &due, false, true, bj(2026, 10, 10, 17, 0))
	if d.Remaining != 0 || d.Overdue {
		t.Fatalf("on the due day: %+v", d)
	}
	d = deadlineView(tab, 5, "1", "", &due, false, true, bj(2026, 10, 12, 9, 0))
	if !d.Overdue || d.Remaining != -1 {
		t.Fatalf("after: %+v", d)
	}
	if d := deadlineView(tab, 5, "1", "", &due, false, false, bj(2026, 10, 12, 9, 0)); d.Overdue || !d.Stopped {
		t.Fatalf("a closed case is not overdue: %+v", d)
	}
}
