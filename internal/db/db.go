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
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // registers "pgx"; its Conn gives the batch of ExecLater
	_ "modernc.org/sqlite"           // registers "sqlite"
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
	// Prepared statements of each SQLite pool: modernc.org/sqlite parses a
	// statement anew on every call otherwise (a quarter of the server's
	// CPU under load). pgx keeps its own statement cache on PostgreSQL.
	writeStmts, readStmts *stmtCache
}

// stmtCache holds prepared statements by query text, up to maxStmts (the
// queries are the program's own, so they are few; lists with a variable
// number of placeholders beyond that simply go unprepared).
type stmtCache struct {
	pool *sql.DB
	m    sync.Map // query → *sql.Stmt
	n    atomic.Int32
}

const maxStmts = 2000

func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if st := c.cached(q); st != nil {
		return st
	}
	if c.n.Load() >= maxStmts {
		return nil
	}
	st, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		return nil // the unprepared call reports the error
	}
	if prev, loaded := c.m.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	c.n.Add(1)
	return st
}

// cached returns the statement for q only if it is already prepared.
func (c *stmtCache) cached(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if st, ok := c.m.Load(q); ok {
		return st.(*sql.Stmt)
	}
	return nil
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.m.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
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
	return &DB{dialect: SQLite, write: write, read: read, writeStmts: &stmtCache{pool: write}, readStmts: &stmtCache{pool: read}}, nil
}

// Close closes every pool.
func (d *DB) Close() error {
	d.writeStmts.close()
	d.readStmts.close()
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

func (d *DB) Dialect() Dialect { return d.dialect }

// quiet drops cancellation on SQLite. With a cancellable context,
// database/sql (for every Rows and Tx) and modernc.org/sqlite (for every
// statement) each start a goroutine that waits on the context; under load
// over a thousand of them were runnable at once and starved the goroutines
// serving requests (multi-second tails). SQLite statements here take
// microseconds to milliseconds, so they are left to finish.
func (d *DB) quiet(ctx context.Context) context.Context {
	if d.dialect == SQLite {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// Ping checks that the database answers (for /readyz).
func (d *DB) Ping(ctx context.Context) error {
	if err := d.write.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return d.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Placeholders is the `?, ?, …` of an IN list of n values.
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
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
	ctx = d.quiet(ctx)
	if st := d.writeStmts.get(ctx, q); st != nil {
		r, err := st.ExecContext(ctx, args...)
		return r, MapError(err)
	}
	r, err := d.write.ExecContext(ctx, d.Rebind(q), args...)
	return r, MapError(err)
}

func (d *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = d.quiet(ctx)
	if st := d.readStmts.get(ctx, q); st != nil {
		r, err := st.QueryContext(ctx, args...)
		return r, MapError(err)
	}
	r, err := d.read.QueryContext(ctx, d.Rebind(q), args...)
	return r, MapError(err)
}

func (d *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = d.quiet(ctx)
	if st := d.readStmts.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.read.QueryRowContext(ctx, d.Rebind(q), args...)
}

// Tx is a transaction with the same query methods as DB.
type Tx struct {
	tx *sql.Tx
	// conn is the connection the transaction runs on (PostgreSQL), for
	// sending what ExecLater and QueryLater queue in one batch.
	conn  *sql.Conn
	d     *DB
	later []laterStmt
	// laterErr is why queued statements failed: the transaction then
	// fails with it, whatever the statements after it answered.
	laterErr error
	vals     map[any]any
	before   []func() error
	after    []func()
	// unprepared are the queries that ran without a cached statement: they
	// are prepared once the transaction has ended, because preparing needs
	// the writer connection the transaction holds (SQLite has one).
	unprepared []string
}

// BeforeCommit runs fn after the transaction's work and just before it
// commits (an error rolls the transaction back): for state a package
// writes once per transaction, such as the audit chain's head.
func (t *Tx) BeforeCommit(fn func() error) { t.before = append(t.before, fn) }

// AfterCommit runs fn once the transaction has committed (not when it
// rolls back): for caches of what it wrote, so that nobody reads the old
// rows into a cache again between the reset and the commit.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

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

// stmt is the cached statement for q bound to this transaction (on
// SQLite; nil on PostgreSQL).
func (t *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if t.d.writeStmts == nil {
		return nil
	}
	if st := t.d.writeStmts.cached(q); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	t.unprepared = append(t.unprepared, q)
	return nil
}

func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	ctx = t.d.quiet(ctx)
	if st := t.stmt(ctx, q); st != nil {
		r, err := st.ExecContext(ctx, args...)
		return r, MapError(err)
	}
	r, err := t.tx.ExecContext(ctx, t.d.Rebind(q), args...)
	return r, MapError(err)
}

func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	ctx = t.d.quiet(ctx)
	if st := t.stmt(ctx, q); st != nil {
		r, err := st.QueryContext(ctx, args...)
		return r, MapError(err)
	}
	r, err := t.tx.QueryContext(ctx, t.d.Rebind(q), args...)
	return r, MapError(err)
}

func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	// A failure of the queued writes cannot be returned through a Row;
	// it is kept and the transaction fails with it (InTx).
	_ = t.flush(ctx)
	ctx = t.d.quiet(ctx)
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.d.Rebind(q), args...)
}

