package demo_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"yiwang/internal/app"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/demo"
	"yiwang/internal/identity"
)

// checkExceptions asserts that the demo shows every exception of issue 5
// (docs/cases.md, "Exceptions"), each made through the case service: the
// rows say what happened, the service says what a person sees.
func checkExceptions(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	now := a.Clock.Now()
	tab, err := a.Calendar.Table(ctx)
	if err != nil {
		t.Fatal(err)
	}
	atLeast := func(want int, what, query string, args ...any) {
		t.Helper()
		if n := count(t, a, query, args...); n < want {
			t.Errorf("%d cases %s, want at least %d", n, what, want)
		}
	}
	none := func(what, query string, args ...any) {
		t.Helper()
		if n := count(t, a, query, args...); n > 0 {
			t.Errorf("%d cases %s", n, what)
		}
	}
	login := func(user string) *identity.Principal {
		t.Helper()
		p, err := a.Identity.Login(ctx, user, demo.Password, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	caseNo := func(query string, args ...any) string {
		t.Helper()
		var no string
		if err := a.DB.QueryRowContext(ctx, query, args...).Scan(&no); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return no
	}
	sup := login("supervisor1")
	get := func(who *identity.Principal, no string) *casework.Case {
		t.Helper()
		c, err := a.Cases.Get(ctx, who, no)
		if err != nil {
			t.Fatalf("case %s: %v", no, err)
		}
		return c
	}

	// 补正中: asked by the approver in review and by the window before
	// acceptance, some about to run out, none run out yet (the sweeper
	// would have closed it).
	atLeast(5, "补正中", `SELECT count(*) FROM cases WHERE status = 'supplement'`)
	none("补正中 without an open notice", `SELECT count(*) FROM cases c WHERE c.status = 'supplement' AND NOT EXISTS
		(SELECT 1 FROM case_procedures p WHERE p.case_id = c.id AND p.kind = 'supplement' AND p.status = 'open')`)
	atLeast(1, "补正中 asked by the window before acceptance", `SELECT count(*) FROM cases WHERE status = 'supplement' AND accepted_at IS NULL`)
	atLeast(1, "补正中 asked in review", `SELECT count(*) FROM cases c JOIN case_procedures p ON p.case_id = c.id
		WHERE c.status = 'supplement' AND c.accepted_at IS NOT NULL AND p.kind = 'supplement' AND p.status = 'open' AND p.step_id = 'review'`)
	none("补正中 past the supplement limit", `SELECT count(*) FROM cases WHERE status = 'supplement' AND supplement_due_at <= ?`, now)
	soon, _, err := casework.DueAt(tab, now, 2, "1")
	if err != nil {
		t.Fatal(err)
	}
	atLeast(1, "补正中 within two working days of the limit", `SELECT count(*) FROM cases WHERE status = 'supplement' AND supplement_due_at <= ?`, soon)
	c := get(sup, caseNo(`SELECT case_no FROM cases WHERE status = 'supplement' ORDER BY case_no LIMIT 1`))
	if c.Supplement == nil || len(c.Supplement.Materials) == 0 || !c.Paused {
		t.Errorf("case %s 补正中: notice %+v, paused %v", c.No, c.Supplement, c.Paused)
	} else {
		for _, m := range c.Supplement.Materials {
			if len([]rune(m.Reason)) < 8 || m.Name == "" {
				t.Errorf("case %s: supplement of %q for %q", c.No, m.Name, m.Reason)
			}
		}
	}

	// Supplemented, then carried on (the notice done), some to the end.
	const supplied = `SELECT count(*) FROM cases c WHERE c.status IN (%s) AND EXISTS
		(SELECT 1 FROM case_procedures p WHERE p.case_id = c.id AND p.kind = 'supplement' AND p.status = 'done')`
	atLeast(1, "supplemented and being handled", strings.Replace(supplied, "%s", "'accepted', 'processing'", 1))
	atLeast(1, "supplemented and decided", strings.Replace(supplied, "%s", "'closed', 'collected', 'delivered'", 1))
	atLeast(1, "supplemented and collected", strings.Replace(supplied, "%s", "'collected'", 1))

	// 补正不来: closed by the sweeper with result code 5, the notice lapsed.
	atLeast(3, "补正不来", `SELECT count(*) FROM cases c JOIN case_procedures p ON p.case_id = c.id AND p.kind = 'supplement'
		WHERE c.status = 'closed' AND c.result = 'unsupplemented' AND c.result_code = '5' AND p.status = 'lapsed'`)
	none("补正不来 without the sweeper's entry", `SELECT count(*) FROM cases c WHERE c.result = 'unsupplemented' AND NOT EXISTS
		(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'unsupplemented' AND e.actor_id = '')`)

	// 特别程序: under way now and ended with an outcome, each one its
	// item's guide lists.
	atLeast(3, "特别程序 now", `SELECT count(*) FROM cases c JOIN case_procedures p ON p.case_id = c.id
		WHERE c.status = 'special' AND p.kind = 'special' AND p.status = 'open'`)
	atLeast(3, "through a special procedure", `SELECT count(*) FROM cases c JOIN case_procedures p ON p.case_id = c.id
		WHERE c.status <> 'special' AND p.kind = 'special' AND p.status = 'done' AND p.outcome <> ''`)
	atLeast(1, "denied after a special procedure", `SELECT count(*) FROM cases c JOIN case_procedures p ON p.case_id = c.id
		WHERE c.result = 'denied' AND p.kind = 'special' AND p.status = 'done'`)
	snap, err := a.Catalog.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := a.DB.QueryContext(ctx, `SELECT c.case_no, c.item_code, p.name FROM case_procedures p JOIN cases c ON c.id = p.case_id WHERE p.kind = 'special'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var no, item, name string
		if err := rows.Scan(&no, &item, &name); err != nil {
			t.Fatal(err)
		}
		e, ok := snap.ByCode(item)
		if !ok || !slices.ContainsFunc(e.Item.SpecialProcedures, func(sp catalog.SpecialProcedure) bool { return sp.Name == name }) {
			t.Errorf("case %s: special procedure %q is not in its item's guide", no, name)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	// 延期: requested and waiting for the head of 县市场监管局, and granted.
	atLeast(2, "with an extension waiting", `SELECT count(*) FROM cases c JOIN case_procedures p ON p.case_id = c.id
		JOIN departments d ON d.id = c.department_id WHERE p.kind = 'extension' AND p.status = 'open' AND d.code = 'scjg' AND c.decided_at IS NULL`)
	atLeast(2, "extended", `SELECT count(*) FROM cases c JOIN case_procedures p ON p.case_id = c.id
		WHERE p.kind = 'extension' AND p.status = 'approved' AND c.extended_days = p.days`)
	c = get(login("scjgfz"), caseNo(`SELECT c.case_no FROM cases c JOIN case_procedures p ON p.case_id = c.id
		WHERE p.kind = 'extension' AND p.status = 'open' ORDER BY c.case_no LIMIT 1`))
	if !slices.ContainsFunc(c.Actions, func(v casework.ActionView) bool { return v.Action == "extension-approve" }) {
		t.Errorf("case %s: the head of department is not offered the extension: %+v", c.No, c.Actions)
	}

	// Withdrawn by the applicant, voided by staff with a reason.
	atLeast(2, "withdrawn", `SELECT count(*) FROM cases c WHERE c.status = 'closed' AND c.result = 'withdrawn' AND c.result_code = '1'
		AND EXISTS (SELECT 1 FROM case_events e JOIN accounts ac ON ac.id = e.actor_id WHERE e.case_id = c.id AND e.action = 'withdraw' AND ac.kind <> 'staff')`)
	atLeast(2, "作废", `SELECT count(*) FROM cases c WHERE c.status = 'closed' AND c.result = 'voided' AND c.result_code = '2'`)
	none("作废 without a reason", `SELECT count(*) FROM case_events WHERE action = 'void' AND length(comment) < 6`)

	// 容缺: decided, the result held while the material is missing; and
	// the material arrived, the result collected.
	atLeast(2, "容缺 with the result held", `SELECT count(*) FROM cases c WHERE c.status = 'closed' AND c.deferred_open > 0 AND c.decided_at IS NOT NULL
		AND EXISTS (SELECT 1 FROM case_pledges p WHERE p.case_id = c.id AND p.kind = 'tolerance')`)
	atLeast(2, "容缺 supplied and collected", `SELECT count(*) FROM cases c WHERE c.status = 'collected' AND c.deferred_open = 0
		AND EXISTS (SELECT 1 FROM case_deferred d WHERE d.case_id = c.id AND d.arrived_at IS NOT NULL)`)
	none("容缺 promised for before the application", `SELECT count(*) FROM case_deferred d JOIN cases c ON c.id = d.case_id WHERE d.due_at <= c.submitted_at`)
	c = get(sup, caseNo(`SELECT case_no FROM cases WHERE status = 'closed' AND deferred_open > 0 ORDER BY case_no LIMIT 1`))
	if !c.Delivery.Held || len(c.Deferred) == 0 || c.Deferred[0].ArrivedAt != nil {
		t.Errorf("case %s 容缺: delivery %+v, deferred %+v", c.No, c.Delivery, c.Deferred)
	}

	// 告知承诺: signed, decided on the pledge; post-checks waiting,
	// confirmed, and revoked with the findings (the pledge broken).
	none("告知承诺 on an item without it, or unsigned", `SELECT count(*) FROM cases c WHERE c.mode = 'pledge' AND (c.workflow_id <> 'pledge'
		OR NOT EXISTS (SELECT 1 FROM case_pledges p WHERE p.case_id = c.id AND p.kind = 'pledge'))`)
	atLeast(2, "告知承诺 with the post-check waiting", `SELECT count(*) FROM cases c JOIN case_tasks k ON k.case_id = c.id
		WHERE c.mode = 'pledge' AND k.step_id = 'postcheck' AND k.status = 'open' AND c.revoked_at IS NULL`)
	atLeast(1, "告知承诺 confirmed by the post-check", `SELECT count(*) FROM cases c JOIN case_tasks k ON k.case_id = c.id
		WHERE c.mode = 'pledge' AND k.step_id = 'postcheck' AND k.status = 'done' AND k.action = 'confirm'`)
	atLeast(1, "告知承诺 revoked", `SELECT count(*) FROM cases c JOIN case_pledges p ON p.case_id = c.id AND p.kind = 'pledge'
		WHERE c.revoked_at IS NOT NULL AND c.revoke_reason <> '' AND p.broken_at IS NOT NULL AND p.broken_reason <> ''`)
	rows, err = a.DB.QueryContext(ctx, `SELECT case_no, item_code FROM cases WHERE mode = 'pledge'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var no, item string
		if err := rows.Scan(&no, &item); err != nil {
			t.Fatal(err)
		}
		if e, ok := snap.ByCode(item); !ok || !e.Item.Flags.Pledge {
			t.Errorf("case %s: 告知承诺 on an item that does not allow it", no)
		}
	}
	rows.Close()

	// Delivery by post (EMS, tracking number, an address in 桐庐), some
	// delivered; electronically, at once.
	atLeast(2, "delivered by post", `SELECT count(*) FROM cases WHERE delivery_method = 'post' AND status = 'delivered'`)
	atLeast(1, "in the post", `SELECT count(*) FROM cases c JOIN case_tasks k ON k.case_id = c.id
		WHERE c.delivery_method = 'post' AND c.status = 'closed' AND k.step_id = 'transit' AND k.status = 'open'`)
	none("sent without an address in 桐庐", `SELECT count(*) FROM cases WHERE delivery_method = 'post' AND delivery_masked NOT LIKE '%浙江省杭州市桐庐县%'`)
	tracking := regexp.MustCompile(`"carrier":"中国邮政EMS","trackingNo":"\d{13}"`)
	rows, err = a.DB.QueryContext(ctx, `SELECT c.case_no, p.data FROM case_procedures p JOIN cases c ON c.id = p.case_id WHERE p.kind = 'delivery' AND p.name = '邮寄送达'`)
	if err != nil {
		t.Fatal(err)
	}
	posted := 0
	for rows.Next() {
		var no, data string
		if err := rows.Scan(&no, &data); err != nil {
			t.Fatal(err)
		}
		if posted++; !tracking.MatchString(data) {
			t.Errorf("case %s posted with %s", no, data)
		}
	}
	rows.Close()
	if posted < 3 {
		t.Errorf("%d cases posted", posted)
	}
	atLeast(2, "delivered electronically", `SELECT count(*) FROM cases c WHERE c.delivery_method = 'online' AND c.status = 'delivered'
		AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'edeliver')`)
}
