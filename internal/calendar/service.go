package calendar

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// refreshEvery bounds how stale the cached table may be in a process that
// did not make the change itself; changes made here are seen at once.
const refreshEvery = 10 * time.Second

//go:embed data/*.txt
var shipped embed.FS

// Service is the calendar's use cases over the database. Reads come from
// an in-memory Table, reloaded when the calendar revision moves.
type Service struct {
	DB    *db.DB
	Clock clock.Clock

	mu      sync.Mutex // serialises reloads
	cur     atomic.Pointer[snapshot]
	checked atomic.Int64 // unix nanos of the last revision check
}

type snapshot struct {
	revision int64
	table    *Table
}

// NewService builds the service; the table loads on first use.
func NewService(d *db.DB, c clock.Clock) *Service {
	return &Service{DB: d, Clock: c}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

// Today is the current date in Shanghai by the service's clock.
func (s *Service) Today() Date { return DateOf(s.Clock.Now()) }

// Table returns the current working-day table. Other processes' changes
// are seen within refreshEvery.
func (s *Service) Table(ctx context.Context) (*Table, error) {
	cur := s.cur.Load()
	now := time.Now().UnixNano()
	if cur != nil && now-s.checked.Load() < int64(refreshEvery) {
		return cur.table, nil
	}
	rev, err := s.revision(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	s.checked.Store(now)
	if cur != nil && cur.revision == rev {
		return cur.table, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur = s.cur.Load(); cur != nil && cur.revision >= rev {
		return cur.table, nil
	}
	snap, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	s.cur.Store(snap)
	return snap.table, nil
}

func (s *Service) revision(ctx context.Context, q db.Querier) (int64, error) {
	var rev int64
	err := q.QueryRowContext(ctx, `SELECT revision FROM calendar_revision WHERE id = 1`).Scan(&rev)
	return rev, err
}

// load reads every official year; the revision is read first, so a change
// landing during the read makes the next check reload again.
func (s *Service) load(ctx context.Context) (*snapshot, error) {
	rev, err := s.revision(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT year, source, updated_at, updated_by FROM calendar_years ORDER BY year`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var years []Year
	idx := map[int]int{}
	for rows.Next() {
		var y Year
		if err := rows.Scan(&y.Year, &y.Source, &y.UpdatedAt, &y.UpdatedBy); err != nil {
			return nil, err
		}
		idx[y.Year] = len(years)
		years = append(years, y)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	drows, err := s.DB.QueryContext(ctx, `SELECT day, is_workday, name FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer drows.Close()
	for drows.Next() {
		var raw string
		var d Day
		if err := drows.Scan(&raw, &d.Workday, &d.Name); err != nil {
			return nil, err
		}
		if d.Date, err = ParseDate(raw); err != nil {
			return nil, fmt.Errorf("calendar_days: %q: %w", raw, err)
		}
		if i, ok := idx[d.Date.Year()]; ok {
			years[i].Days = append(years[i].Days, d)
		}
	}
	if err := drows.Err(); err != nil {
		return nil, err
	}
	return &snapshot{revision: rev, table: NewTable(years)}, nil
}

// invalidate makes the next read check the revision.
func (s *Service) invalidate() { s.checked.Store(0) }

// Year returns one year's arrangement (Official false when none has been
// entered: Monday–Friday is assumed).
func (s *Service) Year(ctx context.Context, year int) (Year, error) {
	if year < MinYear || year > MaxYear {
		return Year{}, fieldError("year", fmt.Sprintf("年份须为%d至%d之间的整数", MinYear, MaxYear))
	}
	t, err := s.Table(ctx)
	if err != nil {
		return Year{}, err
	}
	return t.Year(year), nil
}

// AddWorkingDays is Table.AddWorkingDays on the current table.
func (s *Service) AddWorkingDays(ctx context.Context, from time.Time, n int) (Date, bool, error) {
	t, err := s.Table(ctx)
	if err != nil {
		return Date{}, false, err
	}
	return t.AddWorkingDays(from, n)
}

// WorkingDaysBetween is Table.WorkingDaysBetween on the current table.
func (s *Service) WorkingDaysBetween(ctx context.Context, a, b time.Time) (int, bool, error) {
	t, err := s.Table(ctx)
	if err != nil {
		return 0, false, err
	}
	return t.WorkingDaysBetween(a, b)
}

// IsWorkday is Table.IsWorkday on the current table.
func (s *Service) IsWorkday(ctx context.Context, d Date) (bool, error) {
	t, err := s.Table(ctx)
	if err != nil {
		return false, err
	}
	return t.IsWorkday(d), nil
}

func canMaintain(actor *identity.Principal) error {
	if !actor.HasRole(identity.RoleAdmin) {
		return apperr.New(apperr.Forbidden, "只有平台管理员可以维护工作日安排")
	}
	return nil
}

// SaveYear replaces a year's arrangement (administrators only). Field
// errors are named "source", "days" and "days[i].date|workday|name".
func (s *Service) SaveYear(ctx context.Context, actor *identity.Principal, year int, in YearInput) (Year, error) {
	if err := canMaintain(actor); err != nil {
		return Year{}, err
	}
	if year < MinYear || year > MaxYear {
		return Year{}, fieldError("year", fmt.Sprintf("年份须为%d至%d之间的整数", MinYear, MaxYear))
	}
	src, days, err := validateInput(year, in)
	if err != nil {
		return Year{}, err
	}
	return s.save(ctx, actor, year, src, days)
}

// SaveYearText is SaveYear for the editor's line format ("2026-10-01 休
// 国庆节" one a line). Field errors are "source" and, for the lines,
// keys that LineProblems turns into "第3行：…" messages.
func (s *Service) SaveYearText(ctx context.Context, actor *identity.Principal, year int, source, text string) (Year, error) {
	if err := canMaintain(actor); err != nil {
		return Year{}, err
	}
	if year < MinYear || year > MaxYear {
		return Year{}, fieldError("year", fmt.Sprintf("年份须为%d至%d之间的整数", MinYear, MaxYear))
	}
	src, days, err := validateLines(year, source, text)
	if err != nil {
		return Year{}, err
	}
	return s.save(ctx, actor, year, src, days)
}

// save replaces the year in one transaction with its audit record; the
// record lists the lines added and removed.
func (s *Service) save(ctx context.Context, actor *identity.Principal, year int, source string, days []Day) (Year, error) {
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var oldSource string
		err := tx.QueryRowContext(ctx, `SELECT source FROM calendar_years WHERE year = ?`, year).Scan(&oldSource)
		existed := err == nil
		if err != nil && !db.IsNoRows(err) {
			return err
		}
		old, err := yearDays(ctx, tx, year)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_years (year, source, updated_at, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (year) DO UPDATE SET source = excluded.source, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			year, source, now, actor.DisplayName); err != nil {
			return err
		}
		if err := replaceDays(ctx, tx, year, days); err != nil {
			return err
		}
		added, removed := diffLines(old, days)
		detail := map[string]any{"source": source, "holidays": count(days, false), "workdays": count(days, true)}
		if len(added) > 0 {
			detail["added"] = added
		}
		if len(removed) > 0 {
			detail["removed"] = removed
		}
		before := ""
		if existed {
			before = oldSource
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "calendar.year.save", ObjectType: "calendar_year",
			ObjectID: strconv.Itoa(year), BeforeRef: before, AfterRef: source, Detail: detail})
	})
	if err != nil {
		return Year{}, err
	}
	s.invalidate()
	return s.Year(ctx, year)
}

func count(days []Day, work bool) int {
	n := 0
	for _, d := range days {
		if d.Workday == work {
			n++
		}
	}
	return n
}

// yearBounds are the keys of the first day of year and of the next year:
// the range scan over the primary key that selects one year.
func yearBounds(year int) (string, string) {
	return fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-01-01", year+1)
}

func yearDays(ctx context.Context, q db.Querier, year int) ([]Day, error) {
	lo, hi := yearBounds(year)
	rows, err := q.QueryContext(ctx, `SELECT day, is_workday, name FROM calendar_days WHERE day >= ? AND day < ? ORDER BY day`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Day
	for rows.Next() {
		var raw string
		var d Day
		if err := rows.Scan(&raw, &d.Workday, &d.Name); err != nil {
			return nil, err
		}
		if d.Date, err = ParseDate(raw); err != nil {
			return nil, fmt.Errorf("calendar_days: %q: %w", raw, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// replaceDays deletes the year's exceptions and writes days in one
// multi-row INSERT (at most 400 rows, 1,200 parameters: within both
// databases' limits).
func replaceDays(ctx context.Context, tx *db.Tx, year int, days []Day) error {
	lo, hi := yearBounds(year)
	if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE day >= ? AND day < ?`, lo, hi); err != nil {
		return err
	}
	if len(days) > 0 {
		var b strings.Builder
		b.WriteString(`INSERT INTO calendar_days (day, is_workday, name) VALUES `)
		args := make([]any, 0, 3*len(days))
		for i, d := range days {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, d.Date.String(), d.Workday, d.Name)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE calendar_revision SET revision = revision + 1 WHERE id = 1`)
	return err
}

// diffLines lists the lines only in after (added) and only in before
// (removed), in the line format.
func diffLines(before, after []Day) (added, removed []string) {
	was := map[string]bool{}
	for _, d := range before {
		was[d.Line()] = true
	}
	is := map[string]bool{}
	for _, d := range after {
		l := d.Line()
		is[l] = true
		if !was[l] {
			added = append(added, l)
		}
	}
	for _, d := range before {
		if l := d.Line(); !is[l] {
			removed = append(removed, l)
		}
	}
	return added, removed
}

// ShippedYears are the official arrangements that ship with the product
// (data/YYYY.txt, with the notice in a "# 依据：" line).
func ShippedYears() ([]Year, error) {
	names, err := fs.Glob(shipped, "data/*.txt")
	if err != nil {
		return nil, err
	}
	var out []Year
	for _, n := range names {
		year, err := strconv.Atoi(strings.TrimSuffix(path.Base(n), ".txt"))
		if err != nil {
			return nil, fmt.Errorf("calendar data %s: name must be YYYY.txt", n)
		}
		raw, err := shipped.ReadFile(n)
		if err != nil {
			return nil, err
		}
		text := string(raw)
		source := ""
		for _, line := range strings.Split(text, "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "# 依据："); ok {
				source = strings.TrimSpace(rest)
			}
		}
		src, days, err := validateLines(year, source, text)
		if err != nil {
			var e *apperr.Error
			if errors.As(err, &e) {
				return nil, fmt.Errorf("calendar data %s: %s %v", n, e.Message, e.Fields)
			}
			return nil, fmt.Errorf("calendar data %s: %w", n, err)
		}
		out = append(out, Year{Year: year, Official: true, Source: src, Days: days})
	}
	return out, nil
}

// LoadShipped writes each shipped year that the database does not have
// yet, each in one transaction with its audit record; a year already
// present (perhaps corrected by an administrator) is never overwritten.
// Safe to run at every start and from several processes at once.
func (s *Service) LoadShipped(ctx context.Context) (loaded []int, err error) {
	years, err := ShippedYears()
	if err != nil {
		return nil, err
	}
	for _, y := range years {
		now := s.now()
		wrote := false
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO calendar_years (year, source, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (year) DO NOTHING`,
				y.Year, y.Source, now, "")
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			if err := replaceDays(ctx, tx, y.Year, y.Days); err != nil {
				return err
			}
			wrote = true
			return audit.Append(ctx, tx, now, audit.Entry{Action: "calendar.year.load", ObjectType: "calendar_year",
				ObjectID: strconv.Itoa(y.Year), AfterRef: y.Source,
				Detail: map[string]any{"holidays": y.Holidays(), "workdays": y.Workdays(), "shipped": true}})
		})
		if err != nil {
			return loaded, fmt.Errorf("load calendar %d: %w", y.Year, err)
		}
		if wrote {
			loaded = append(loaded, y.Year)
		}
	}
	if len(loaded) > 0 {
		s.invalidate()
	}
	return loaded, nil
}
