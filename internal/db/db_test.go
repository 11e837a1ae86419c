package db_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
)

func versions(t *testing.T, d db.Dialect) []string {
	t.Helper()
	fsys, err := db.MigrationFS(d)
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		v, _, ok := strings.Cut(n, "_")
		if !ok {
			t.Fatalf("%s/%s: migration name must be VERSION_name.sql", d, n)
		}
		out = append(out, v)
	}
	return out
}

func TestBothDialectsCarryTheSameMigrationVersions(t *testing.T) {
	lite, pg := versions(t, db.SQLite), versions(t, db.Postgres)
	if len(lite) == 0 {
		t.Fatal("no migrations embedded")
	}
	if !slices.Equal(lite, pg) {
		t.Fatalf("migration versions differ:\nsqlite:   %v\npostgres: %v", lite, pg)
	}
}

func TestRebind(t *testing.T) {
	d := dbtest.SQLite(t)
	if got := d.Rebind("SELECT ? , ?"); got != "SELECT ? , ?" {
		t.Fatalf("sqlite rebind changed the query: %q", got)
	}
}

func TestRedactDSN(t *testing.T) {
	got := db.RedactDSN("postgres://app:s3cret@db:5432/yiwang?sslmode=disable")
	if strings.Contains(got, "s3cret") {
		t.Fatalf("password leaked: %s", got)
	}
	got = db.RedactDSN("postgres://db/yiwang?password=s3cret")
	if strings.Contains(got, "s3cret") {
		t.Fatalf("password leaked: %s", got)
	}
}

func TestOpenRejectsForeignDSN(t *testing.T) {
	_, err := db.Open(context.Background(), "mysql://x", t.TempDir()+"/x.db")
	if err == nil {
		t.Fatal("a mysql DSN was accepted")
	}
}

// TestStore runs on both databases: transactions commit or roll back whole,
// constraint errors map to the same apperr kinds, time round-trips.
func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cur, latest, err := d.MigrationVersion(ctx)
		if err != nil || cur != latest || cur == 0 {
			t.Fatalf("version cur=%d latest=%d err=%v", cur, latest, err)
		}
		// Migrating again is a no-op.
		if n, err := d.Migrate(ctx); err != nil || n != 0 {
			t.Fatalf("second migrate ran %d, err %v", n, err)
		}
		now := time.Date(2026, 9, 30, 8, 30, 0, 123456000, time.UTC)
		insert := func(q db.Querier, code, name string) error {
			_, err := q.ExecContext(ctx, `INSERT INTO regions (code, name, full_name, level, parent_code) VALUES (?, ?, ?, 1, NULL)`, code, name, name)
			return err
		}
		if err := insert(d, "330000000000", "浙江省"); err != nil {
			t.Fatal(err)
		}
		// Duplicate primary key is a Conflict on both databases.
		if err := insert(d, "330000000000", "浙江省"); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("duplicate: want conflict, got %v", err)
		}
		// A failing transaction leaves nothing behind.
		boom := errors.New("boom")
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if err := insert(tx, "320000000000", "江苏省"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v", err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM regions WHERE code = ?`, "320000000000").Scan(&n); err != nil || n != 0 {
			t.Fatalf("rolled-back row visible: n=%d err=%v", n, err)
		}
		// Foreign key violation is Invalid on both.
		_, err = d.ExecContext(ctx, `INSERT INTO departments (id, code, name, short_name, credit_code, region_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			"d1", "x", "某局", "某局", "113301227045123456", "110000000000", now)
		if !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("fk: want invalid, got %v", err)
		}
		// Time round-trips at microsecond precision and compares correctly.
		if _, err := d.ExecContext(ctx, `INSERT INTO departments (id, code, name, short_name, credit_code, region_code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			"d2", "x", "某局", "某局", "113301227045123456", "330000000000", now); err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := d.QueryRowContext(ctx, `SELECT created_at FROM departments WHERE id = ? AND created_at > ?`, "d2", now.Add(-time.Millisecond)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(now) {
			t.Fatalf("time round trip: %v != %v", got, now)
		}
		if err := d.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// Statements run first inside a transaction and then outside it, many
// times and from many goroutines: the SQLite statement cache must neither
// wait for the writer connection the transaction holds nor change results.
func TestStatementsInAndOutOfTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := d.ExecContext(ctx, `CREATE TABLE stmt_probe (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					id := g*100 + i
					err := d.InTx(ctx, func(tx *db.Tx) error {
						if _, err := tx.ExecContext(ctx, `INSERT INTO stmt_probe (id, v) VALUES (?, ?)`, id, "值"); err != nil {
							return err
						}
						var v string
						return tx.QueryRowContext(ctx, `SELECT v FROM stmt_probe WHERE id = ?`, id).Scan(&v)
					})
					if err != nil {
						errs <- err
						return
					}
					var v string
					if err := d.QueryRowContext(ctx, `SELECT v FROM stmt_probe WHERE id = ?`, id).Scan(&v); err != nil || v != "值" {
						errs <- fmt.Errorf("read back %d: %q %v", id, v, err)
						return
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM stmt_probe`).Scan(&n); err != nil || n != 200 {
			t.Fatalf("%d rows, %v", n, err)
		}
		// A statement that fails to prepare reports its error as usual.
		if _, err := d.ExecContext(ctx, `INSERT INTO no_such_table VALUES (1)`); err == nil {
			t.Fatal("bad statement succeeded")
		}
	})
}

