package audit

import (
	"testing"
	"time"
)

// Entries written when the trail had one chain (link was seq then) must
// hash exactly as they did: chain 0 keeps the old canonical form.
func TestChainZeroHashesAsTheSingleChainDid(t *testing.T) {
	r := Record{Chain: 0, Link: 7, ID: "0190-abc", At: time.Date(2026, 11, 22, 2, 20, 8, 123456000, time.UTC),
		ActorID: "acc1", ActorName: "赵敏", Action: "catalog.publish", ObjectType: "catalog_item", ObjectID: "it1",
		BeforeRef: "v1", AfterRef: "v2", Detail: `{"code":"x"}`, IP: "127.0.0.1", RequestID: "r9", PrevHash: "ff"}
	old := "1:7;8:0190-abc;27:2026-11-22T02:20:08.123456Z;4:acc1;6:赵敏;15:catalog.publish;12:catalog_item;3:it1;2:v1;2:v2;12:{\"code\":\"x\"};9:127.0.0.1;2:r9;2:ff;"
	if got := string(r.canonical()); got != old {
		t.Fatalf("chain 0 canonical changed:\n got %s\nwant %s", got, old)
	}
	r.Chain = 5
	if got := string(r.canonical()); got == old {
		t.Fatal("chain 5 hashes like chain 0: moving an entry between chains would go unnoticed")
	}
}
