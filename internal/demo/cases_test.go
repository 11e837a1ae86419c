package demo_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yiwang/internal/app"
	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/clock"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/demo"
)

// demoNow is the present of the demo installations under test: a
// Wednesday afternoon in Beijing, well inside the shipped 2026 calendar.
// holidayNow is a morning in the 国庆 holidays, when the last working day
// lies days back.
var (
	demoNow    = time.Date(2026, 11, 25, 15, 20, 0, 0, calendar.Shanghai)
	holidayNow = time.Date(2026, 10, 3, 9, 45, 0, 0, calendar.Shanghai)
)

// syncLog is a log buffer the background generation may write to while
// the test reads it.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newDemo builds a fresh installation on dsn and loads the demo into it.
func newDemo(t *testing.T, dsn string, now time.Time, mode app.DemoCases) (*app.App, *syncLog) {
	t.Helper()
	ctx := context.Background()
	logs := &syncLog{}
	a, err := app.New(ctx, app.Config{DSN: dsn, DataDir: t.TempDir(), DataKey: bytes.Repeat([]byte{9}, 32),
		Log: slog.New(slog.NewTextHandler(logs, nil)), Version: "test", Clock: clock.Fixed(now), DemoCases: mode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, loaded, err := a.LoadDemo(ctx); err != nil || !loaded {
		t.Fatalf("demo: loaded=%v err=%v", loaded, err)
	}
	return a, logs
}

func count(t *testing.T, a *app.App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// checkDemoCases asserts what a demo installation must hold and returns
// a summary of its cases (item, channel, applicant, status, result) that
// another installation made from the same seed at the same moment must
// repeat.
func checkDemoCases(t *testing.T, a *app.App) string {
	t.Helper()
	ctx := context.Background()
	now := a.Clock.Now()
	total := count(t, a, `SELECT count(*) FROM cases`)
	if total < 350 || total > 450 {
		t.Fatalf("%d demo cases, want a few hundred", total)
	}
	for _, s := range []casework.Status{casework.StatusDraft, casework.StatusSubmitted, casework.StatusAccepted, casework.StatusProcessing,
		casework.StatusRefused, casework.StatusClosed, casework.StatusCollected} {
		if n := count(t, a, `SELECT count(*) FROM cases WHERE status = ?`, string(s)); n < 10 {
			t.Errorf("%d cases %s (%s), want at least 10", n, s, casework.StatusNames[s])
		}
	}
	for _, r := range []string{"approved", "denied", "returned"} {
		if n := count(t, a, `SELECT count(*) FROM cases WHERE status = 'closed' AND result = ?`, r); n == 0 {
			t.Errorf("no closed case with result %s", r)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM cases WHERE workflow_id = 'joint-zjj' AND status = 'collected'`); n == 0 {
		t.Error("no joint-zjj case went the whole way")
	}
	// Both parallel branches of a joint case were worked, by two departments.
	if n := count(t, a, `SELECT count(*) FROM case_tasks WHERE step_id = 'opinion' AND status = 'done'`); n == 0 {
		t.Error("no joint opinion was given")
	}
	if n := count(t, a, `SELECT count(*) FROM cases WHERE channel = '0'`); n < total/3 {
		t.Errorf("%d of %d cases taken in at the window", n, total)
	}
	if n := count(t, a, `SELECT count(*) FROM people`); n < 20+4 {
		t.Errorf("%d people: the walk-ins were not registered", n)
	}
	if n := count(t, a, `SELECT count(*) FROM case_events WHERE action IN ('refuse', 'return', 'deny') AND (comment IS NULL OR comment = '')`); n > 0 {
		t.Errorf("%d refusals, returns or denials without a reason", n)
	}
	if n := count(t, a, `SELECT count(*) FROM outbox`); n < total {
		t.Errorf("%d outbox events for %d cases", n, total)
	}

	// Supervision sees overdue open cases, as of the installation's now.
	sup, err := a.Identity.Login(ctx, "supervisor1", demo.Password, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	page, err := a.Cases.List(ctx, sup, casework.Filter{Overdue: true, PageSize: 100})
	if err != nil || len(page.Cases) == 0 {
		t.Fatalf("overdue cases: %v %v", page, err)
	}
	for _, c := range page.Cases {
		if !c.Overdue || !c.Status.Open() {
			t.Errorf("overdue list holds %s %s (overdue %v)", c.No, c.Status, c.Overdue)
		}
	}
	// The window and the departments have work waiting.
	for _, user := range []string{"window1", "scjg1"} {
		p, err := a.Identity.Login(ctx, user, demo.Password, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if inbox, err := a.Cases.Inbox(ctx, p, casework.InboxFilter{}); err != nil || len(inbox.Tasks) == 0 {
			t.Errorf("%s's inbox: %+v %v", user, inbox, err)
		}
	}

	checkExceptions(t, a)

	// Every step happened in the past, staff steps in office hours on
	// working days, each case's steps in order. Applicants online act at
	// any hour, and so does the platform (the sweeper closing a case
	// whose supplement limit ran out at midnight).
	tab, err := a.Calendar.Table(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := a.DB.QueryContext(ctx, `SELECT e.case_id, e.at, e.action, COALESCE(ac.kind, '') FROM case_events e
		LEFT JOIN accounts ac ON ac.id = e.actor_id ORDER BY e.case_id, e.at, e.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	oldest := now.AddDate(0, 0, -80)
	for rows.Next() {
		var id, action, kind string
		var at time.Time
		if err := rows.Scan(&id, &at, &action, &kind); err != nil {
			t.Fatal(err)
		}
		if !at.Before(now) || at.Before(oldest) {
			t.Errorf("case %s: %s at %v, not in the ~40 working days before %v", id, action, at, now)
		}
		if action == "submit" || kind != "staff" {
			continue // online applications come in at any hour
		}
		l := at.In(calendar.Shanghai)
		if hm := l.Hour()*60 + l.Minute(); !tab.IsWorkday(calendar.DateOf(at)) || hm < 8*60+30 || hm >= 17*60 {
			t.Errorf("case %s: %s at %s, outside office hours", id, action, l.Format("2006-01-02 Mon 15:04"))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, a, `SELECT count(*) FROM cases c WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.at < c.submitted_at)`); n > 0 {
		t.Errorf("%d cases acted on before they were submitted", n)
	}

	rep, err := audit.Verify(ctx, a.DB)
	if err != nil || !rep.OK {
		t.Fatalf("audit trail: %+v %v", rep, err)
	}
	if rep.Checked < int64(total) {
		t.Fatalf("audit trail holds %d entries for %d cases", rep.Checked, total)
	}

	summary, err := a.DB.QueryContext(ctx, `SELECT item_code, channel, applicant_name, status, result FROM cases`)
	if err != nil {
		t.Fatal(err)
	}
	defer summary.Close()
	var lines []string
	for summary.Next() {
		var item, channel, name, status, result string
		if err := summary.Scan(&item, &channel, &name, &status, &result); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Join([]string{item, channel, name, status, result}, " "))
	}
	if err := summary.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// sqliteDemo is a demo installation on SQLite with its cases made before
// LoadDemo returned, shared by the tests that need one.
var sqliteDemo = struct {
	once    sync.Once
	summary string
	failed  bool
}{}

func sqliteSummary(t *testing.T) string {
	t.Helper()
	sqliteDemo.once.Do(func() {
		sqliteDemo.failed = true
		a, logs := newDemo(t, "", demoNow, app.DemoCasesNow)
		if !strings.Contains(logs.String(), "demo cases ready") {
			t.Errorf("no \"demo cases ready\" in the log:\n%s", logs.String())
		}
		t.Log(logLine(logs.String(), "demo cases ready"))
		sqliteDemo.summary = checkDemoCases(t, a)
		sqliteDemo.failed = t.Failed()
	})
	if sqliteDemo.failed {
		t.Fatal("the SQLite demo installation failed (see the first test that built it)")
	}
	return sqliteDemo.summary
}

func logLine(logs, msg string) string {
	for l := range strings.Lines(logs) {
		if strings.Contains(l, msg) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func TestDemoCases(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { sqliteSummary(t) })
	// On PostgreSQL, as of a day off.
	t.Run("postgres", func(t *testing.T) {
		a, logs := newDemo(t, dbtest.PostgresSchemaDSN(t), holidayNow, app.DemoCasesNow)
		t.Log(logLine(logs.String(), "demo cases ready"))
		checkDemoCases(t, a)
	})
}

// The cases are made in the background while the server serves, and they
// are the same cases: the plan comes from a fixed seed.
func TestDemoCasesInBackground(t *testing.T) {
	want := sqliteSummary(t)
	a, logs := newDemo(t, "", demoNow, app.DemoCasesInBackground)
	done := a.DemoCasesDone()
	if done == nil {
		t.Fatal("no background generation started")
	}
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("background demo cases did not finish")
	}
	if !strings.Contains(logs.String(), "demo cases ready") {
		t.Fatalf("no \"demo cases ready\" in the log:\n%s", logs.String())
	}
	if got := checkDemoCases(t, a); got != want {
		t.Fatalf("two demo installations from the same seed hold different cases:\n%s", firstDiff(got, want))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: %q vs %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d vs %d cases", len(al), len(bl))
}

// Closing the app while the cases are still being made (yiwang demo
// stopped right after it started) stops the work and waits for it: nothing
// writes to a closed database, and what was written is whole.
func TestDemoCasesStopWithTheApp(t *testing.T) {
	ctx := context.Background()
	logs := &syncLog{}
	cfg := app.Config{DataDir: t.TempDir(), DataKey: bytes.Repeat([]byte{9}, 32),
		Log: slog.New(slog.NewTextHandler(logs, nil)), Version: "test", Clock: clock.Fixed(demoNow), DemoCases: app.DemoCasesInBackground}
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	// Stop it halfway: once some cases are there.
	for deadline := time.Now().Add(time.Minute); count(t, a, `SELECT count(*) FROM cases`) < 20 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.DemoCasesDone():
	default:
		t.Fatal("Close returned before the background work ended")
	}
	if l := logs.String(); !strings.Contains(l, "demo cases interrupted") && !strings.Contains(l, "demo cases ready") || strings.Contains(l, "demo cases failed") {
		t.Fatalf("log:\n%s", l)
	}
	// The next start finds a consistent installation and leaves it be.
	b, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if rep, err := audit.Verify(ctx, b.DB); err != nil || !rep.OK {
		t.Fatalf("audit trail after an interrupted start: %+v %v", rep, err)
	}
	if n := count(t, b, `SELECT count(*) FROM cases`); n < 20 {
		t.Fatalf("%d cases made before Close", n)
	}
	if _, loaded, err := b.LoadDemo(ctx); err != nil || loaded || b.DemoCasesDone() != nil {
		t.Fatalf("second start: loaded=%v err=%v", loaded, err)
	}
}

// Without DemoCases the demo is accounts and catalogue only, as the tests
// that count their own cases expect.
func TestNoDemoCasesByDefault(t *testing.T) {
	a, _ := newDemo(t, "", demoNow, app.NoDemoCases)
	if n := count(t, a, `SELECT count(*) FROM cases`); n != 0 {
		t.Fatalf("%d cases", n)
	}
	if a.DemoCasesDone() != nil {
		t.Fatal("background work started")
	}
}

// BenchmarkLoadCases measures making the demo cases on a fresh demo
// installation (accounts and catalogue are loaded outside the timer):
// go test -run '^$' -bench LoadCases ./internal/demo
func BenchmarkLoadCases(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				dsn := ""
				if name == "postgres" {
					dsn = dbtest.PostgresSchemaDSN(b)
				}
				a, err := app.New(ctx, app.Config{DSN: dsn, DataDir: b.TempDir(), DataKey: bytes.Repeat([]byte{9}, 32),
					Log: slog.New(slog.DiscardHandler), Version: "test", Clock: clock.Fixed(demoNow)})
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := a.LoadDemo(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := demo.LoadCases(ctx, demo.CaseServices{Cases: a.Cases, Catalog: a.Catalog, Identity: a.Identity,
					Calendar: a.Calendar, Files: a.Files, Now: demoNow})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(rep.Total), "cases/op")
				a.Close()
				b.StartTimer()
			}
		})
	}
}
