package calendar_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/identity"
)

var (
	admin   = &identity.Principal{AccountID: "a1", DisplayName: "赵敏", Kind: identity.KindStaff, Roles: []identity.Role{identity.RoleAdmin}}
	citizen = &identity.Principal{AccountID: "c1", DisplayName: "王秀英", Kind: identity.KindPerson}
)

func yes() *bool { v := true; return &v }
func no() *bool  { v := false; return &v }

func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.Fixed(time.Date(2026, 9, 30, 9, 0, 0, 0, calendar.Shanghai))
		s := calendar.NewService(d, clk)

		// Before anything is loaded, 2026 is provisional.
		got, prov, err := s.AddWorkingDays(ctx, clk.Now(), 3)
		if err != nil || got.String() != "2026-10-05" || !prov {
			t.Fatalf("empty: %s %v %v", got, prov, err)
		}
		// The shipped year loads once, with an audit record.
		loaded, err := s.LoadShipped(ctx)
		if err != nil || len(loaded) != 1 || loaded[0] != 2026 {
			t.Fatalf("load: %v %v", loaded, err)
		}
		if again, err := s.LoadShipped(ctx); err != nil || len(again) != 0 {
			t.Fatalf("second load: %v %v", again, err)
		}
		got, prov, err = s.AddWorkingDays(ctx, clk.Now(), 3)
		if err != nil || got.String() != "2026-10-10" || prov {
			t.Fatalf("loaded: %s %v %v", got, prov, err)
		}
		y, err := s.Year(ctx, 2026)
		if err != nil || !y.Official || len(y.Days) != 39 || !strings.Contains(y.Source, "国务院办公厅") || y.UpdatedAt.IsZero() {
			t.Fatalf("2026: %+v %v", y, err)
		}

		// An administrator enters 2027 through the API shape.
		y27, err := s.SaveYear(ctx, admin, 2027, calendar.YearInput{Source: "国办发明电〔2026〕1号", Days: []calendar.DayInput{
			{Date: "2027-01-01", Workday: no(), Name: "元旦"},
			{Date: "2027-01-02", Workday: no(), Name: "元旦"},
			{Date: "2027-01-03", Workday: no(), Name: "元旦"},
		}})
		if err != nil || !y27.Official || len(y27.Days) != 3 || y27.UpdatedBy != "赵敏" {
			t.Fatalf("save 2027: %+v %v", y27, err)
		}
		got, prov, _ = s.AddWorkingDays(ctx, calendar.MustDate(2026, 12, 31).Time(), 1)
		if got.String() != "2027-01-04" || prov {
			t.Fatalf("into 2027: %s %v", got, prov)
		}

		// Replacing 2026 replaces only 2026.
		if _, err := s.SaveYearText(ctx, admin, 2026, "更正后的通知", "2026-10-01 休 国庆节\n2026-10-10 班 国庆节调休上班\n"); err != nil {
			t.Fatal(err)
		}
		y, _ = s.Year(ctx, 2026)
		if len(y.Days) != 2 || y.Source != "更正后的通知" {
			t.Fatalf("replaced 2026: %+v", y)
		}
		if y27, _ = s.Year(ctx, 2027); len(y27.Days) != 3 {
			t.Fatalf("2027 touched: %+v", y27)
		}
		// A year present is never overwritten by the shipped data.
		if again, _ := s.LoadShipped(ctx); len(again) != 0 {
			t.Fatal("shipped data overwrote an edited year")
		}

		// Another process sees the change once its cache expires.
		other := calendar.NewService(d, clk)
		if y, _ := other.Year(ctx, 2026); len(y.Days) != 2 {
			t.Fatalf("other process: %+v", y)
		}
		if _, err := s.SaveYearText(ctx, admin, 2026, "再次更正", "2026-10-01 休 国庆节\n"); err != nil {
			t.Fatal(err)
		}
		if y, _ := other.Year(ctx, 2026); len(y.Days) != 2 {
			t.Fatalf("other process reloaded before its cache expired: %+v", y)
		}
		other.ExpireCache()
		if y, _ := other.Year(ctx, 2026); len(y.Days) != 1 || y.Source != "再次更正" {
			t.Fatalf("other process after expiry: %+v", y)
		}

		// Bad input: every problem named, nothing written.
		_, err = s.SaveYear(ctx, admin, 2027, calendar.YearInput{Source: "", Days: []calendar.DayInput{
			{Date: "2027-02-30", Workday: no(), Name: "春节"},
			{Date: "2026-10-01", Workday: no(), Name: "国庆节"},
			{Date: "2027-01-01", Name: "元旦"},
			{Date: "2027-05-01", Workday: no(), Name: ""},
			{Date: "2027-05-01", Workday: no(), Name: "劳动节"},
		}})
		f := fields(t, err)
		for k, want := range map[string]string{
			"source": "请填写依据", "days[0].date": "日期 2027-02-30 无效", "days[1].date": "不在2027年内",
			"days[2].workday": "workday", "days[3].name": "请填写名称", "days[4].date": "重复（days[3]已填写）",
		} {
			if !strings.Contains(f[k], want) {
				t.Errorf("%s: %q, want %q (all: %v)", k, f[k], want, f)
			}
		}
		if _, err := s.SaveYear(ctx, admin, 2027, calendar.YearInput{Source: "x"}); !strings.Contains(fields(t, err)["days"], "至少") {
			t.Errorf("empty days: %v", err)
		}
		_, err = s.SaveYearText(ctx, admin, 2027, "通知", "2027-01-01 休 元旦\n\n2027-02-30 休 春节\n2027-01-01 休 元旦\n2027-01-05 放假\n2027-01-06\n2027-01-07 班")
		probs := calendar.LineProblems(err)
		want := []string{"第3行：日期 2027-02-30 无效", "第4行：日期 2027-01-01 重复（第1行已填写）", "第5行：类型“放假”应为“休”或“班”", "第6行：格式应为", "第7行：请填写名称"}
		if len(probs) != len(want) {
			t.Fatalf("line problems: %q", probs)
		}
		for i := range want {
			if !strings.HasPrefix(probs[i], want[i]) {
				t.Errorf("problem %d: %q, want %q", i, probs[i], want[i])
			}
		}
		if probs := calendar.LineProblems(func() error {
			_, err := s.SaveYearText(ctx, admin, 2027, "通知", "\n# 只有注释\n")
			return err
		}()); len(probs) != 1 || !strings.Contains(probs[0], "至少填写一行") {
			t.Errorf("empty text: %q", probs)
		}
		if y27, _ = s.Year(ctx, 2027); len(y27.Days) != 3 || y27.Source != "国办发明电〔2026〕1号" {
			t.Fatalf("a rejected save changed 2027: %+v", y27)
		}
		for _, bad := range []int{1948, 2201} {
			if _, err := s.SaveYear(ctx, admin, bad, calendar.YearInput{}); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("year %d: %v", bad, err)
			}
			if _, err := s.Year(ctx, bad); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("read year %d: %v", bad, err)
			}
		}

		// Only administrators maintain the calendar.
		if _, err := s.SaveYearText(ctx, citizen, 2027, "x", "2027-01-01 休 元旦"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("citizen saved: %v", err)
		}
		if _, err := s.SaveYear(ctx, nil, 2027, calendar.YearInput{}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("nobody saved: %v", err)
		}

		// Every change is in the audit trail, with what changed.
		recs, err := audit.List(ctx, d, audit.Filter{ObjectType: "calendar_year", ObjectID: "2026"})
		if err != nil || len(recs) != 3 {
			t.Fatalf("audit: %d %v", len(recs), err)
		}
		if recs[2].Action != "calendar.year.load" || recs[0].Action != "calendar.year.save" ||
			!strings.Contains(recs[0].Detail, "2026-10-10 班 国庆节调休上班") || recs[0].BeforeRef != "更正后的通知" {
			t.Fatalf("audit records: %+v", recs)
		}
		if rep, err := audit.Verify(ctx, d); err != nil || !rep.OK {
			t.Fatalf("audit chain: %+v %v", rep, err)
		}
	})
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	e, ok := err.(*apperr.Error)
	if !ok || e.Code != apperr.Invalid {
		t.Fatalf("want invalid, got %v", err)
	}
	return e.Fields
}
