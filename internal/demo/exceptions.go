package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/identity"
)

// The exceptions of issue 5 among the demo cases (docs/cases.md,
// "Exceptions"): cases waiting for a supplement (补正), supplemented and
// carried on, closed as 补正不来 by the sweeper, in a special procedure of
// their item's guide or through one, with an extension asked for or
// granted, withdrawn by the applicant or voided by staff, accepted with a
// 容缺 material to come, decided on a pledge (告知承诺) and checked
// afterwards, or whose result went by post or electronically.
//
// They are planned like the others: the item's workflow walked to the
// decision (route), the procedure put in where a step allows it, every
// move placed at a past moment in office hours (or, for an applicant
// online, at any hour of the day), and carried out through casework in the
// order of time. The sweeper runs at the moment a supplement limit ran out,
// as the server's would have.

// exceptionsSeed makes the exceptions' random source differ from the mix's.
const exceptionsSeed = 0x6578_6365_7074_0005 // "except", issue 5

type exKind int

const (
	exSupplementOpen    exKind = iota // 补正中 now
	exSupplemented                    // supplemented, then carried on
	exUnsupplemented                  // 补正不来: the sweeper closed it
	exSpecialOpen                     // 特别程序 now
	exSpecialEnded                    // through a special procedure
	exExtensionOpen                   // an extension waits for the head of department
	exExtensionApproved               // extended
	exWithdrawn                       // withdrawn by the applicant
	exVoided                          // 作废 by staff
	exToleranceHeld                   // 容缺: decided, the result held for the material
	exToleranceArrived                // 容缺: the material came, the result collected
	exPledge                          // 告知承诺, with or without its post-check
	exDelivery                        // the result by post or electronically
)

// exSpec is one kind of exception case and how many of it.
type exSpec struct {
	kind     exKind
	n        int
	window   bool            // 补正: the window asks before acceptance (else the approver in review)
	near     bool            // 补正中: the supplement limit runs out within two working days
	end      casework.Status // how far along its workflow the case gets afterwards
	result   string          // the decision on the way: approved (default) or denied
	overdue  bool            // 容缺: the promised date for the material has passed
	check    string          // 告知承诺: the post-check's action (confirm, revoke), "" while it waits
	delivery string          // post or online ("" the window)
	arrived  bool            // by post: delivery confirmed (已送达)
}

// exceptionMix is the exception cases beside the ~350 of mix: about 60.
func exceptionMix() []exSpec {
	const processing, closed, collected = casework.StatusProcessing, casework.StatusClosed, casework.StatusCollected
	return []exSpec{
		{kind: exSupplementOpen, n: 2},
		{kind: exSupplementOpen, n: 2, near: true},
		{kind: exSupplementOpen, n: 2, window: true},
		{kind: exSupplementOpen, n: 1, window: true, near: true},
		{kind: exSupplemented, n: 2, end: processing},
		{kind: exSupplemented, n: 1, end: processing, window: true},
		{kind: exSupplemented, n: 1, end: closed},
		{kind: exSupplemented, n: 1, end: collected},
		{kind: exSupplemented, n: 2, end: collected, window: true},
		{kind: exUnsupplemented, n: 2},
		{kind: exUnsupplemented, n: 2, window: true},
		{kind: exSpecialOpen, n: 4},
		{kind: exSpecialEnded, n: 1, end: processing},
		{kind: exSpecialEnded, n: 1, end: closed, result: "denied"},
		{kind: exSpecialEnded, n: 2, end: collected},
		{kind: exExtensionOpen, n: 3},
		{kind: exExtensionApproved, n: 1, end: processing},
		{kind: exExtensionApproved, n: 2, end: collected},
		{kind: exWithdrawn, n: 4},
		{kind: exVoided, n: 3},
		{kind: exToleranceHeld, n: 2},
		{kind: exToleranceHeld, n: 1, overdue: true},
		{kind: exToleranceArrived, n: 3},
		{kind: exPledge, n: 3},
		{kind: exPledge, n: 2, check: "confirm"},
		{kind: exPledge, n: 2, check: "revoke"},
		{kind: exDelivery, n: 3, delivery: "post", arrived: true},
		{kind: exDelivery, n: 2, delivery: "post"},
		{kind: exDelivery, n: 3, delivery: "online"},
	}
}

// exShares are how exception cases come in (as channelShares): more of
// them online than the mix's, so the applicants meet them in their lists.
var exShares = [channelCount]int{3, 3, 3, 8, 2}

// wait is when a move comes after the one before: days working days
// later, or the same day between lo and hi minutes later.
type wait struct{ days, lo, hi int }

