package notify

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/demo"
	"yiwang/internal/identity"
	"yiwang/internal/notify/notifytest"
	"yiwang/internal/secret"
)

// fixture is a database with the demo organisation and accounts, a frozen
// clock, and cases made directly in the tables (notify reads cases; it
// does not need casework to make them).
type fixture struct {
	t     *testing.T
	ctx   context.Context
	DB    *db.DB
	IDs   *identity.Service
	Clock *clock.Adjustable
	Logs  *syncBuffer
	Log   *slog.Logger
	cases *notifytest.Cases
}

// The demo people notify tells: 李建国 (citizen2: phone and e-mail),
// 王秀英 (citizen1: phone only), and for the company 桐庐春江餐饮 its legal
// representative 周国华 (phone only) and agent 陈晓峰 (company1: phone
// and e-mail).
type who struct{ Account, Person string }

var start = time.Date(2026, 9, 28, 9, 30, 0, 0, time.UTC)

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	box, err := secret.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, DB: d, Clock: clock.Fixed(start), Logs: &syncBuffer{}}
	f.Log = slog.New(slog.NewTextHandler(f.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.IDs = identity.NewService(d, box, f.Clock)
	if _, err := demo.Load(ctx, f.IDs); err != nil {
		t.Fatal(err)
	}
	f.cases = notifytest.New(t, d)
	return f
}

func newIDForTest() string { return newID() }

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.DB.ExecContext(f.ctx, q, args...); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.DB.QueryRowContext(f.ctx, q, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (f *fixture) user(username string) who {
	f.t.Helper()
	var w who
	if err := f.DB.QueryRowContext(f.ctx, `SELECT id, person_id FROM accounts WHERE username = ?`, username).Scan(&w.Account, &w.Person); err != nil {
		f.t.Fatalf("account %s: %v", username, err)
	}
	return w
}

func (f *fixture) legalRep() string {
	f.t.Helper()
	var id string
	if err := f.DB.QueryRowContext(f.ctx, `SELECT person_id FROM company_agents WHERE role = 'legal_rep'`).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// personCase makes a case of username's person; companyCase one of the
// demo company. They return the case id.
func (f *fixture) personCase(username string) string { return f.cases.Person(username) }

func (f *fixture) companyCase() string { return f.cases.Company("company1") }

func (f *fixture) caseNo(caseID string) string { return f.cases.No(caseID) }

// event writes an outbox event at the fixture's clock, each a moment after
// the one before; payload as notifytest.Cases.Event.
func (f *fixture) event(caseID, topic string, payload any) string {
	f.t.Helper()
	id := f.cases.Event(caseID, topic, payload, f.Clock.Now())
	f.Clock.Advance(time.Millisecond)
	return id
}

func (f *fixture) service(cfg Config) *Service {
	return New(f.DB, f.IDs, f.Clock, f.Log, cfg)
}

func (f *fixture) drain(s *Service) Stats {
	f.t.Helper()
	st, err := s.Drain(f.ctx)
	if err != nil {
		f.t.Fatalf("drain: %v", err)
	}
	return st
}

// recorder is a Sender that remembers every attempt and, like a gateway
// that deduplicates by idempotency key, delivers each key once. fail, when
// set, decides the outcome of an attempt.
type recorder struct {
	mu        sync.Mutex
	attempts  []Message
	delivered map[string]Message // by key
	fail      func(m Message, n int) error
}

func (r *recorder) Send(ctx context.Context, m Message) error {
	r.mu.Lock()
	r.attempts = append(r.attempts, m)
	n := 0
	for _, a := range r.attempts {
		if a.Key == m.Key {
			n++
		}
	}
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(m, n); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.delivered == nil {
		r.delivered = map[string]Message{}
	}
	if _, dup := r.delivered[m.Key]; !dup {
		r.delivered[m.Key] = m
	}
	return nil
}

func (r *recorder) tries() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.attempts) }

func (r *recorder) got() map[string]Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]Message{}
	for k, v := range r.delivered {
		out[k] = v
	}
	return out
}

// syncBuffer is a log buffer the sending goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
