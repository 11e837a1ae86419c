// Package db is the thin seam over database/sql that lets every store run
// the same SQL on SQLite (modernc.org/sqlite, no cgo) and PostgreSQL
// (pgx/v5/stdlib). Queries are written once with `?` placeholders in the
// common SQL subset; Rebind turns them into `$n` for PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names the database behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Querier is what a store needs to read and write: both *DB and *Tx have it,
// so the same store function works inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// DB holds the connection pools. On SQLite there is one writer connection
// (WAL allows one writer; queuing in Go beats SQLITE_BUSY) and a pool of
// read-only connections; on PostgreSQL both are the same pool.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	binds   sync.Map // query → rebound query (PostgreSQL)
}

// IsPostgresDSN tells whether dsn names a PostgreSQL server.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to PostgreSQL when dsn is a postgres:// URL, and otherwise
// opens (creating if needed) the SQLite file at sqlitePath.
func Open(ctx context.Context, dsn, sqlitePath string) (*DB, error) {
	if IsPostgresDSN(dsn) {
		return openPostgres(ctx, dsn)
	}
	if dsn != "" {
		return nil, fmt.Errorf("数据库连接串应以 postgres:// 开头（SQLite 无需连接串，使用 --data 目录）")
	}
	return openSQLite(ctx, sqlitePath)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", RedactDSN(dsn), err)
	}
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(20)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.PingContext(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect postgres %s: %w", RedactDSN(dsn), err)
	}
	return &DB{dialect: Postgres, write: pool, read: pool}, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("no SQLite path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	u := "file:" + (&url.URL{Path: path}).EscapedPath()
	write, err := sql.Open("sqlite", u+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	return &DB{dialect: SQLite, write: write, read: read}, nil
}

// Close closes every pool.
func (d *DB) Close() error {
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

func (d *DB) Dialect() Dialect { return d.dialect }

// Ping checks that the database answers (for /readyz).
func (d *DB) Ping(ctx context.Context) error {
	if err := d.write.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return d.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Rebind turns `?` placeholders into `$1, $2, …` for PostgreSQL. Queries
// must not contain a literal question mark.
func (d *DB) Rebind(q string) string {
	if d.dialect != Postgres {
		return q
	}
	if v, ok := d.binds.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(q[i])
	}
	out := b.String()
	d.binds.Store(q, out)
	return out
}

func (d *DB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r, err := d.write.ExecContext(ctx, d.Rebind(q), args...)
	return r, MapError(err)
}

func (d *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r, err := d.read.QueryContext(ctx, d.Rebind(q), args...)
	return r, MapError(err)
}

func (d *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return d.read.QueryRowContext(ctx, d.Rebind(q), args...)
}

// Tx is a transaction with the same query methods as DB.
type Tx struct {
	tx     *sql.Tx
	d      *DB
	vals   map[any]any
	before []func() error
}

// BeforeCommit runs fn after the transaction's work and just before it
// commits (an error rolls the transaction back): for state a package
// writes once per transaction, such as the audit chain's head.
func (t *Tx) BeforeCommit(fn func() error) { t.before = append(t.before, fn) }

// Value returns what Set stored under key in this transaction (nil when
// nothing): per-transaction state of a package, such as the audit chain a
// transaction appends to.
func (t *Tx) Value(key any) any { return t.vals[key] }

// Set stores v under key for the life of the transaction.
func (t *Tx) Set(key, v any) {
	if t.vals == nil {
		t.vals = map[any]any{}
	}
	t.vals[key] = v
}

func (t *Tx) Dialect() Dialect { return t.d.dialect }

func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r, err := t.tx.ExecContext(ctx, t.d.Rebind(q), args...)
	return r, MapError(err)
}

func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r, err := t.tx.QueryContext(ctx, t.d.Rebind(q), args...)
	return r, MapError(err)
}

func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.Rebind(q), args...)
}

// InTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise (and on panic). On SQLite the transaction starts IMMEDIATE,
// so it holds the write lock from the start and never fails half-way with
// SQLITE_BUSY on upgrade.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	sqlTx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return MapError(err)
	}
	tx := &Tx{tx: sqlTx, d: d}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	for _, b := range tx.before {
		if err = b(); err != nil {
			return err
		}
	}
	return MapError(sqlTx.Commit())
}

// RedactDSN hides the password of a connection string, for logs and errors.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
