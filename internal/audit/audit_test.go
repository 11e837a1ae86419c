package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"yiwang/internal/audit"
	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
)

func TestChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := audit.WithMeta(context.Background(), audit.Meta{ActorID: "a1", ActorName: "王秀英", IP: "127.0.0.1", RequestID: "r1"})
		now := time.Date(2026, 10, 8, 9, 0, 0, 0, time.UTC)
		for i := 0; i < 5; i++ {
			if err := audit.Write(ctx, d, now.Add(time.Duration(i)*time.Second), audit.Entry{
				Action: "person.reveal", ObjectType: "person", ObjectID: "p1", Detail: map[string]any{"i": i},
			}); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := audit.Verify(ctx, d)
		if err != nil || !rep.OK || rep.Checked != 5 || rep.HeadSeq != 5 {
			t.Fatalf("fresh chain: %+v %v", rep, err)
		}
		list, err := audit.List(ctx, d, audit.Filter{ObjectType: "person", ObjectID: "p1", Limit: 2})
		if err != nil || len(list) != 2 || list[0].Seq != 5 || list[0].ActorName != "王秀英" {
			t.Fatalf("list: %+v %v", list, err)
		}
		page2, err := audit.List(ctx, d, audit.Filter{ActorID: "a1", BeforeSeq: list[1].Seq})
		if err != nil || len(page2) != 3 || page2[0].Seq != 3 {
			t.Fatalf("page 2: %+v %v", page2, err)
		}

		// Editing any entry breaks the chain at that entry.
		if _, err := d.ExecContext(ctx, `UPDATE audit_log SET actor_name = ? WHERE seq = 3`, "李四"); err != nil {
			t.Fatal(err)
		}
		rep, _ = audit.Verify(ctx, d)
		if rep.OK || rep.BrokenAt != 3 {
			t.Fatalf("edited entry not detected: %+v", rep)
		}
		if _, err := d.ExecContext(ctx, `UPDATE audit_log SET actor_name = ? WHERE seq = 3`, "王秀英"); err != nil {
			t.Fatal(err)
		}
		if rep, _ = audit.Verify(ctx, d); !rep.OK {
			t.Fatalf("restored chain: %+v", rep)
		}
		// Deleting the last entry (truncation) is detected through the head.
		if _, err := d.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = 5`); err != nil {
			t.Fatal(err)
		}
		if rep, _ = audit.Verify(ctx, d); rep.OK {
			t.Fatalf("truncation not detected: %+v", rep)
		}
		// Deleting a middle entry is detected as a gap.
		if _, err := d.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		if rep, _ = audit.Verify(ctx, d); rep.OK || rep.BrokenAt != 3 {
			t.Fatalf("gap not detected: %+v", rep)
		}
	})
}

func TestAppendRollsBackWithItsTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		_ = d.InTx(ctx, func(tx *db.Tx) error {
			if err := audit.Append(ctx, tx, time.Now(), audit.Entry{Action: "x", ObjectType: "y", ObjectID: "z"}); err != nil {
				t.Fatal(err)
			}
			return context.Canceled
		})
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("audit entry survived rollback: %d %v", n, err)
		}
		if rep, err := audit.Verify(ctx, d); err != nil || !rep.OK || rep.HeadSeq != 0 {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}

// Concurrent transactions on many objects append to many chains at once;
// every chain stays gapless and the whole trail verifies.
func TestConcurrentAppendsOnSeveralChains(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const writers, each = 8, 25
		errs := make(chan error, writers)
		for w := 0; w < writers; w++ {
			go func(w int) {
				for i := 0; i < each; i++ {
					obj := fmt.Sprintf("case-%d-%d", w, i%5)
					if err := audit.Write(ctx, d, time.Now(), audit.Entry{Action: "case.act", ObjectType: "case", ObjectID: obj}); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}(w)
		}
		for w := 0; w < writers; w++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		rep, err := audit.Verify(ctx, d)
		if err != nil || !rep.OK || rep.Checked != writers*each || rep.HeadSeq != writers*each {
			t.Fatalf("%+v %v", rep, err)
		}
		var chains int
		if err := d.QueryRowContext(ctx, `SELECT count(DISTINCT chain) FROM audit_log`).Scan(&chains); err != nil || chains < 4 {
			t.Fatalf("40 objects landed on %d chains (%v)", chains, err)
		}
		// One object's entries all sit on its own chain.
		list, err := audit.List(ctx, d, audit.Filter{ObjectType: "case", ObjectID: "case-3-2", Limit: 200})
		if err != nil || len(list) != each/5 {
			t.Fatalf("list: %d %v", len(list), err)
		}
		for _, r := range list {
			if r.Chain != audit.ChainOf("case", "case-3-2") {
				t.Fatalf("entry on chain %d, want %d", r.Chain, audit.ChainOf("case", "case-3-2"))
			}
		}
		// Removing an entry in the middle of any chain is a gap there.
		victim := list[len(list)/2]
		if _, err := d.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = ?`, victim.Seq); err != nil {
			t.Fatal(err)
		}
		if rep, _ := audit.Verify(ctx, d); rep.OK || rep.Chain != victim.Chain {
			t.Fatalf("gap on chain %d not detected: %+v", victim.Chain, rep)
		}
	})
}

// Several entries in one transaction: one chain, consecutive links, the
// head written once at commit and the trail verifying.
func TestSeveralEntriesInOneTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for i, obj := range []string{"case-1", "person-9", "case-1"} {
				if err := audit.Append(ctx, tx, time.Now(), audit.Entry{Action: fmt.Sprint("step", i), ObjectType: "case", ObjectID: obj}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := audit.List(ctx, d, audit.Filter{Limit: 10})
		if err != nil || len(list) != 3 {
			t.Fatalf("%d %v", len(list), err)
		}
		for i, r := range list {
			if r.Chain != list[0].Chain || r.Link != int64(3-i) {
				t.Fatalf("entry %d: chain %d link %d", i, r.Chain, r.Link)
			}
		}
		if rep, err := audit.Verify(ctx, d); err != nil || !rep.OK || rep.HeadSeq != 3 {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}
