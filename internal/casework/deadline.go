package casework

import (
	"fmt"
	"strconv"
	"time"

	"yiwang/internal/calendar"
	"yiwang/internal/catalog"
)

// A limit counts from an instant (acceptance, or the moment a step was
// reached) in the item's unit: working days on the official calendar (the
// day of acceptance does not count, 行政许可法 Art. 82), calendar days,
// hours, minutes or months. The due instant is the first moment the case is
// late: for limits in days, the start of the day after the due date in
// Beijing time.

// DueAt computes when a limit of amount units (catalog.LimitUnits) counted
// from instant from runs out: the first moment a case is late. provisional
// is true when the count passed through a year without an official
// holiday arrangement.
func DueAt(tab *calendar.Table, from time.Time, amount int, unit string) (time.Time, bool, error) {
	switch unit {
	case "1", "":
		d, prov, err := tab.AddWorkingDays(from, amount)
		if err != nil {
			return time.Time{}, false, err
		}
		return d.AddDays(1).Time().UTC(), prov, nil
	case "2":
		return calendar.DateOf(from).AddDays(amount + 1).Time().UTC(), false, nil
	case "3":
		return from.Add(time.Duration(amount) * time.Hour).UTC(), false, nil
	case "4":
		return from.Add(time.Duration(amount) * time.Minute).UTC(), false, nil
	case "5":
		// The same day of the month amount months later, or that month's
		// last day when it is shorter (31 January + 1 month = 28 February).
		d := calendar.DateOf(from)
		first := time.Date(d.Year(), d.Month()+time.Month(amount), 1, 0, 0, 0, 0, time.UTC)
		last := first.AddDate(0, 1, -1).Day()
		end, err := calendar.NewDate(first.Year(), first.Month(), min(d.Day(), last))
		if err != nil {
			return time.Time{}, false, err
		}
		return end.AddDays(1).Time().UTC(), false, nil
	}
	return time.Time{}, false, fmt.Errorf("unknown limit unit %q", unit)
}

// hourly reports whether a unit counts time of day.
func hourly(unit string) bool { return unit == "3" || unit == "4" }

// dueText is how the due instant reads on a screen: the last day, or the
// last minute for limits in hours.
func dueText(at time.Time, unit string) string {
	if hourly(unit) {
		return at.In(calendar.Shanghai).Format("2006-01-02 15:04")
	}
	return calendar.DateOf(at.Add(-time.Nanosecond)).String()
}

// limitText reads a limit the way the service guide does.
func limitText(amount int, unit string) string {
	if amount == 0 {
		return "即办"
	}
	return strconv.Itoa(amount) + "个" + catalog.LimitUnits[unit]
}

// deadlineView describes one limit of a case at instant now. open tells
// whether the case still runs against it.
func deadlineView(tab *calendar.Table, amount int, unit, note string, due *time.Time, provisional, open bool, now time.Time) *Deadline {
	if due == nil {
		return nil
	}
	d := &Deadline{Limit: limitText(amount, unit), Due: dueText(*due, unit), DueAt: *due, Provisional: provisional,
		Stopped: !open, Note: note, Hours: hourly(unit)}
	if open {
		d.Overdue = !now.Before(*due)
		lastDay := due.Add(-time.Nanosecond)
		if n, _, err := tab.WorkingDaysBetween(now, lastDay); err == nil {
			d.Remaining = n
		}
	}
	return d
}
