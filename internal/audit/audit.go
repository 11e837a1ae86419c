// Package audit keeps the tamper-evident trail of every action (全过程留痕).
// Each entry is written in the same transaction as the change it records and
// carries the SHA-256 of the previous entry, so deleting, reordering or
// editing any entry breaks the chain, which Verify detects.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"yiwang/internal/db"
)

// Meta is who acts and from where; the web layer puts it in the context of
// every request so use cases need not pass it around.
type Meta struct {
	ActorID   string
	ActorName string
	IP        string
	RequestID string
}

type metaKey struct{}

// WithMeta attaches m to ctx.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the Meta attached to ctx (zero when none: a system job).
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}

// Entry is one action to record.
type Entry struct {
	Action     string // e.g. "account.login", "person.reveal"
	ObjectType string
	ObjectID   string
	// BeforeRef and AfterRef name the state before and after the change
	// (a status, a version id); empty when not applicable.
	BeforeRef string
	AfterRef  string
	// Detail is extra structured context; it must never hold secrets or
	// unmasked personal data.
	Detail map[string]any
}

// Record is a stored entry.
type Record struct {
	Seq        int64
	ID         string
	At         time.Time
	ActorID    string
	ActorName  string
	Action     string
	ObjectType string
	ObjectID   string
	BeforeRef  string
	AfterRef   string
	Detail     string
	IP         string
	RequestID  string
	PrevHash   string
	Hash       string
}

// canonical is the exact byte string that is hashed: every field, length-
// prefixed so no two different records can encode the same.
func (r *Record) canonical() []byte {
	var b strings.Builder
	for _, f := range []string{
		strconv.FormatInt(r.Seq, 10), r.ID, r.At.UTC().Format(time.RFC3339Nano),
		r.ActorID, r.ActorName, r.Action, r.ObjectType, r.ObjectID,
		r.BeforeRef, r.AfterRef, r.Detail, r.IP, r.RequestID, r.PrevHash,
	} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte(';')
	}
	return []byte(b.String())
}

func (r *Record) computeHash() string {
	sum := sha256.Sum256(r.canonical())
	return hex.EncodeToString(sum[:])
}

// Append writes e inside tx, chained to the previous entry. It locks the
// chain head row, so concurrent appends serialise (SQLite already has one
// writer; on PostgreSQL the row lock does it).
func Append(ctx context.Context, tx *db.Tx, now time.Time, e Entry) error {
	m := MetaFrom(ctx)
	detail := ""
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("audit detail: %w", err)
		}
		detail = string(b)
	}
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE"
	}
	var seq int64
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	r := Record{
		Seq: seq + 1, ID: uuid.Must(uuid.NewV7()).String(),
		At:      now.UTC().Truncate(time.Microsecond),
		ActorID: m.ActorID, ActorName: m.ActorName,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		BeforeRef: e.BeforeRef, AfterRef: e.AfterRef, Detail: detail,
		IP: m.IP, RequestID: m.RequestID, PrevHash: prev,
	}
	r.Hash = r.computeHash()
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, id, at, actor_id, actor_name, action, object_type, object_id, before_ref, after_ref, detail, ip, request_id, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.ID, r.At, r.ActorID, r.ActorName, r.Action, r.ObjectType, r.ObjectID,
		r.BeforeRef, r.AfterRef, r.Detail, r.IP, r.RequestID, r.PrevHash, r.Hash); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, r.Seq, r.Hash); err != nil {
		return fmt.Errorf("audit head update: %w", err)
	}
	return nil
}

// Write appends one entry in its own transaction, for events that change
// nothing else (a login, a view of personal data).
func Write(ctx context.Context, d *db.DB, now time.Time, e Entry) error {
	return d.InTx(ctx, func(tx *db.Tx) error { return Append(ctx, tx, now, e) })
}

const selectCols = `seq, id, at, actor_id, actor_name, action, object_type, object_id, before_ref, after_ref, detail, ip, request_id, prev_hash, hash`

func scanRecord(rows interface{ Scan(...any) error }, r *Record) error {
	return rows.Scan(&r.Seq, &r.ID, &r.At, &r.ActorID, &r.ActorName, &r.Action, &r.ObjectType, &r.ObjectID,
		&r.BeforeRef, &r.AfterRef, &r.Detail, &r.IP, &r.RequestID, &r.PrevHash, &r.Hash)
}

// Filter selects entries for the trail pages.
type Filter struct {
	ObjectType string
	ObjectID   string
	ActorID    string
	BeforeSeq  int64 // page backwards from here (0 = newest)
	Limit      int
}

// List returns entries newest first. Every filter combination uses an index
// (object or actor, then seq).
func List(ctx context.Context, q db.Querier, f Filter) ([]Record, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where []string
	var args []any
	if f.ObjectType != "" {
		where = append(where, "object_type = ?", "object_id = ?")
		args = append(args, f.ObjectType, f.ObjectID)
	}
	if f.ActorID != "" {
		where = append(where, "actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < ?")
		args = append(args, f.BeforeSeq)
	}
	query := `SELECT ` + selectCols + ` FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY seq DESC LIMIT " + strconv.Itoa(f.Limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := scanRecord(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Report is the outcome of Verify.
type Report struct {
	Checked  int64
	OK       bool
	BrokenAt int64  // first seq that does not verify (0 when OK)
	Problem  string // what is wrong there, in Chinese
	HeadSeq  int64
}

// Verify walks the whole chain in order, recomputing every hash, checking
// every link and the sequence, and that the head points at the last entry
// (so truncating the tail is detected too).
func Verify(ctx context.Context, q db.Querier) (Report, error) {
	var rep Report
	var headHash string
	if err := q.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&rep.HeadSeq, &headHash); err != nil {
		return rep, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+selectCols+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	prev := ""
	var want int64 = 1
	fail := func(seq int64, msg string) {
		if rep.BrokenAt == 0 {
			rep.BrokenAt, rep.Problem = seq, msg
		}
	}
	for rows.Next() {
		var r Record
		if err := scanRecord(rows, &r); err != nil {
			return rep, err
		}
		rep.Checked++
		if rep.BrokenAt != 0 {
			continue
		}
		switch {
		case r.Seq != want:
			fail(want, fmt.Sprintf("缺少第 %d 条记录（下一条为第 %d 条）", want, r.Seq))
		case r.PrevHash != prev:
			fail(r.Seq, fmt.Sprintf("第 %d 条记录的前序哈希与上一条不符", r.Seq))
		case r.computeHash() != r.Hash:
			fail(r.Seq, fmt.Sprintf("第 %d 条记录的内容已被改动（哈希不符）", r.Seq))
		}
		prev = r.Hash
		want = r.Seq + 1
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if rep.BrokenAt == 0 && (rep.HeadSeq != want-1 || headHash != prev) {
		fail(want, fmt.Sprintf("链头指向第 %d 条，但实际最后一条为第 %d 条（记录被删除或截断）", rep.HeadSeq, want-1))
	}
	rep.OK = rep.BrokenAt == 0
	return rep, nil
}
