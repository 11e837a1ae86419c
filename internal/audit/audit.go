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
	"hash/fnv"
	"slices"
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
	Seq        int64 // global order of writing (gaps possible on PostgreSQL)
	Chain      int   // which of the Chains chains the entry is on
	Link       int64 // position in its chain: 1, 2, 3… without gaps
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

// Chains is how many hash chains the trail has. Transactions on different
// objects append to different chains, so they do not queue on one lock;
// every entry of one object (one case, one person) is on the same chain.
const Chains = 16

// ChainOf is the chain an object's entries go to.
func ChainOf(objectType, objectID string) int {
	h := fnv.New32a()
	h.Write([]byte(objectType))
	h.Write([]byte{0})
	h.Write([]byte(objectID))
	return int(h.Sum32() % Chains)
}

// canonical is the exact byte string that is hashed: every field, length-
// prefixed so no two different records can encode the same. Chain 0 hashes
// exactly as the single chain of earlier versions did (link was seq then),
// so entries written before the trail had several chains still verify.
func (r *Record) canonical() []byte {
	var b strings.Builder
	fields := []string{
		strconv.FormatInt(r.Link, 10), r.ID, r.At.UTC().Format(time.RFC3339Nano),
		r.ActorID, r.ActorName, r.Action, r.ObjectType, r.ObjectID,
		r.BeforeRef, r.AfterRef, r.Detail, r.IP, r.RequestID, r.PrevHash,
	}
	if r.Chain != 0 {
		fields = append(fields, "chain="+strconv.Itoa(r.Chain))
	}
	for _, f := range fields {
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

// txChain is the key under which a transaction remembers its chain, the
// entries it has still to write and where that chain's head stands.
type txChain struct{}

type chainHead struct {
	chain   int
	link    int64
	hash    string
	pending []*Record
	// read is set once the head has been read (and locked): entries
	// appended after that are linked at once.
	read bool
}

// Append records e as part of tx, chained to the previous entry of its
// chain. A transaction appends all its entries to one chain — the chain of
// the object of its first entry. The entries are linked and written just
// before the transaction commits: the chain's head row is read and locked
// (PostgreSQL) then, the entries and the new head go to the database
// together (db.ExecLater), and the lock is held only for the last round
// trips of the transaction, so appends to one chain serialise briefly while
// other chains go on.
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
	head, ok := tx.Value(txChain{}).(*chainHead)
	if !ok {
		head = &chainHead{chain: ChainOf(e.ObjectType, e.ObjectID)}
		tx.Set(txChain{}, head)
		tx.BeforeCommit(func() error { return head.write(ctx, tx) })
	}
	r := &Record{
		Chain: head.chain, ID: uuid.Must(uuid.NewV7()).String(),
		At:      now.UTC().Truncate(time.Microsecond),
		ActorID: m.ActorID, ActorName: m.ActorName,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		BeforeRef: e.BeforeRef, AfterRef: e.AfterRef, Detail: detail,
		IP: m.IP, RequestID: m.RequestID,
	}
	head.pending = append(head.pending, r)
	if head.read {
		// Appended by a hook that runs after the chain's own.
		return head.flush(ctx, tx)
	}
	return nil
}

// write reads and locks the chain's head, then writes the pending entries.
func (h *chainHead) write(ctx context.Context, tx *db.Tx) error {
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE"
	}
	// The head is read with the writes the transaction has queued, in the
	// same round trip.
	found := false
	if err := db.QueryLater(ctx, tx, func(r db.Rows) error {
		if !r.Next() {
			return nil
		}
		found = true
		return r.Scan(&h.link, &h.hash)
	}, `SELECT link, hash FROM audit_chains WHERE chain = ?`+lock, h.chain); err != nil {
		return fmt.Errorf("audit chain head: %w", err)
	}
	if err := tx.Flush(ctx); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("audit chain head %d: missing", h.chain)
	}
	h.read = true
	return h.flush(ctx, tx)
}

// insertRows is how many entries one INSERT writes (16 parameters each,
// within SQLite's limit of 32 766).
const insertRows = 500

