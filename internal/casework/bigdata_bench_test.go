package casework_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"

	"yiwang/internal/app"
	"yiwang/internal/casework"
)

// BenchmarkInboxBig measures the inbox and the staff list on an
// installation filled by bench/cases (1 000 000 cases), in process, for
// profiles: BIGDATA=/tmp/yiwang-bench-cases-sqlite go test -run X -bench InboxBig ./internal/casework
// (skipped without BIGDATA).
func BenchmarkInboxBig(b *testing.B) {
	dir := os.Getenv("BIGDATA")
	if dir == "" {
		b.Skip()
	}
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DataDir: dir, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for _, u := range []string{"window1", "scjg1"} {
		p, err := a.Identity.Login(ctx, u, "yiwang-demo", "127.0.0.1")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(u, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := a.Cases.Inbox(ctx, p, casework.InboxFilter{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(u+"-list", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := a.Cases.List(ctx, p, casework.Filter{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
