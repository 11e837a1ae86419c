// Package dbtest opens real databases for store and HTTP tests: always a
// fresh SQLite file, and a fresh PostgreSQL schema when YIWANG_TEST_POSTGRES
// holds a DSN. In CI (CI=true) a missing PostgreSQL is a failure, not a skip.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"yiwang/internal/db"
)

// EnvPostgres names the variable that holds the test PostgreSQL DSN.
const EnvPostgres = "YIWANG_TEST_POSTGRES"

// Each runs fn once per available database, as subtests named "sqlite" and
// "postgres", each with a fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a migrated database in a temporary file.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), "", filepath.Join(t.TempDir(), "yiwang.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return d
}

// PostgresDSN returns the test DSN, skipping (locally) or failing (in CI)
// when there is none.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL suite", EnvPostgres)
		}
		t.Skipf("%s not set; skipping PostgreSQL", EnvPostgres)
	}
	return dsn
}

// PostgresSchemaDSN creates a fresh, empty schema in the test database,
// drops it when the test ends, and returns a DSN whose search_path is that
// schema, so tests never see each other's rows.
func PostgresSchemaDSN(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	ctx := context.Background()
	admin, err := db.Open(ctx, dsn, "")
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a migrated database in a fresh schema.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, PostgresSchemaDSN(t), "")
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return d
}