// Writes queued with ExecLater take effect in order, before the
// transaction's next statement reads, and a failing one (a check, a
// constraint) fails the whole transaction with its own error, leaving
// nothing written — on both databases.
func TestExecLater(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE later_probe (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0)`); err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := d.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		one := func(n int64) error {
			if n != 1 {
				return fmt.Errorf("%d rows, want 1", n)
			}
			return nil
		}
		// In order, seen by the next read of the same transaction.
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := 1; i <= 3; i++ {
				if err := db.ExecLater(ctx, tx, nil, `INSERT INTO later_probe (id, v) VALUES (?, ?)`, i, fmt.Sprint("v", i)); err != nil {
					return err
				}
			}
			if err := db.ExecLater(ctx, tx, one, `UPDATE later_probe SET n = n + 10 WHERE id = ?`, 2); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT n FROM later_probe WHERE id = 2`).Scan(&n); err != nil {
				return err
			}
			if n != 10 {
				return fmt.Errorf("read after the queued update: n = %d, want 10", n)
			}
			// Queued last, sent by the commit.
			return db.ExecLater(ctx, tx, one, `UPDATE later_probe SET v = ? WHERE id = ?`, "last", 3)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := count(`SELECT count(*) FROM later_probe WHERE v = 'last' AND id = 3`); got != 1 {
			t.Fatalf("the write queued last did not commit")
		}

		// A check that fails: its error, nothing of the transaction kept,
		// even though a read ran between the failing write and the end.
		errLost := errors.New("someone changed it first")
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if err := db.ExecLater(ctx, tx, nil, `INSERT INTO later_probe (id, v) VALUES (?, ?)`, 4, "v4"); err != nil {
				return err
			}
			if err := db.ExecLater(ctx, tx, func(n int64) error {
				if n != 1 {
					return errLost
				}
				return nil
			}, `UPDATE later_probe SET v = 'x' WHERE id = ?`, 99); err != nil {
				return err
			}
			var n int
			_ = tx.QueryRowContext(ctx, `SELECT count(*) FROM later_probe`).Scan(&n)
			return db.ExecLater(ctx, tx, nil, `INSERT INTO later_probe (id, v) VALUES (?, ?)`, 5, "v5")
		})
		if !errors.Is(err, errLost) {
			t.Fatalf("failed check: err = %v, want %v", err, errLost)
		}
		if got := count(`SELECT count(*) FROM later_probe WHERE id IN (4, 5)`); got != 0 {
			t.Fatalf("%d rows of the failed transaction kept", got)
		}

		// A constraint broken by a queued write: a conflict, nothing kept.
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if err := db.ExecLater(ctx, tx, nil, `INSERT INTO later_probe (id, v) VALUES (?, ?)`, 6, "v6"); err != nil {
				return err
			}
			return db.ExecLater(ctx, tx, nil, `INSERT INTO later_probe (id, v) VALUES (?, ?)`, 1, "duplicate")
		})
		if !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("duplicate key through ExecLater: err = %v, want a conflict", err)
		}
		if got := count(`SELECT count(*) FROM later_probe WHERE id = 6`); got != 0 {
			t.Fatalf("row of the failed transaction kept")
		}

		// Outside a transaction it runs at once, check included.
		if err := db.ExecLater(ctx, d, one, `UPDATE later_probe SET n = 0 WHERE id = ?`, 42); err == nil {
			t.Fatal("check of a direct write not applied")
		}
	})
}

// A read queued with QueryLater sees the writes queued before it, gets its
// rows by the next flush (an explicit Flush here), and a failing scan fails
// the transaction with its error — on both databases.
func TestQueryLater(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE qlater_probe (id INTEGER PRIMARY KEY, v TEXT NOT NULL, at TIMESTAMP)`); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 2, 1, 2, 3, 456000, time.UTC)
		var got []string
		var gotAt time.Time
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i, v := range []string{"受理", "审查", "决定"} {
				if err := db.ExecLater(ctx, tx, nil, `INSERT INTO qlater_probe (id, v, at) VALUES (?, ?, ?)`, i+1, v, at); err != nil {
					return err
				}
			}
			if err := db.QueryLater(ctx, tx, func(r db.Rows) error {
				for r.Next() {
					var v string
					if err := r.Scan(&v, &gotAt); err != nil {
						return err
					}
					got = append(got, v)
				}
				return nil
			}, `SELECT v, at FROM qlater_probe ORDER BY id`); err != nil {
				return err
			}
			if err := tx.Flush(ctx); err != nil {
				return err
			}
			if len(got) != 3 {
				return fmt.Errorf("after Flush the read has %d rows: %v", len(got), got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != "受理,审查,决定" || !gotAt.Equal(at) {
			t.Fatalf("read %v at %v", got, gotAt)
		}
		errScan := errors.New("cannot read the timeline")
		err = d.InTx(ctx, func(tx *db.Tx) error {
			if err := db.ExecLater(ctx, tx, nil, `INSERT INTO qlater_probe (id, v) VALUES (?, ?)`, 9, "作废"); err != nil {
				return err
			}
			return db.QueryLater(ctx, tx, func(db.Rows) error { return errScan }, `SELECT v FROM qlater_probe`)
		})
		if !errors.Is(err, errScan) {
			t.Fatalf("failing scan: %v", err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM qlater_probe WHERE id = 9`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("write of the failed transaction kept: %d, %v", n, err)
		}
	})
}
