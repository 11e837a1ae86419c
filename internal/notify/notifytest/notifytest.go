// Package notifytest makes what the notices worker reads — cases and
// their outbox events — straight in the tables, for the tests of notify
// and of the pages that show notices. It needs the demo organisation
// (demo.Load) in the database; it does not need casework or a catalogue.
package notifytest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"yiwang/internal/db"
)

// ItemName is the service item of every case made here.
const ItemName = "食品经营许可（新办）"

const itemCode = "113301220000000000000000000000001"

// Cases makes cases and events in one database.
type Cases struct {
	t    testing.TB
	db   *db.DB
	item string
	dept string
	n    int
}

// New adds the catalogue item the cases are of.
func New(t testing.TB, d *db.DB) *Cases {
	t.Helper()
	c := &Cases{t: t, db: d, item: uuid.Must(uuid.NewV7()).String()}
	if err := d.QueryRowContext(context.Background(), `SELECT id FROM departments WHERE code = 'scjg'`).Scan(&c.dept); err != nil {
		t.Fatalf("notifytest needs the demo organisation: %v", err)
	}
	now := time.Now().UTC()
	c.exec(`INSERT INTO catalog_items (id, code, impl_code, base_code, department_id, published_version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?)`, c.item, itemCode, itemCode[:32], "000000000000", c.dept, now, now)
	return c
}

func (c *Cases) exec(q string, args ...any) {
	c.t.Helper()
	if _, err := c.db.ExecContext(context.Background(), q, args...); err != nil {
		c.t.Fatalf("%s: %v", q, err)
	}
}

// Person makes a case of the person behind account username; Company one
// of the company behind account username. They return the case id.
func (c *Cases) Person(username string) string {
	c.t.Helper()
	var account, person string
	if err := c.db.QueryRowContext(context.Background(), `SELECT id, person_id FROM accounts WHERE username = ?`, username).Scan(&account, &person); err != nil {
		c.t.Fatalf("account %s: %v", username, err)
	}
	return c.make("person", person, nil, account)
}

func (c *Cases) Company(username string) string {
	c.t.Helper()
	var account, company string
	if err := c.db.QueryRowContext(context.Background(), `SELECT id, company_id FROM accounts WHERE username = ?`, username).Scan(&account, &company); err != nil {
		c.t.Fatalf("company account %s: %v", username, err)
	}
	return c.make("company", nil, company, account)
}

func (c *Cases) make(kind string, person, company any, createdBy string) string {
	c.t.Helper()
	c.n++
	id := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC()
	c.exec(`INSERT INTO cases (id, case_no, item_id, item_code, item_version, item_name, department_id, region_code, workflow_id, status, channel,
		applicant_kind, applicant_person_id, applicant_company_id, applicant_name, created_by, listed_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 1, ?, ?, '330122000000', 'standard', 'accepted', '1', ?, ?, ?, '申请人', ?, ?, ?, ?)`,
		id, fmt.Sprintf("33012220260928%06d", c.n), c.item, itemCode, ItemName, c.dept, kind, person, company, createdBy, now, now, now)
	return id
}

// No is a case's number.
func (c *Cases) No(caseID string) string {
	c.t.Helper()
	var no string
	if err := c.db.QueryRowContext(context.Background(), `SELECT case_no FROM cases WHERE id = ?`, caseID).Scan(&no); err != nil {
		c.t.Fatal(err)
	}
	return no
}

// Event writes an outbox event as casework does and returns its id. A
// string payload is written as it is (to test bad ones); nil means the
// keys every case event has.
func (c *Cases) Event(caseID, topic string, payload any, at time.Time) string {
	c.t.Helper()
	var raw string
	switch p := payload.(type) {
	case string:
		raw = p
	case nil:
		b, _ := json.Marshal(map[string]any{"caseNo": c.No(caseID), "action": "x", "status": "accepted", "result": "", "resultCode": "", "step": "accept"})
		raw = string(b)
	default:
		b, _ := json.Marshal(p)
		raw = string(b)
	}
	id := uuid.Must(uuid.NewV7()).String()
	c.exec(`INSERT INTO outbox (id, topic, object_id, payload, created_at) VALUES (?, ?, ?, ?, ?)`, id, topic, caseID, raw, at.UTC())
	return id
}