// flush links the pending entries after the head, writes them and the new
// head.
func (h *chainHead) flush(ctx context.Context, tx *db.Tx) error {
	if len(h.pending) == 0 {
		return nil
	}
	for _, r := range h.pending {
		r.Link, r.PrevHash = h.link+1, h.hash
		r.Hash = r.computeHash()
		h.link, h.hash = r.Link, r.Hash
	}
	for rows := range slices.Chunk(h.pending, insertRows) {
		args := make([]any, 0, 16*len(rows))
		for _, r := range rows {
			args = append(args, r.Chain, r.Link, r.ID, r.At, r.ActorID, r.ActorName, r.Action, r.ObjectType, r.ObjectID,
				r.BeforeRef, r.AfterRef, r.Detail, r.IP, r.RequestID, r.PrevHash, r.Hash)
		}
		if err := db.ExecLater(ctx, tx, nil, `INSERT INTO audit_log
		(chain, link, id, at, actor_id, actor_name, action, object_type, object_id, before_ref, after_ref, detail, ip, request_id, prev_hash, hash)
		VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", len(rows)), ", "), args...); err != nil {
			return fmt.Errorf("audit insert: %w", err)
		}
	}
	h.pending = h.pending[:0]
	if err := db.ExecLater(ctx, tx, nil, `UPDATE audit_chains SET link = ?, hash = ? WHERE chain = ?`, h.link, h.hash, h.chain); err != nil {
		return fmt.Errorf("audit chain head update: %w", err)
	}
	return nil
}

// Count is how many entries the trail holds (the sum of the chain heads).
func Count(ctx context.Context, q db.Querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(link), 0) FROM audit_chains`).Scan(&n)
	return n, err
}

// Write appends one entry in its own transaction, for events that change
// nothing else (a login, a view of personal data).
func Write(ctx context.Context, d *db.DB, now time.Time, e Entry) error {
	return d.InTx(ctx, func(tx *db.Tx) error { return Append(ctx, tx, now, e) })
}

const selectCols = `seq, chain, link, id, at, actor_id, actor_name, action, object_type, object_id, before_ref, after_ref, detail, ip, request_id, prev_hash, hash`

func scanRecord(rows interface{ Scan(...any) error }, r *Record) error {
	return rows.Scan(&r.Seq, &r.Chain, &r.Link, &r.ID, &r.At, &r.ActorID, &r.ActorName, &r.Action, &r.ObjectType, &r.ObjectID,
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
	BrokenAt int64  // seq of the first entry that does not verify (0 when OK or when none is left to point at)
	Chain    int    // the chain where it broke
	Problem  string // what is wrong there, in Chinese
	HeadSeq  int64  // entries the chain heads account for
}

// Verify walks every chain in order, recomputing every hash, checking every
// link and that the numbering has no gap, and that each chain's head points
// at its last entry (so truncating a chain's tail is detected too).
func Verify(ctx context.Context, q db.Querier) (Report, error) {
	var rep Report
	heads := map[int]struct {
		link int64
		hash string
	}{}
	hrows, err := q.QueryContext(ctx, `SELECT chain, link, hash FROM audit_chains`)
	if err != nil {
		return rep, err
	}
	for hrows.Next() {
		var c int
		var h struct {
			link int64
			hash string
		}
		if err := hrows.Scan(&c, &h.link, &h.hash); err != nil {
			hrows.Close()
			return rep, err
		}
		heads[c] = h
		rep.HeadSeq += h.link
	}
	hrows.Close()
	if err := hrows.Err(); err != nil {
		return rep, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+selectCols+` FROM audit_log ORDER BY chain, link`)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	fail := func(chain int, seq int64, msg string) {
		if rep.Problem == "" {
			rep.Chain, rep.BrokenAt, rep.Problem = chain, seq, msg
		}
	}
	type pos struct {
		link int64
		hash string
	}
	last := map[int]pos{}
	for rows.Next() {
		var r Record
		if err := scanRecord(rows, &r); err != nil {
			return rep, err
		}
		rep.Checked++
		p := last[r.Chain]
		switch {
		case r.Link != p.link+1:
			fail(r.Chain, r.Seq, fmt.Sprintf("第 %d 号链缺少第 %d 条记录（下一条为第 %d 条，全局序号 #%d）", r.Chain, p.link+1, r.Link, r.Seq))
		case r.PrevHash != p.hash:
			fail(r.Chain, r.Seq, fmt.Sprintf("记录 #%d（第 %d 号链第 %d 条）的前序哈希与上一条不符", r.Seq, r.Chain, r.Link))
		case r.computeHash() != r.Hash:
			fail(r.Chain, r.Seq, fmt.Sprintf("记录 #%d（第 %d 号链第 %d 条）的内容已被改动（哈希不符）", r.Seq, r.Chain, r.Link))
		}
		last[r.Chain] = pos{r.Link, r.Hash}
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	for c := 0; c < Chains; c++ {
		h, p := heads[c], last[c]
		if h.link != p.link || h.hash != p.hash {
			fail(c, 0, fmt.Sprintf("第 %d 号链的链头指向第 %d 条，但实际最后一条为第 %d 条（记录被删除或截断）", c, h.link, p.link))
		}
	}
	rep.OK = rep.Problem == ""
	return rep, nil
}