// planExceptions plans the exception cases, numbered from first. A case
// no item fits as of the installation's now is left out: the demo starts
// whatever the date.
func (pl *planner) planExceptions(first int) ([]*planned, error) {
	var out []*planned
	for _, x := range exceptionMix() {
		for range x.n {
			p, err := pl.planException(first+len(out), x)
			if err != nil {
				return nil, err
			}
			if p != nil {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func (pl *planner) planException(n int, x exSpec) (*planned, error) {
	r := pl.r
	result := x.result
	if result == "" {
		result = "approved"
	}
	for try := range 400 {
		// The wished-for timing first (a limit about to run out, a request
		// of these days), then anything that holds together.
		strict := try < 250
		who := pl.applicantBy(drawShare(r, exShares))
		e, wf := pl.exceptionItem(who, x)
		if e == nil {
			continue
		}
		p := &planned{n: n, who: who, entry: e, wf: wf, want: target{status: casework.StatusCollected, result: result}}
		if x.kind == exPledge {
			p.mode = casework.ModePledge
		}
		if ok, err := pl.route(p); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		pl.fill(p)
		if !pl.exceptionMoves(p, x) || !pl.scheduleException(p, x, strict) {
			continue
		}
		p.want = target{status: p.moves[len(p.moves)-1].status, result: result}
		pl.used[e.ID]++
		return p, nil
	}
	return nil, nil
}

// exceptionItem draws an item the applicant may apply for whose guide
// allows the exception, and the workflow its case runs under.
func (pl *planner) exceptionItem(who applicant, x exSpec) (*catalog.Entry, *casework.Workflow) {
	// As often as the mix asks for each item, less so for one already
	// used here (the exceptions should spread over the catalogue), and for
	// 告知承诺 mostly the licences it was made for.
	weight := func(e *catalog.Entry) int {
		w := 12 * pl.weight[e.ID] / (1 + 2*pl.used[e.ID])
		if x.kind == exPledge && e.Item.Type == "01" {
			w *= 4
		}
		return max(1, w)
	}
	var cands []*catalog.Entry
	total := 0
	for _, e := range pl.entries {
		it := &e.Item
		if !serves(it, who) {
			continue
		}
		rules := it.EffectiveRules()
		wf := pl.wfs[workflowOf(it)]
		ok := true
		switch x.kind {
		case exPledge:
			ok = it.Flags.Pledge && pl.wfs[rules.PledgeWorkflow] != nil
		case exSpecialOpen, exSpecialEnded:
			ok = len(it.SpecialProcedures) > 0 && allows(wf, "special")
		case exExtensionOpen, exExtensionApproved:
			// Asked by the approver, granted by the head of department.
			head := headOf[it.Department]
			ok = rules.Extension > 0 && head != "" && head != approverOf[it.Department] && allows(wf, "extend")
		case exToleranceHeld, exToleranceArrived:
			ok = it.Flags.Tolerance && rules.ToleranceResult == "hold"
		}
		if x.delivery != "" && !slices.Contains(rules.Delivery, x.delivery) {
			ok = false
		}
		if x.kind == exPledge && x.check == "revoke" && it.Type != "01" {
			ok = false // a licence revoked on its post-check
		}
		if ok {
			cands = append(cands, e)
			total += weight(e)
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	k := pl.r.IntN(total)
	for _, e := range cands {
		if k -= weight(e); k < 0 {
			if x.kind == exPledge {
				return e, pl.wfs[e.Item.EffectiveRules().PledgeWorkflow]
			}
			return e, pl.wfs[workflowOf(&e.Item)]
		}
	}
	return nil, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func allows(w *casework.Workflow, proc string) bool {
	return w != nil && slices.ContainsFunc(w.Steps, func(s casework.StepDef) bool { return slices.Contains(s.Allow, proc) })
}

// exceptionMoves turns the case's way to its decision (p.moves, from
// route) into the exception's: the procedure put in before the move of
// the step that allows it, the way cut where the case is to stand. It
// reports false when the case's workflow or materials do not allow it.
func (pl *planner) exceptionMoves(p *planned, x exSpec) bool {
	w := &way{pl: pl, p: p, r: pl.r, main: p.moves, decision: -1}
	for i, m := range w.main {
		w.main[i].wait = pl.mainWait(p, w.main, i)
		if a := pl.actionOf(p, m); a != nil && a.Decide != "" && w.decision < 0 {
			w.decision = i
		}
	}
	if w.decision < 0 {
		return false
	}
	var out []move
	ok := true
	switch x.kind {
	case exSupplementOpen, exSupplemented, exUnsupplemented:
		out, ok = w.supplement(x)
	case exSpecialOpen, exSpecialEnded:
		out, ok = w.special(x)
	case exExtensionOpen, exExtensionApproved:
		out, ok = w.extension(x)
	case exWithdrawn:
		out, ok = w.withdrawal()
	case exVoided:
		out, ok = w.voiding()
	case exToleranceHeld, exToleranceArrived:
		out, ok = w.tolerance(x)
	case exPledge:
		out = w.pledge(&x)
	case exDelivery:
		out = slices.Clone(w.main)
	}
	if ok && x.delivery != "" {
		out, ok = pl.deliverBy(p, out, w.decision, x.delivery, x.arrived)
	}
	if ok && x.check != "" {
		out, ok = w.postCheck(out, x.check)
	}
	p.moves = out
	return ok && len(out) > 0
}

// way is a case's way through its workflow (from route), which an
// exception changes.
type way struct {
	pl       *planner
	p        *planned
	r        *rand.Rand
	main     []move
	decision int // the move that decides the case
}

// before is the status of the case before move k.
func (w *way) before(k int) casework.Status {
	if k == 0 {
		return casework.StatusSubmitted
	}
	return w.main[k-1].status
}

// allowing are the moves up to the decision whose step allows procedure
// proc, for the department named (owner: the item's own) or anyone ("").
func (w *way) allowing(proc, dept string) []int {
	var out []int
	for i := 0; i <= w.decision; i++ {
		st, _ := w.p.wf.Step(w.main[i].step)
		if slices.Contains(st.Allow, proc) && (dept == "" || st.Actor.Department == dept) {
			out = append(out, i)
		}
	}
	return out
}

// keep is how many moves of the way the case goes, to stand in status
// end (-1: it never does).
func (w *way) keep(end casework.Status) int {
	var in []int
	for i, m := range w.main {
		if m.status == end {
			in = append(in, i)
		}
	}
	switch {
	case end == casework.StatusCollected:
		return len(w.main)
	case len(in) == 0:
		return -1
	case end == casework.StatusProcessing:
		return in[w.r.IntN(len(in))] + 1
	}
	return in[0] + 1
}

// resume is the way from move k up to cut, the case taken up again after
// the exception: the first move comes as first says.
func (w *way) resume(k, cut int, first wait) []move {
	rest := slices.Clone(w.main[k:cut])
	rest[0].wait = first
	return rest
}

// supplement: a 补正 notice from the window before acceptance or from the
// approver in review; then nothing (补正中 now, or 补正不来 when the
// sweeper comes), or the supplement and the way on.
func (w *way) supplement(x exSpec) ([]move, bool) {
	r, p, main := w.r, w.p, w.main
	k := 0
	if !x.window {
		ks := w.allowing("supplement", casework.DeptOwner)
		if len(ks) == 0 {
			return nil, false
		}
		k = ks[0]
	} else if st, _ := p.wf.Step(main[0].step); !slices.Contains(st.Allow, "supplement") {
		return nil, false
	}
	sup, asked, ok := w.pl.supplementMove(p, main[k], x.window)
	if !ok {
		return nil, false
	}
	out := append(slices.Clone(main[:k]), sup)
	switch x.kind {
	case exUnsupplemented:
		out = append(out, move{action: "sweep", sweep: true, status: casework.StatusClosed})
	case exSupplemented:
		cut := w.keep(x.end)
		if cut <= k {
			return nil, false
		}
		out = append(out, move{action: "supply", actor: p.who.account, online: p.who.online(), status: w.before(k), supply: asked,
			wait: wait{1 + r.IntN(5), 10, 120}}) // the timeline says what came (补交：…)
		next := wait{r.IntN(2), 20, 200}
		if k == 0 && !p.who.online() {
			next = wait{0, 3, 15} // the walk-in is back at the desk with it
		}
		out = append(out, w.resume(k, cut, next)...)
	}
	return out, true
}

// special: one of the item's special procedures, started by the
// department in review or at the decision; ended with its outcome, and
// the way on (to a denial when it failed).
func (w *way) special(x exSpec) ([]move, bool) {
	r, main := w.r, w.main
	ks := w.allowing("special", casework.DeptOwner)
	if len(ks) == 0 {
		return nil, false
	}
	k := ks[0]
	if len(ks) > 1 && r.IntN(3) == 0 {
		k = ks[1] // at the decision
	}
	sp := pick(r, w.p.entry.Item.SpecialProcedures)
	unit, most := unitOf(sp.Limit.Unit), sp.Limit.Amount
	if most <= 0 {
		most = 20
	}
	days := max(1, most/2+r.IntN(most-most/2+1))
	texts := specialTexts(sp.Name)
	out := append(slices.Clone(main[:k]), move{action: "special-start", actor: main[k].actor, status: casework.StatusSpecial,
		data: map[string]any{"procedure": sp.Name, "days": days}, comment: pick(r, texts.reasons), wait: main[k].wait})
	if x.kind == exSpecialOpen {
		return out, true
	}
	cut := w.keep(x.end)
	if cut <= k {
		return nil, false
	}
	length := days
	if unit == "2" {
		length = max(1, days*5/7)
	}
	lo := max(1, length/2)
	outcome := pick(r, texts.passed)
	if x.result == "denied" {
		outcome = texts.failed
	}
	out = append(out, move{action: "special-end", actor: main[k].actor, status: w.before(k), comment: outcome,
		wait: wait{lo + r.IntN(length-lo+1), 20, 200}})
	rest := w.resume(k, cut, wait{r.IntN(2), 20, 200})
	if x.result == "denied" && w.decision-k < len(rest) {
		rest[w.decision-k].comment = texts.denied
	}
	return append(out, rest...), true
}

// extension: the approver asks for more time (in review, or about to
// decide); the head of department grants it, and the way goes on.
func (w *way) extension(x exSpec) ([]move, bool) {
	r, main, it := w.r, w.main, &w.p.entry.Item
	var ks []int
	for _, i := range w.allowing("extend", casework.DeptOwner) {
		if main[i].actor == approverOf[it.Department] {
			ks = append(ks, i)
		}
	}
	if len(ks) == 0 {
		return nil, false
	}
	k := pick(r, ks)
	days := it.EffectiveRules().Extension
	if r.IntN(3) == 0 {
		days = max(1, days/2)
	}
	out := append(slices.Clone(main[:k]), move{action: "extend", actor: main[k].actor, status: w.before(k),
		data: map[string]any{"days": days}, comment: pick(r, extendNotes(it)), wait: main[k].wait})
	if x.kind == exExtensionOpen {
		return out, true
	}
	cut := w.keep(x.end)
	if cut <= k {
		return nil, false
	}
	out = append(out, move{action: "extension-approve", actor: headOf[it.Department], status: w.before(k),
		comment: pick(r, extensionApproveNotes), wait: wait{r.IntN(2), 20, 180}})
	return append(out, w.resume(k, cut, wait{r.IntN(3), 20, 200})...), true
}

// withdrawal: the applicant withdraws online before the decision (the
// window's pages do not offer a withdrawal to the clerk), now and then
// instead of supplementing.
func (w *way) withdrawal() ([]move, bool) {
	r, p, main := w.r, w.p, w.main
	if w.decision < 1 || !p.who.online() {
		return nil, false
	}
	note := pick(r, withdrawByPerson)
	if !p.who.person {
		note = pick(r, withdrawByCompany)
	}
	wd := move{action: "withdraw", actor: p.who.account, online: true, status: casework.StatusClosed, comment: note,
		wait: wait{1 + r.IntN(4), 10, 200}}
	j := r.IntN(w.decision + 1)
	if ks := w.allowing("supplement", casework.DeptOwner); len(ks) > 0 && r.IntN(3) == 0 {
		sup, _, ok := w.pl.supplementMove(p, main[ks[0]], false)
		if !ok {
			return nil, false
		}
		return append(slices.Clone(main[:ks[0]]), sup, wd), true
	}
	return append(slices.Clone(main[:j]), wd), true
}

// voiding: staff of a step that allows it void the case, with the reason.
func (w *way) voiding() ([]move, bool) {
	r, main := w.r, w.main
	ks := w.allowing("void", "")
	if len(ks) == 0 {
		return nil, false
	}
	k := pick(r, ks)
	var note string
	switch {
	case main[k].actor != clerk:
		note = pick(r, voidByDepartment)
	case w.p.who.online():
		note = "申请人通过“浙里办”重复提交同一申请，保留在先申请，本件作废。"
	default:
		note = "窗口收件时误选办理事项，已按正确事项重新收件，本件作废。"
	}
	return append(slices.Clone(main[:k]), move{action: "void", actor: main[k].actor, status: casework.StatusClosed,
		comment: note, wait: main[k].wait}), true
}

// tolerance: one or two 容缺 materials pledged instead of given (the date
// is set when the case is placed in time); decided, the result held; or
// the material brought before the decision or after it, and collected.
func (w *way) tolerance(x exSpec) ([]move, bool) {
	r, p, main := w.r, w.p, w.main
	var cands []catalog.Material
	for _, m := range p.mats {
		if m.Necessity == "容缺" && m.Source != "政府部门核发" {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return nil, false
	}
	r.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	// The applicant's own documents first (a licence would be shared).
	slices.SortStableFunc(cands, func(a, b catalog.Material) int {
		return boolInt(a.Source != "申请人自备") - boolInt(b.Source != "申请人自备")
	})
	deferred := cands[:1]
	if len(cands) > 1 && r.IntN(3) == 0 {
		deferred = cands[:2]
	}
	p.mats = slices.DeleteFunc(p.mats, func(m catalog.Material) bool {
		return slices.ContainsFunc(deferred, func(d catalog.Material) bool { return d.ID == m.ID })
	})
	for _, d := range deferred {
		p.deferred = append(p.deferred, casework.DeferredInput{Material: d.ID})
	}
	if x.kind == exToleranceHeld {
		return slices.Clone(main[:w.decision+1]), true
	}
	k := w.decision + 1
	if w.decision > 0 && r.IntN(2) == 0 {
		k = 1 + r.IntN(w.decision)
	}
	if k >= len(main) {
		return nil, false
	}
	out := append(slices.Clone(main[:k]), move{action: "supply", actor: p.who.account, online: p.who.online(), status: w.before(k),
		supply: deferred, wait: wait{1 + r.IntN(4), 10, 200}})
	return append(out, w.resume(k, len(main), wait{r.IntN(2), 20, 180})...), true
}

// pledge: decided on the pledge on the spot, the result by the way the
// applicant chose (now and then by post or electronically).
func (w *way) pledge(x *exSpec) []move {
	r, it := w.r, &w.p.entry.Item
	out := slices.Clone(w.main)
	d := &out[w.decision]
	d.wait = wait{0, 10, 90}
	if d.comment == "" && r.IntN(2) == 0 {
		d.comment = "申请人已签署告知承诺书，依承诺予以办理，转事中事后核查。"
		if it.Type == "01" {
			d.comment = "申请人已签署告知承诺书，依承诺准予许可，转事中事后核查。"
		}
	}
	rules := it.EffectiveRules()
	switch n := r.IntN(6); {
	case n == 0 && slices.Contains(rules.Delivery, "online"):
		x.delivery = "online"
	case n == 1 && slices.Contains(rules.Delivery, "post"):
		x.delivery, x.arrived = "post", true
	}
	return out
}

// postCheck: the 事中事后核查 the decision opened, weeks later: confirmed,
// or the decision revoked with the findings.
func (w *way) postCheck(out []move, action string) ([]move, bool) {
	r, p := w.r, w.p
	a := w.pl.actionOf(p, w.main[w.decision])
	if a == nil || len(a.Spawn) == 0 {
		return nil, false
	}
	check, _ := p.wf.Step(a.Spawn[0])
	actor, ok := w.pl.actorFor(p, check)
	if !ok {
		return nil, false
	}
	note := pick(r, postCheckPassed)
	if action == "revoke" {
		note = revokeNotes.pick(r, &p.entry.Item)
	}
	return append(out, move{step: check.ID, action: action, actor: actor, status: out[len(out)-1].status, comment: note,
		wait: wait{5 + r.IntN(12), 30, 300}}), true
}

// actionOf is the workflow action a move takes (nil for a procedure).
func (pl *planner) actionOf(p *planned, m move) *casework.ActionDef {
	st, ok := p.wf.Step(m.step)
	if !ok {
		return nil
	}
	a, _ := st.Action(m.action)
	return a
}

// mainWait is when the i-th move of a case's way comes, as schedule
// places the mix's.
func (pl *planner) mainWait(p *planned, main []move, i int) wait {
	r := pl.r
	a := pl.actionOf(p, main[i])
	online := p.who.online()
	switch {
	case i == 0 && !online:
		return wait{0, 3, 15} // at the desk, while the applicant waits
	case i == 0:
		return wait{r.IntN(2), 20, 240} // pre-review the same or the next working day
	case a != nil && a.Finish != "" && !online && main[i-1].step == p.wf.Start && r.IntN(10) < 7:
		return wait{0, 1, 8} // decided at the window, handed over at once
	case a != nil && a.Finish != "":
		return wait{pick(r, []int{0, 1, 1, 2, 2, 3}), 30, 180} // the applicant comes to collect
	case main[i-1].step == p.wf.Start:
		return wait{1 + r.IntN(2), 0, 0} // to the department behind the window
	}
	return wait{r.IntN(3), 20, 200}
}

// supplementMove is the 补正 notice the actor of move m writes instead of
// taking it: one or two of the materials given, each with its reason.
func (pl *planner) supplementMove(p *planned, m move, window bool) (move, []catalog.Material, bool) {
	r := pl.r
	var cands []catalog.Material
	for _, mat := range p.mats {
		if mat.Source == "申请人自备" {
			cands = append(cands, mat)
		}
	}
	if len(cands) == 0 {
		return move{}, nil, false
	}
	r.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	asked := cands[:1]
	if len(cands) > 1 && r.IntN(3) == 0 {
		asked = cands[:2]
	}
	var items []any
	for _, mat := range asked {
		items = append(items, map[string]any{"material": mat.ID, "reason": supplementReason(r, mat)})
	}
	note := ""
	switch {
	case window && r.IntN(2) == 0:
		note = pick(r, supplementAtWindow)
	case !window && r.IntN(2) == 0:
		note = pick(r, supplementInReview)
	}
	return move{action: "supplement", actor: m.actor, status: casework.StatusSupplement, data: map[string]any{"materials": items},
		comment: note, wait: m.wait}, asked, true
}

// deliverBy sends the result of a case by post (handed to EMS, perhaps
// delivered) or electronically (at once, by the platform) instead of its
// hand-over at the window.
func (pl *planner) deliverBy(p *planned, moves []move, decision int, method string, arrived bool) ([]move, bool) {
	r := pl.r
	h := slices.IndexFunc(moves, func(m move) bool { return m.action == "handover" })
	if h < 0 {
		return nil, false
	}
	switch method {
	case "online":
		moves = slices.Delete(slices.Clone(moves), h, h+1)
		moves[decision].status = casework.StatusDelivered // 电子送达, as the decision is made
		p.delivery = &casework.DeliveryInput{Method: "online"}
	case "post":
		st, _ := p.wf.Step(moves[h].step)
		a, ok := st.Action("post")
		if !ok || len(a.To) != 1 {
			return nil, false
		}
		post := moves[h]
		post.action, post.status, post.comment = "post", moves[h-1].status, ""
		post.data = map[string]any{"carrier": "中国邮政EMS", "trackingNo": fmt.Sprintf("11%011d", r.Int64N(1e11))}
		switch n := r.IntN(3); {
		case n == 0 && p.entry.Item.Flags.FreeMail:
			post.comment = "已按申请人填写的地址免费邮寄。"
		case n < 2:
			post.comment = "结果文书已封装，交中国邮政EMS寄递。"
		}
		out := append(slices.Clone(moves[:h]), post)
		if arrived {
			out = append(out, move{step: a.To[0], action: "confirm", actor: clerk, status: casework.StatusDelivered,
				comment: pick(r, deliveredNotes), wait: wait{1 + r.IntN(3), 30, 300}})
		}
		moves = append(out, moves[h+1:]...)
		p.delivery = pl.postTo(p)
	default:
		return nil, false
	}
	// The form's own question about the result says the same.
	if p.entry.Form != nil {
		for _, f := range p.entry.Form.FieldsFor(catalog.Answers(p.sit)) {
			switch {
			case f.Name == "delivery" && method == "post" && slices.ContainsFunc(f.Options, func(o catalog.Option) bool { return o.ID == "mail" }):
				p.form[f.Name] = []string{"mail"}
			case f.Name == "delivery" && method == "online" && slices.ContainsFunc(f.Options, func(o catalog.Option) bool { return o.ID == "electronic" }):
				p.form[f.Name] = []string{"electronic"}
			case f.Name == "mailAddress" && method == "post":
				p.form[f.Name] = []string{p.delivery.Address}
			}
		}
	}
	return moves, true
}

// Phones of the demo's own people, for a parcel's recipient.
var knownPhones = map[string]string{"王秀英": "13957112345", "李建国": "13605718866", "陈晓峰": "15867123456"}

// postTo is where the applicant has the result sent: home, or the
// company's address for its agent.
func (pl *planner) postTo(p *planned) *casework.DeliveryInput {
	r := pl.r
	home := func() string {
		a := fmt.Sprintf("浙江省杭州市桐庐县%s%d号", pick(r, streets), 1+r.IntN(399))
		if r.IntN(2) == 0 {
			a += fmt.Sprintf("%d幢%d单元%d0%d室", 1+r.IntN(12), 1+r.IntN(3), 1+r.IntN(18), 1+r.IntN(4))
		}
		return a
	}
	switch {
	case p.who.walkIn != nil:
		phone := p.who.walkIn.phone
		if phone == "" {
			phone = knownPhones[p.who.walkIn.name]
		}
		return &casework.DeliveryInput{Method: "post", Recipient: p.who.walkIn.name, Phone: phone, Address: home()}
	case p.who.account == "citizen1":
		return &casework.DeliveryInput{Method: "post", Recipient: "王秀英", Phone: knownPhones["王秀英"], Address: home()}
	case p.who.account == "citizen2":
		return &casework.DeliveryInput{Method: "post", Recipient: "李建国", Phone: knownPhones["李建国"], Address: home()}
	}
	return &casework.DeliveryInput{Method: "post", Recipient: "陈晓峰", Phone: knownPhones["陈晓峰"], Address: "浙江省杭州市桐庐县桐君街道春江路158号"}
}

func unitOf(u string) string {
	if u == "" {
		return "1"
	}
	return u
}

// scheduleException places the case and its moves in time and checks
// what the exception needs of it: a supplement limit still running (or
// run out before now), a request of these days, a 容缺 date the rule
// allows. strict asks for the wished-for timing too.
func (pl *planner) scheduleException(p *planned, x exSpec, strict bool) bool {
	r, tl, tab := pl.r, pl.tl, pl.tab
	rules := p.entry.Item.EffectiveRules()
	total := 0
	for _, m := range p.moves {
		total += m.wait.days
	}
	// lo..hi: how many working days back the last move comes (about).
	lo, hi := 0, workingDaysBack
	switch {
	case x.kind == exSupplementOpen && x.near:
		lo, hi = 12, 15
	case x.kind == exSupplementOpen:
		lo, hi = 0, 9
	case x.kind == exSupplemented:
		lo, hi = 0, 6
	case x.kind == exUnsupplemented:
		lo = 17
	case x.kind == exSpecialOpen || x.kind == exExtensionOpen:
		lo, hi = 0, 2
	case x.kind == exToleranceHeld && x.overdue:
		lo, hi = 4, 12
	case x.kind == exToleranceHeld:
		lo, hi = 0, 4
	}
	hi = min(hi, workingDaysBack-total)
	if hi < lo {
		return false
	}
	start := total + lo + r.IntN(hi-lo+1)
	if p.who.online() {
		p.created = tl.online(r, start)
	} else {
		p.created = tl.office(r, start, 60)
	}
	prev := p.created
	for i := range p.moves {
		m := &p.moves[i]
		switch {
		case m.sweep:
			// The server sweeps every minute: the case closes just after its
			// supplement limit ran out.
			due, _, err := casework.DueAt(tab, p.moves[i-1].at, rules.SupplementLimit.Amount, rules.SupplementLimit.Unit)
			if err != nil {
				return false
			}
			m.at = due.Add(time.Duration(40+r.IntN(200)) * time.Second)
			if !m.at.Before(tl.now) {
				return false
			}
		case m.online:
			m.at = pl.onlineLater(prev, m.wait)
		default:
			// Staff act in office hours (a way squeezed into the last
			// working day would run past closing).
			m.at = tl.later(r, prev, m.wait.days, m.wait.lo, m.wait.hi)
			if l := m.at.In(calendar.Shanghai); !tab.IsWorkday(calendar.DateOf(m.at)) || l.Hour()*60+l.Minute() < 8*60+30 || l.Hour() >= 17 {
				return false
			}
		}
		prev = m.at
	}
	find := func(action string) *move {
		for i := range p.moves {
			if p.moves[i].action == action {
				return &p.moves[i]
			}
		}
		return nil
	}
	now := tl.now
	switch x.kind {
	case exSupplementOpen, exSupplemented:
		// Still within the supplement limit, so the sweeper leaves it be.
		sp := find("supplement")
		due, _, err := casework.DueAt(tab, sp.at, rules.SupplementLimit.Amount, rules.SupplementLimit.Unit)
		if err != nil || !due.After(now) {
			return false
		}
		if x.kind == exSupplementOpen && strict {
			soon, _, _ := casework.DueAt(tab, now, 2, "1")
			later, _, _ := casework.DueAt(tab, now, 4, "1")
			if x.near && due.After(soon) || !x.near && !due.After(later) {
				return false
			}
		}
	case exSpecialOpen:
		sp := find("special-start")
		var limit catalog.Limit
		for _, s := range p.entry.Item.SpecialProcedures {
			if s.Name == sp.data["procedure"] {
				limit = s.Limit
			}
		}
		due, _, err := casework.DueAt(tab, sp.at, sp.data["days"].(int), unitOf(limit.Unit))
		if err != nil || strict && !due.After(now) {
			return false
		}
	case exExtensionOpen, exExtensionApproved:
		// Asked for before the promised date.
		ext := find("extend")
		for _, m := range p.moves {
			if a := pl.actionOf(p, m); a != nil && a.Accept {
				if due, ok := dueAfter(tab, m.at, p.entry.Item.PromisedLimit); ok && !ext.at.Before(due) {
					return false
				}
			}
		}
		if n, _, err := tab.WorkingDaysBetween(ext.at, now); x.kind == exExtensionOpen && strict && (err != nil || n > 3) {
			return false
		}
	case exToleranceHeld, exToleranceArrived:
		// The date the applicant pledges: after the day of application,
		// within the rule's days; still to come for a result held now,
		// passed for an overdue one, not before the day it came.
		latest, _, err := tab.AddWorkingDays(p.created, rules.ToleranceDays)
		if err != nil {
			return false
		}
		from, to := calendar.DateOf(p.created).AddDays(1), latest
		today := calendar.DateOf(now)
		switch {
		case x.kind == exToleranceArrived:
			if d := calendar.DateOf(find("supply").at); d.After(from) {
				from = d
			}
		case x.overdue:
			if y := today.AddDays(-1); y.Before(to) {
				to = y
			}
		case strict || !today.After(to):
			if today.After(from) {
				from = today
			}
		}
		var days []calendar.Date
		for d := from; !d.After(to); d = d.AddDays(1) {
			if tab.IsWorkday(d) {
				days = append(days, d)
			}
		}
		if len(days) == 0 {
			return false
		}
		due := pick(r, days)
		for i := range p.deferred {
			p.deferred[i].Due = due.String()
		}
	case exPledge:
		if x.check == "" {
			break
		}
		var decided time.Time
		for _, m := range p.moves {
			if a := pl.actionOf(p, m); a != nil && a.Decide != "" {
				decided = m.at
			}
		}
		due, _, err := casework.DueAt(tab, decided, rules.PostCheckLimit.Amount, rules.PostCheckLimit.Unit)
		if err != nil || !p.moves[len(p.moves)-1].at.Before(due) {
			return false
		}
	}
	return true
}

// onlineLater is a moment an applicant acts online, w.days working days
// after prev at any hour of the day (as tl.online), else as tl.later.
func (pl *planner) onlineLater(prev time.Time, w wait) time.Time {
	r, tl := pl.r, pl.tl
	if idx, ok := tl.index[calendar.DateOf(prev)]; ok && w.days > 0 {
		if t := tl.online(r, max(0, idx-w.days)); t.After(prev) {
			return t
		}
	}
	return tl.later(r, prev, w.days, w.lo, w.hi)
}

// sweep runs the sweeper at the move's moment and reads the case again.
func (run *runner) sweep(ctx context.Context, p *planned, st *caseState, m move) error {
	if _, err := run.s.Sweep(ctx); err != nil {
		return fmt.Errorf("demo case %d (%s, %s): sweep: %w", p.n, p.entry.Item.Name, st.c.No, err)
	}
	viewer, err := run.users.get(st.viewer)
	if err != nil {
		return err
	}
	c, err := run.s.Get(as(ctx, viewer), viewer, st.c.ID)
	if err != nil {
		return err
	}
	if c.Status != m.status {
		return fmt.Errorf("demo case %d (%s, %s): after the sweep %s, planned %s", p.n, p.entry.Item.Name, c.No, c.Status, m.status)
	}
	st.c = c
	return nil
}

// supplyData is what the actor hands in: a fresh scan of each material
// asked for (the corrected document), uploaded now.
func (run *runner) supplyData(ctx context.Context, actor *identity.Principal, m move) (map[string]any, error) {
	var list []any
	for _, mat := range m.supply {
		name := []rune(mat.Name)
		if len(name) > 24 {
			name = name[:24]
		}
		f, err := run.s.Files.Upload(ctx, actor, "补正_"+string(name)+".pdf", strings.NewReader(ScanPDF(fmt.Sprintf("%s %s %s", actor.DisplayName, mat.ID, m.at.Format(time.RFC3339)))))
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", mat.Name, err)
		}
		list = append(list, map[string]any{"material": mat.ID, "file": f.ID})
	}
	return map[string]any{"materials": list}, nil
}

// What the staff and the applicants write in the exceptions.
var (
	supplementReasons = []worded{
		{[]string{"申请表", "申请书", "登记表", "审批表", "审核表", "信息表", "采集表", "注册书"}, []string{
			"申请表未经申请人签字（盖章）确认，请签字后重新提交。",
			"申请表“联系电话”“经营项目”等栏目填写不完整，请补充完整。",
			"申请表所填地址与场所证明材料不一致，请核对后重新填写。",
			"使用的是旧版申请表，请下载最新版本重新填写。"}},
		{[]string{"平面", "布局", "示意图", "图纸", "位置图", "流程图", "方案"}, []string{
			"平面布局图未标注各功能区名称、面积及主要设施位置，请按比例重新绘制。",
			"布局图未标明更衣、洗手消毒、垃圾暂存等设施的位置，请补充标注。",
			"图纸未加盖设计单位出图专用章，请提供盖章版本。"}},
		{[]string{"租赁", "产权", "使用证明", "使用权证明", "住所", "场所证明", "房屋"}, []string{
			"房屋租赁合同已过期，请提供有效期内的租赁合同及出租方产权证明。",
			"出租方与产权证明所载权利人不一致，请补充产权人同意出租（转租）的书面证明。",
			"场所使用证明未加盖出具单位公章，请重新提供。"}},
		{[]string{"制度", "规程", "预案", "措施"}, []string{
			"所附制度仅有目录，缺少具体条款内容，请补充完整文本。",
			"制度文本未结合本单位实际经营项目制定，请修改完善后重新提交。"}},
		{[]string{"健康", "体检"}, []string{"健康体检证明已超过有效期，请提供近期出具的体检证明。", "体检证明缺少医疗机构盖章，请重新提供。"}},
		{[]string{"合同", "协议"}, []string{"合同缺少签字页，请提交完整的合同文本。", "协议未注明签订日期且缺少一方签章，请补充完整。"}},
		{[]string{"照片", "相片"}, []string{"照片不符合证件照要求（白底、免冠、近六个月内），请重新提交。"}},
		{[]string{"证明", "报告", "凭证", "票据", "证书"}, []string{
			"证明材料出具日期已超过六个月，请重新开具。",
			"所附报告缺少出具机构盖章页，请提供完整有效的报告。",
			"复印件模糊不清、关键信息无法辨认，请重新上传清晰的扫描件。"}},
	}
	supplementOther    = []string{"所附扫描件缺页（仅上传了首页），请重新上传完整材料。", "材料内容与申请表填写信息不一致，请核对后重新提交。"}
	supplementAtWindow = []string{"材料补齐后予以受理。", "请补齐后通过“浙里办”上传或送至县政务服务中心综合窗口。", "已当场一次性告知需补正的全部内容。"}
	supplementInReview = []string{"请在补正期限内一次性补齐，补正期间不计算审查时限。", "补正材料可通过“浙里办”上传或送至县政务服务中心综合窗口。",
		"请按告知书逐项补正，逾期未补正的按补正不来办结。"}

	extensionApproveNotes = []string{"同意延期，请将延期理由书面告知申请人。", "同意。", "同意延期，请抓紧办理。"}
	withdrawByPerson      = []string{"申请信息填写有误，撤回后重新申请。", "因个人原因暂不办理。", "计划有变，暂不办理此事项。"}
	withdrawByCompany     = []string{"经营场所装修尚未完成，暂不申请，先行撤回。", "公司经营计划调整，暂不办理，申请撤回。", "申报信息有误，撤回后重新提交。"}
	voidByDepartment      = []string{"经核查，申请人已在另一办件中申请同一事项并正在办理，本件作废。", "经核实，申请材料所载身份信息与申请人不符，系录入错误，本件作废。",
		"申请人主体资格已注销，申请事项无法继续办理，本件作废。"}
	postCheckPassed = []string{"经现场核查，申请人实际情况与承诺内容一致，核查通过。", "经书面核查及现场检查，承诺属实，核查通过。", "核查通过，已录入事中事后监管档案。"}
	revokeNotes     = notes{
		general: []string{"核查发现申请人实际情况与承诺内容不符，经限期整改仍未达到要求，依法撤销准予决定。"},
		byWord: []worded{
			{[]string{"食品"}, []string{"事后核查发现：经营场所未设置独立的更衣及洗手消毒设施，食品处理区与就餐区未分隔，与承诺的许可条件不符，经责令整改逾期未改正，依法撤销许可决定。"}},
			{[]string{"卫生许可"}, []string{"核查发现：场所未取得合格的卫生检测报告，3名从业人员未持有效健康合格证明上岗，与承诺内容不符，依法撤销许可决定。"}},
			{[]string{"道路货物运输"}, []string{"核查发现：2名驾驶人员未取得道路货物运输从业资格证，与承诺内容不符，依法撤销许可决定。"}},
			{[]string{"旅行社"}, []string{"核查发现：未按承诺交存旅游服务质量保证金，经催告仍未交存，依法撤销许可决定。"}},
			{[]string{"施工许可"}, []string{"核查发现：施工图设计文件未经审查合格即开工建设，与承诺内容不符，依法撤销施工许可。"}},
			{[]string{"环境影响"}, []string{"核查发现：项目主要污染物排放总量来源未落实，与承诺内容不符，依法撤销审批决定。"}},
			{[]string{"特种设备"}, []string{"核查发现：所登记的特种设备未经定期检验即投入使用，与承诺内容不符，依法撤销使用登记。"}},
		},
	}
	deliveredNotes = []string{"经查询EMS物流信息，邮件已由收件人签收。", "收件人来电确认已收到。", "EMS回执显示已妥投。"}
)

// supplementReason is why material m is to be supplemented.
func supplementReason(r *rand.Rand, m catalog.Material) string {
	for _, w := range supplementReasons {
		if slices.ContainsFunc(w.words, func(word string) bool { return strings.Contains(m.Name, word) }) {
			return pick(r, w.notes)
		}
	}
	return pick(r, supplementOther)
}

// extendNotes are the reasons an approver asks for more time on item it.
func extendNotes(it *catalog.Item) []string {
	out := []string{"现场核查发现需整改事项，待申请人整改后复查，无法在承诺时限内作出决定，申请延期。",
		"同期申请集中，现场核查安排不及，申请延长办理期限。"}
	if strings.Contains(it.Name, "食品") {
		out = append(out, "申请经营项目含冷食类、生食类食品制售，需补充核查专间设置情况，申请延期。")
	}
	if strings.Contains(it.Name, "药品") {
		out = append(out, "计算机管理系统尚需核验药品追溯功能，申请延长办理期限。")
	}
	return out
}

// specialText is what is written about one kind of special procedure:
// why it is started, how it ended, and how it fails.
type specialText struct {
	reasons, passed []string
	failed, denied  string
}

func specialTexts(name string) specialText {
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(name, w) })
	}
	switch {
	case has("专家评审"):
		return specialText{
			reasons: []string{"申请事项技术性较强，须组织专家评审。", "依规组织相关领域专家对申请材料进行技术评审。"},
			passed:  []string{"专家评审意见：方案技术可行，符合相关标准规范，同意通过。", "专家评审通过，评审意见已存档。"},
			failed:  "专家评审意见：方案存在重大技术缺陷，不同意通过。",
			denied:  "经专家评审，申请事项不符合相关技术标准，不予许可。"}
	case has("公示"):
		return specialText{
			reasons: []string{"依规对申请事项进行公示，接受社会监督。", "申请事项须经公示，公示期间不计入办理时限。"},
			passed:  []string{"公示期满，未收到异议。", "公示期满无异议。"},
			failed:  "公示期间收到实名异议，经调查核实异议成立。",
			denied:  "公示期间收到实名异议，经调查核实异议成立，不予批准。"}
	case has("听证"):
		return specialText{
			reasons: []string{"申请事项涉及周边居民重大利益，依利害关系人申请组织听证。"},
			passed:  []string{"听证会已举行，听证笔录已存档，听证意见作为决定依据。"},
			failed:  "听证会上利害关系人提出的异议经核实成立。",
			denied:  "根据听证意见，申请事项对周边居民影响较大，不予批准。"}
	case has("技术评估"):
		return specialText{
			reasons: []string{"须委托技术评估机构开展技术评估。"},
			passed:  []string{"技术评估结论：项目可行。", "技术评估报告已出具，结论为可行。"},
			failed:  "技术评估结论：不可行。",
			denied:  "经技术评估，项目不具备实施条件，不予许可。"}
	case has("核对"):
		return specialText{
			reasons: []string{"须通过居民家庭经济状况核对系统核对申请人家庭收入和财产状况。"},
			passed:  []string{"核对结果：申请人家庭人均收入低于本县最低生活保障标准。"},
			failed:  "核对结果：申请人家庭名下有机动车两辆，家庭财产超过规定标准。",
			denied:  "经家庭经济状况核对，申请人家庭财产超过规定标准，不予批准。"}
	case has("评估"):
		return specialText{
			reasons: []string{"依规委托第三方机构开展评估。"},
			passed:  []string{"评估报告结论：符合条件。"},
			failed:  "评估报告结论：不符合条件。",
			denied:  "经评估，申请人不符合条件，不予办理。"}
	case has("检验", "检测"):
		return specialText{
			reasons: []string{"须委托有资质的检验检测机构进行检测。"},
			passed:  []string{"检测结果合格，检测报告已存档。"},
			failed:  "检测结果不合格。",
			denied:  "经检验检测，结果不符合标准要求，不予许可。"}
	}
	// 现场核查, 现场审查, 现场审核, 现场检查, 实地检查, 实地核查, 实地考察,
	// 现场查勘, 现场评定, 联合踏勘 …
	return specialText{
		reasons: []string{"需对申请场所进行" + name + "，已与申请人约定时间。", "根据审查要求，须对申请场所的布局和设施设备进行" + name + "。",
			"申请材料所载场所条件需经" + name + "确认。"},
		passed: []string{name + "结论：场所布局合理，设施设备与申请材料一致，符合要求。", "经" + name + "，各项条件符合审查标准，核查记录已存档。"},
		failed: name + "发现：场所布局与申请材料不符，相关设施未按要求设置。",
		denied: "经" + name + "，场所条件不符合许可要求，不予许可。"}
}
