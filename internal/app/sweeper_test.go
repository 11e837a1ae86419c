package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/clock"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/demo"
	"yiwang/internal/files/filestest"
	"yiwang/internal/identity"
)

// The running server closes a case whose supplement ran out by itself.
func TestServerSweepsRunOutSupplements(t *testing.T) {
	for _, tc := range []struct{ name, dsn string }{{"sqlite", ""}, {"postgres", "pg"}} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := tc.dsn
			if dsn != "" {
				dsn = dbtest.PostgresSchemaDSN(t)
			}
			old := sweepEvery
			sweepEvery = 20 * time.Millisecond
			t.Cleanup(func() { sweepEvery = old })
			ctx := context.Background()
			clk := clock.Fixed(time.Date(2026, 9, 29, 10, 0, 0, 0, calendar.Shanghai))
			a, err := New(ctx, Config{DSN: dsn, DataDir: t.TempDir(), DataKey: bytes.Repeat([]byte{7}, 32),
				Log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), Version: "test", Clock: clk, DeliverNotices: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			if _, _, err := a.LoadDemo(ctx); err != nil {
				t.Fatal(err)
			}
			login := func(u string) *identity.Principal {
				p, err := a.Identity.Login(ctx, u, "yiwang-demo", "127.0.0.1")
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			citizen := login("citizen1")
			snap, _ := a.Catalog.Snapshot(ctx)
			var app casework.Application
			for _, e := range snap.Entries {
				if e.Item.Name != "食品经营许可" {
					continue
				}
				app = casework.Application{Item: e.Item.Code, Situation: map[string]string{}, Submit: true}
				for _, s := range e.Item.Situations {
					app.Situation[s.ID] = s.Options[0].ID
				}
				app.Form = demo.FillForm(e.Form, app.Situation, 3, func(src string) bool { return strings.HasPrefix(src, "person.") })
				for _, m := range e.Item.MaterialsFor(app.Situation) {
					if casework.MustSubmit(m) {
						f, err := a.Files.Upload(ctx, citizen, m.ID+".pdf", bytes.NewReader(filestest.PDF()))
						if err != nil {
							t.Fatal(err)
						}
						app.Materials = append(app.Materials, casework.MaterialRef{Material: m.ID, File: f.ID})
					}
				}
			}
			c, _, err := a.Cases.Create(ctx, citizen, app)
			if err != nil {
				t.Fatal(err)
			}
			var mat string
			for _, m := range c.Materials {
				mat = m.ID
			}
			if _, err := a.Cases.Act(ctx, login("window1"), c.No, casework.ActionInput{Action: "supplement",
				Data: map[string]any{"materials": []any{map[string]any{"material": mat, "reason": "复印件不清晰"}}}}); err != nil {
				t.Fatal(err)
			}
			clk.Set(time.Date(2026, 11, 30, 10, 0, 0, 0, calendar.Shanghai))
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, err := a.Cases.Get(ctx, citizen, c.No)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status == casework.StatusClosed && got.ResultCode == "5" {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("not swept: %s %s", got.Status, got.Result)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