// InTx runs fn in one transaction: committed when fn returns nil, rolled
// back otherwise (and on panic). On SQLite the transaction starts IMMEDIATE,
// so it holds the write lock from the start and never fails half-way with
// SQLITE_BUSY on upgrade.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx := &Tx{d: d}
	if d.dialect == Postgres {
		if tx.conn, err = d.write.Conn(ctx); err != nil {
			return MapError(err)
		}
		defer tx.conn.Close()
		tx.tx, err = tx.conn.BeginTx(ctx, nil)
	} else {
		tx.tx, err = d.write.BeginTx(d.quiet(ctx), nil)
	}
	if err != nil {
		return MapError(err)
	}
	sqlTx := tx.tx
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
		for _, q := range tx.unprepared {
			d.writeStmts.get(context.WithoutCancel(ctx), q)
		}
	}()
	// A failure of queued writes is the cause of whatever failed after it.
	failed := func(err error) error {
		if tx.laterErr != nil {
			return tx.laterErr
		}
		return err
	}
	if err = fn(tx); err != nil {
		return failed(err)
	}
	for _, b := range tx.before {
		if err = b(); err != nil {
			return failed(err)
		}
	}
	if err = tx.flush(ctx); err != nil {
		return err
	}
	if err = MapError(sqlTx.Commit()); err != nil {
		return err
	}
	for _, a := range tx.after {
		a()
	}
	return nil
}

// laterStmt is a write queued by ExecLater, or a read queued by
// QueryLater (scan set).
type laterStmt struct {
	q     string
	args  []any
	check func(rowsAffected int64) error
	scan  func(Rows) error
}

// Rows is what QueryLater hands its scan function: *sql.Rows has it, and
// so do the rows of a PostgreSQL batch.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// QueryLater runs a read whose rows are wanted with the next batch: inside
// a transaction on PostgreSQL it is queued after the writes queued before
// it (so it sees them) and goes to the server with them, in the same round
// trip, when the transaction sends its next statement, calls Flush, or
// commits; scan is called with its rows then. Outside a transaction and on
// SQLite it runs at once. An error of scan fails the transaction.
func QueryLater(ctx context.Context, q Querier, scan func(Rows) error, query string, args ...any) error {
	if queued, err := queue(q, laterStmt{q: query, args: args, scan: scan}); queued {
		return err
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := scan(rows); err != nil {
		return err
	}
	return rows.Err()
}

// Flush sends what ExecLater and QueryLater queued now (nothing on
// SQLite, where they ran at once).
func (t *Tx) Flush(ctx context.Context) error { return t.flush(ctx) }

// ExecLater runs a write whose result the caller does not need at once.
// Inside a transaction on PostgreSQL it is queued, and the queued writes go
// to the server together, in one round trip, before the transaction's next
// statement or its commit, in the order they were made: a step's five or
// six writes cost one round trip instead of one each. check, when not nil,
// is given the number of rows the write affected and may fail the
// transaction (a row somebody else changed first). Outside a transaction,
// and on SQLite (no round trips), it runs at once. An error of a queued
// write is returned by the statement that sent it, or by InTx.
func ExecLater(ctx context.Context, q Querier, check func(rowsAffected int64) error, query string, args ...any) error {
	if queued, err := queue(q, laterStmt{q: query, args: args, check: check}); queued {
		return err
	}
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil || check == nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	return check(n)
}

// queue queues st when q is a PostgreSQL transaction (queued true; err
// is why earlier queued statements failed, if they did).
func queue(q Querier, st laterStmt) (queued bool, err error) {
	t, ok := q.(*Tx)
	if !ok || t.conn == nil {
		return false, nil
	}
	if t.laterErr != nil {
		return true, t.laterErr
	}
	t.later = append(t.later, st)
	return true, nil
}

// scanBatch hands the rows of a batch's next result to scan.
func scanBatch(br pgx.BatchResults, scan func(Rows) error) error {
	rows, err := br.Query()
	if err != nil {
		return MapError(err)
	}
	defer rows.Close()
	if err := scan(rows); err != nil {
		return err
	}
	rows.Close()
	return MapError(rows.Err())
}

// flush sends the queued writes and reads in one batch and reads their
// results.
func (t *Tx) flush(ctx context.Context) error {
	if t.laterErr != nil {
		return t.laterErr
	}
	if len(t.later) == 0 || t.conn == nil {
		return nil
	}
	stmts := t.later
	t.later = nil
	err := t.conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: connection of type %T cannot send a batch", dc)
		}
		b := &pgx.Batch{}
		for _, w := range stmts {
			b.Queue(t.d.Rebind(w.q), w.args...)
		}
		br := sc.Conn().SendBatch(ctx, b)
		var werr error
		for _, w := range stmts {
			if w.scan != nil {
				if werr = scanBatch(br, w.scan); werr != nil {
					break
				}
				continue
			}
			tag, err := br.Exec()
			if err != nil {
				werr = MapError(err)
				break
			}
			if w.check != nil {
				if err := w.check(tag.RowsAffected()); err != nil {
					werr = err
					break
				}
			}
		}
		if cerr := br.Close(); werr == nil && cerr != nil {
			werr = MapError(cerr)
		}
		return werr
	})
	if err != nil {
		t.laterErr = err
	}
	return err
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
