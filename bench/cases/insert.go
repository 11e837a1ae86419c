package main

import (
	"context"
	"strings"

	"yiwang/internal/db"
)

// maxParams keeps one statement under SQLite's default limit of 32 766
// bound parameters (PostgreSQL allows 65 535).
const maxParams = 32000

// bulk collects rows of one table and writes them as multi-row INSERTs
// (the common SQL of both databases, through internal/db like every
// store): one statement per perStmt rows.
type bulk struct {
	table   string
	cols    []string
	perStmt int
	vals    []any
	n       int
	stmts   map[int]string // rows → statement
}

func newBulk(table string, cols ...string) *bulk {
	return &bulk{table: table, cols: cols, perStmt: min(maxParams/len(cols), 1000), stmts: map[int]string{}}
}

func (b *bulk) add(vals ...any) {
	if len(vals) != len(b.cols) {
		panic("bulk " + b.table + ": wrong number of values")
	}
	b.vals = append(b.vals, vals...)
	b.n++
}

func (b *bulk) statement(rows int) string {
	if s, ok := b.stmts[rows]; ok {
		return s
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(b.cols)), ", ") + ")"
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	s := sb.String()
	b.stmts[rows] = s
	return s
}

// flush writes every collected row in tx and empties the buffer.
func (b *bulk) flush(ctx context.Context, tx *db.Tx) error {
	w := len(b.cols)
	for start := 0; start < b.n; start += b.perStmt {
		rows := min(b.perStmt, b.n-start)
		if _, err := tx.ExecContext(ctx, b.statement(rows), b.vals[start*w:(start+rows)*w]...); err != nil {
			return err
		}
	}
	clear(b.vals)
	b.vals, b.n = b.vals[:0], 0
	return nil
}
