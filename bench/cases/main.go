// Command cases fills a yiwang installation with a large case history for
// the case-detail and case-list speed budgets (issue 4): it loads the demo
// data into an empty installation, adds synthetic applicants, then writes
// N cases spread over departments, items, statuses, applicants and about
// two years, each with its tasks (an open task for every open case), its
// timeline and its materials, exactly as the casework service would have
// stored them: the form and the query password are sealed with the
// installation's key, so the server shows generated cases like any other.
//
//	go run ./bench/cases --data /tmp/yiwang-bench-cases --cases 1000000
//	go run ./bench/cases --db 'postgres://…/yiwang_bench_cases?sslmode=disable' --data /tmp/yiwang-bench-cases-pg
//
// Rows go in as multi-row INSERTs in large transactions through
// internal/db (one code path for both databases). It prints the bench/load
// command lines to measure with afterwards. See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"yiwang/internal/app"
	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/db"
	"yiwang/internal/demo"
	"yiwang/internal/identity"
	"yiwang/internal/secret"
	"yiwang/internal/stdcode"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "cases:", err)
		os.Exit(1)
	}
}

type config struct {
	data, dsn   string
	cases       int
	open        int
	days        int
	people      int
	companies   int
	scjgShare   float64
	batch       int
	txCases     int
	seed        uint64
	analyze     string
	printAddr   string
	progressOut io.Writer
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("cases", flag.ContinueOnError)
	fs.StringVar(&c.data, "data", "/tmp/yiwang-bench-cases", "data directory: SQLite file (unless --db), uploads and the personal-data key")
	fs.StringVar(&c.dsn, "db", "", "PostgreSQL DSN (instead of SQLite); the key stays in --data, so start the server with the same --data")
	fs.IntVar(&c.cases, "cases", 1_000_000, "cases to generate (drafts included)")
	fs.IntVar(&c.open, "open", 6000, "the most recent cases are still open, each with one open task")
	fs.IntVar(&c.days, "days", 730, "the history spans this many days up to now")
	fs.IntVar(&c.people, "people", 20000, "synthetic people (half with an online account)")
	fs.IntVar(&c.companies, "companies", 2000, "synthetic companies (half with an online account)")
	fs.Float64Var(&c.scjgShare, "scjg-share", 0.4, "share of cases for 市场监管 (scjg) items")
	fs.IntVar(&c.batch, "batch", 500, "cases per generated batch")
	fs.IntVar(&c.txCases, "tx", 20000, "cases per transaction")
	fs.Uint64Var(&c.seed, "seed", 4, "random seed")
	fs.StringVar(&c.analyze, "analyze", "auto", "run ANALYZE when done: yes, no, or auto (PostgreSQL yes — autovacuum would soon; SQLite no — the server never does)")
	fs.StringVar(&c.printAddr, "addr", "127.0.0.1:18091", "server address used in the printed commands")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.cases < 1 || c.cases > 20_000_000:
		return c, fmt.Errorf("--cases must be between 1 and 20000000")
	case c.open < 0 || c.open > c.cases:
		return c, fmt.Errorf("--open must be between 0 and --cases")
	case c.days < 1 || c.days > 3650:
		return c, fmt.Errorf("--days must be between 1 and 3650")
	case c.people < 10 || c.companies < 10:
		return c, fmt.Errorf("--people and --companies must be at least 10")
	case c.scjgShare < 0 || c.scjgShare > 1:
		return c, fmt.Errorf("--scjg-share must be between 0 and 1")
	case c.batch < 1 || c.txCases < c.batch:
		return c, fmt.Errorf("--batch must be at least 1 and --tx at least --batch")
	case c.analyze != "auto" && c.analyze != "yes" && c.analyze != "no":
		return c, fmt.Errorf("--analyze must be yes, no or auto")
	}
	return c, nil
}

// combo is one way of answering an item's questions, with what follows.
type combo struct {
	answers   catalog.Answers
	situation string            // answers as stored
	materials []string          // materials a submission must bring
	prefill   map[string]string // form field → prefill source
	variants  []catalog.Values  // forms filled without the prefilled fields
}

// itemPlan is an item cases are generated for.
type itemPlan struct {
	e        *catalog.Entry
	dept     identity.Department
	wfID     string
	wf       *casework.Workflow
	wfRev    int
	persons  bool // serves natural persons
	orgs     bool // serves organisations
	online   bool
	reviewer *identity.Principal
	decider  *identity.Principal
	combos   []combo
}

type generator struct {
	cfg   config
	r     *rand.Rand
	ids   idsAt
	box   *secret.Box
	tab   *calendar.Table
	pop   *population
	items []*itemPlan
	cum   []float64 // cumulative item weights
	nb    *numberer
	now   time.Time

	scjgID  string
	samples []string // scjg case numbers, for the printed commands
	openNos []string // scjg case numbers of open cases
	counts  map[string]int
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	started := time.Now()
	a, err := app.New(ctx, app.Config{DSN: cfg.dsn, DataDir: cfg.data, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "bench"})
	if err != nil {
		return err
	}
	defer a.Close()
	var existing int
	if err := a.DB.QueryRowContext(ctx, `SELECT count(*) FROM cases`).Scan(&existing); err != nil {
		return err
	}
	if existing > 0 {
		return fmt.Errorf("the installation already has %d cases: generate into a fresh --data directory (and --db database)", existing)
	}
	if _, loaded, err := a.LoadDemo(ctx); err != nil {
		return err
	} else if loaded {
		fmt.Fprintln(stdout, "loaded the demo data")
	}
	// The box the server uses: the same key file in --data.
	key, _, err := secret.LoadOrCreateKeyFile(filepath.Join(cfg.data, "keys", "data.key"))
	if err != nil {
		return err
	}
	box, err := secret.New(key)
	if err != nil {
		return err
	}
	tab, err := a.Calendar.Table(ctx)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(cfg.seed, cfg.seed*0x9e3779b97f4a7c15+1))
	g := &generator{cfg: cfg, r: r, ids: idsAt{r: rand.New(rand.NewPCG(cfg.seed+1, 77))}, box: box, tab: tab, nb: newNumberer(),
		now: time.Now().UTC().Truncate(time.Microsecond), counts: map[string]int{}}

	// Case numbers continue after any the installation has given (the
	// demo may have made sample cases): the counters are at or past them.
	crows, err := a.DB.QueryContext(ctx, `SELECT prefix, last FROM case_counters`)
	if err != nil {
		return err
	}
	for crows.Next() {
		var p string
		var last int64
		if err := crows.Scan(&p, &last); err != nil {
			crows.Close()
			return err
		}
		g.nb.last[p] = last
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return err
	}

	var staffUsers []string
	rows, err := a.DB.QueryContext(ctx, `SELECT username FROM accounts WHERE kind = 'staff' ORDER BY username`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return err
		}
		staffUsers = append(staffUsers, u)
	}
	rows.Close()
	if g.pop, err = buildPopulation(ctx, a, r, cfg.people, cfg.companies, staffUsers); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applicants: %d synthetic people, %d synthetic companies, citizen1, citizen2, company1\n", len(g.pop.people), len(g.pop.companies))
	if err := g.planItems(ctx, a); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "items: %d of the catalogue (workflows instant, standard, head-decides)\n", len(g.items))

	if err := g.generate(ctx, a.DB, stdout); err != nil {
		return err
	}
	if err := g.finish(ctx, a.DB, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done in %s\n", time.Since(started).Round(time.Second))
	return g.printCommands(ctx, a.DB, stdout)
}

// planItems picks the items, their staff and their answer combinations.
func (g *generator) planItems(ctx context.Context, a *app.App) error {
	snap, err := a.Catalog.Snapshot(ctx)
	if err != nil {
		return err
	}
	deps, err := a.Identity.Departments(ctx)
	if err != nil {
		return err
	}
	byID := map[string]identity.Department{}
	for _, d := range deps {
		byID[d.ID] = d
		if d.Code == "scjg" {
			g.scjgID = d.ID
		}
	}
	wfs := map[string]*casework.StoredWorkflow{}
	var weights []float64
	var scjgItems, otherItems int
	for _, e := range snap.Entries {
		id := e.Item.Workflow
		if id == "" {
			id = casework.DefaultWorkflow(e.Item.HandlingType)
		}
		if scripts[id] == nil {
			continue // parallel branches (joint review) are not generated
		}
		if wfs[id] == nil {
			if wfs[id], err = a.Cases.GetWorkflow(ctx, id); err != nil {
				return err
			}
		}
		wf := &wfs[id].Workflow
		p := &itemPlan{e: e, dept: byID[e.DeptID], wfID: id, wf: wf, wfRev: wfs[id].Revision, online: e.Item.OnlineDepth >= 3}
		for _, o := range e.Item.ServiceObjects {
			if o == "1" {
				p.persons = true
			} else {
				p.orgs = true
			}
		}
		p.reviewer, p.decider = g.deptStaff(p.dept.ID, false), g.deptStaff(p.dept.ID, true)
		if !p.persons && !p.orgs || !g.staffFits(p) {
			continue
		}
		p.combos = g.combos(p)
		g.items = append(g.items, p)
		if e.DeptID == g.scjgID {
			scjgItems++
		} else {
			otherItems++
		}
	}
	if scjgItems == 0 || otherItems == 0 {
		return fmt.Errorf("the catalogue has %d scjg and %d other items that can be generated", scjgItems, otherItems)
	}
	for _, p := range g.items {
		w := (1 - g.cfg.scjgShare) / float64(otherItems)
		if p.e.DeptID == g.scjgID {
			w = g.cfg.scjgShare / float64(scjgItems)
		}
		weights = append(weights, w)
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
		g.cum = append(g.cum, sum)
	}
	return nil
}

// deptStaff is who acts in a department's steps: an approver for review,
// and for decisions the department head when there is one.
func (g *generator) deptStaff(deptID string, decide bool) *identity.Principal {
	var approver, head *identity.Principal
	names := make([]string, 0, len(g.pop.staff))
	for u := range g.pop.staff {
		names = append(names, u)
	}
	slices.Sort(names)
	for _, u := range names {
		p := g.pop.staff[u]
		if p.DepartmentID != deptID {
			continue
		}
		if head == nil && p.HasRole(identity.RoleDeptHead) {
			head = p
		}
		if approver == nil && p.HasRole(identity.RoleApprover) && !p.HasRole(identity.RoleDeptHead) {
			approver = p
		}
	}
	if approver == nil {
		approver = head
	}
	if decide && head != nil {
		return head
	}
	return approver
}

// staffFits: every owner step has someone holding one of its roles.
func (g *generator) staffFits(p *itemPlan) bool {
	for i := range p.wf.Steps {
		st := &p.wf.Steps[i]
		if st.Actor.Department != casework.DeptOwner {
			continue
		}
		if who := g.stepActor(p, st); who == nil || !slices.ContainsFunc(st.Actor.Roles, func(r string) bool { return who.HasRole(identity.Role(r)) }) {
			return false
		}
	}
	return true
}

func (g *generator) stepActor(p *itemPlan, st *casework.StepDef) *identity.Principal {
	switch {
	case st.Actor.Department == casework.DeptWindow:
		return g.pop.clerk
	case slices.Contains(st.Actor.Roles, "dept_head"):
		return p.decider
	}
	return p.reviewer
}

// combos: up to four answer combinations per item, each with eight forms
// filled by demo.FillForm (免填写 fields left out, filled per applicant).
func (g *generator) combos(p *itemPlan) []combo {
	n := 1
	for _, s := range p.e.Item.Situations {
		n *= max(1, len(s.Options))
	}
	var out []combo
	seen := map[string]bool{}
	for try := 0; try < 16 && len(out) < min(n, 4); try++ {
		ans := catalog.Answers{}
		for _, s := range p.e.Item.Situations {
			if len(s.Options) > 0 {
				ans[s.ID] = s.Options[g.r.IntN(len(s.Options))].ID
			}
		}
		sit, _ := json.Marshal(ans)
		if seen[string(sit)] {
			continue
		}
		seen[string(sit)] = true
		c := combo{answers: ans, situation: string(sit), prefill: map[string]string{}}
		for _, m := range p.e.Item.MaterialsFor(ans) {
			if casework.MustSubmit(m) {
				c.materials = append(c.materials, m.ID)
			}
		}
		if p.e.Form != nil {
			for _, fl := range p.e.Form.FieldsFor(ans) {
				if fl.Prefill != "" {
					c.prefill[fl.Name] = fl.Prefill
				}
			}
		}
		for v := range 8 {
			c.variants = append(c.variants, demo.FillForm(p.e.Form, ans, g.r.Uint64()+uint64(v), func(string) bool { return true }))
		}
		out = append(out, c)
	}
	return out
}

func (g *generator) pickItem() *itemPlan {
	x := g.r.Float64() * g.cum[len(g.cum)-1]
	return g.items[sort.SearchFloat64s(g.cum, x)]
}

// party is who a case is for and who submitted it.
type party struct {
	ap        *applicant
	channel   string
	createdBy string
	submitter actor
}

func (g *generator) pickParty(p *itemPlan) party {
	company := p.orgs && (!p.persons || g.r.IntN(2) == 0)
	x := g.r.Float64()
	var ap *applicant
	named := false
	switch {
	case !company && p.online && x < 0.0006:
		ap, named = g.pop.named["citizen1"], true
	case !company && p.online && x < 0.0046:
		ap, named = g.pop.named["citizen2"], true
	case company && p.online && x < 0.004:
		ap, named = g.pop.named["company1"], true
	case company:
		ap = g.pop.companies[g.r.IntN(len(g.pop.companies))]
	default:
		ap = g.pop.people[g.r.IntN(len(g.pop.people))]
	}
	online := named || (ap.accountID != "" && p.online && g.r.Float64() < 0.6)
	if !online {
		c := g.pop.clerk
		return party{ap: ap, channel: casework.ChannelWindow, createdBy: c.AccountID, submitter: actor{AccountID: c.AccountID, Name: c.DisplayName, Org: orgOf(c)}}
	}
	name := ap.prefill["person.name"] // the account's display name: the person, or the company's agent
	return party{ap: ap, channel: casework.ChannelOnline, createdBy: ap.accountID, submitter: actor{AccountID: ap.accountID, Name: name, Org: ap.org}}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// batch is the rows of some cases, for one round of inserts.
type batch struct {
	cases, tasks, events, mats *bulk
	n                          int
}

var caseCols = []string{"id", "case_no", "item_id", "item_code", "item_version", "item_name", "department_id", "region_code", "item_type", "workflow_id", "workflow_rev",
	"status", "result", "result_code", "channel", "applicant_kind", "applicant_person_id", "applicant_company_id", "applicant_name", "applicant_id_masked", "agent_person_id", "agent_name",
	"created_by", "situation", "form_enc", "query_password_enc", "promised_amount", "promised_unit", "legal_amount", "legal_unit",
	"submitted_at", "accepted_at", "decided_at", "finished_at", "promised_due_at", "legal_due_at", "due_provisional", "revision", "listed_at", "created_at", "updated_at"}

var (
	tmplCases  = newBulk("cases", caseCols...)
	tmplTasks  = newBulk("case_tasks", "id", "case_id", "step_id", "step_name", "queue", "roles", "fork_id", "status", "created_at", "due_at", "done_at", "done_by", "action")
	tmplEvents = newBulk("case_events", "id", "case_id", "at", "actor_id", "actor_name", "actor_org", "step_id", "step_name", "action", "action_name", "from_status", "to_status", "comment")
	tmplMats   = newBulk("case_materials", "case_id", "material_id", "file_id", "added_at", "added_by")
)

func (b *bulk) fresh() *bulk {
	return &bulk{table: b.table, cols: b.cols, perStmt: b.perStmt, stmts: b.stmts}
}

func newBatch() *batch {
	return &batch{cases: tmplCases.fresh(), tasks: tmplTasks.fresh(), events: tmplEvents.fresh(), mats: tmplMats.fresh()}
}

// generate makes the cases in submission order on one goroutine and
// inserts them on another, committing every --tx cases.
func (g *generator) generate(ctx context.Context, d *db.DB, stdout io.Writer) error {
	from := g.now.Add(-time.Duration(g.cfg.days) * 24 * time.Hour)
	times := arrivals(g.r, g.cfg.cases, from, g.now.Add(-10*time.Minute))
	batches := make(chan *batch, 4)
	genErr := make(chan error, 1)
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		b := newBatch()
		for i, t := range times {
			if gctx.Err() != nil {
				genErr <- gctx.Err()
				return
			}
			if err := g.one(b, i, t); err != nil {
				genErr <- err
				return
			}
			if b.n == g.cfg.batch {
				batches <- b
				b = newBatch()
			}
		}
		if b.n > 0 {
			batches <- b
		}
		genErr <- nil
	}()
	if d.Dialect() == db.SQLite {
		// The generator's own connection only (SQLite has one writer
		// connection): a page cache big enough for the indexes, so that a
		// million inserts do not re-read pages from the OS. The server
		// keeps its own settings.
		if _, err := d.ExecContext(ctx, `PRAGMA cache_size = -1048576`); err != nil {
			return err
		}
	}
	start := time.Now()
	done := 0
	lastReport := time.Now()
	for more := true; more; {
		err := d.InTx(ctx, func(tx *db.Tx) error {
			for inTx := 0; inTx < g.cfg.txCases; {
				b, ok := <-batches
				if !ok {
					more = false
					return nil
				}
				for _, bl := range []*bulk{b.cases, b.mats, b.tasks, b.events} {
					if err := bl.flush(ctx, tx); err != nil {
						return fmt.Errorf("insert into %s: %w", bl.table, err)
					}
				}
				done += b.n
				inTx += b.n
				if time.Since(lastReport) > 10*time.Second {
					lastReport = time.Now()
					el := time.Since(start)
					fmt.Fprintf(stdout, "  %d cases (%.0f/s, %s)\n", done, float64(done)/el.Seconds(), el.Round(time.Second))
				}
			}
			return nil
		})
		if err != nil {
			cancel()
			for range batches {
			}
			return err
		}
	}
	if err := <-genErr; err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "inserted %d cases in %s (%.0f cases/s)\n", done, el.Round(time.Second), float64(done)/el.Seconds())
	return nil
}

// one generates case i, submitted at t, into b.
func (g *generator) one(b *batch, i int, t time.Time) error {
	p := g.pickItem()
	who := g.pickParty(p)
	cb := p.combos[g.r.IntN(len(p.combos))]
	id := g.ids.at(t)
	// The form as the applicant left it, with the prefilled fields the
	// server fills from the applicant's verified data.
	values := catalog.Values{}
	for k, v := range cb.variants[g.r.IntN(len(cb.variants))] {
		values[k] = v
	}
	for field, src := range cb.prefill {
		if v := who.ap.prefill[src]; v != "" {
			values[field] = []string{v}
		}
	}
	formJSON, err := json.Marshal(values)
	if err != nil {
		return err
	}
	formEnc, err := g.box.Seal("case.form", string(formJSON))
	if err != nil {
		return err
	}
	var personID, companyID, agentID any
	idMasked, agentName := "", ""
	if who.ap.kind == "person" {
		personID = who.ap.personID
		idMasked = stdcode.MaskIDNumber(who.ap.prefill["person.idNumber"])
	} else {
		companyID = who.ap.companyID
		if who.channel == casework.ChannelOnline {
			agentID, agentName = who.ap.personID, who.ap.prefill["person.name"]
		}
	}
	it := &p.e.Item
	files := g.pop.files
	if len(who.ap.files) > 0 && who.channel == casework.ChannelOnline {
		files = who.ap.files
	}
	for k, m := range cb.materials {
		b.mats.add(id, m, files[(i+k)%len(files)], t, who.createdBy)
	}
	b.n++

	// A small share of online applications are drafts never submitted.
	if who.channel == casework.ChannelOnline && g.r.IntN(400) == 0 {
		g.counts["draft"]++
		b.cases.add(id, nil, p.e.ID, it.Code, it.Version, it.Name, p.e.DeptID, it.Region, it.Type, p.wfID, p.wfRev,
			string(casework.StatusDraft), "", "", who.channel, who.ap.kind, personID, companyID, who.ap.name, idMasked, agentID, agentName,
			who.createdBy, cb.situation, formEnc, "", 0, "", 0, "",
			nil, nil, nil, nil, nil, nil, false, 0, t, t, t)
		return nil
	}
	no, err := g.nb.next(it.Region, t)
	if err != nil {
		return err
	}
	script := scripts[p.wfID]
	var actions []string
	open := i >= g.cfg.cases-g.cfg.open
	if open {
		full := script["approved"]
		actions = full[:g.r.IntN(len(full))] // stops before the last step
	} else {
		actions = script[outcome(g.r, p.wfID)]
	}
	at := schedule(g.r, t, g.now.Add(-time.Minute), actions)
	spec := caseSpec{ID: id, Workflow: p.wf, WindowQueue: "window:" + it.Region, DeptQueue: "dept:" + p.e.DeptID, ItemType: it.Type,
		PromisedAmount: it.PromisedLimit.Amount, PromisedUnit: it.PromisedLimit.Unit, LegalAmount: it.LegalLimit.Amount, LegalUnit: it.LegalLimit.Unit,
		Submitted: t, Submitter: who.submitter, Channel: who.channel}
	w, err := walk(g.tab, spec, actions, at, func(st *casework.StepDef) actor {
		s := g.stepActor(p, st)
		return actor{AccountID: s.AccountID, Name: s.DisplayName, Org: orgOf(s)}
	}, g.ids.at)
	if err != nil {
		return fmt.Errorf("case %s: %w", no, err)
	}
	pw := fmt.Sprintf("%06d", g.r.IntN(1_000_000))
	pwEnc, err := g.box.Seal("case.query_password", pw)
	if err != nil {
		return err
	}
	b.cases.add(id, no, p.e.ID, it.Code, it.Version, it.Name, p.e.DeptID, it.Region, it.Type, p.wfID, p.wfRev,
		string(w.Status), w.Result, w.ResultCode, who.channel, who.ap.kind, personID, companyID, who.ap.name, idMasked, agentID, agentName,
		who.createdBy, cb.situation, formEnc, pwEnc, it.PromisedLimit.Amount, it.PromisedLimit.Unit, it.LegalLimit.Amount, it.LegalLimit.Unit,
		t, timeOrNil(w.AcceptedAt), timeOrNil(w.DecidedAt), timeOrNil(w.FinishedAt), timeOrNil(w.PromisedDueAt), timeOrNil(w.LegalDueAt),
		w.Provisional, w.Revision, t, t, w.UpdatedAt)
	for _, tk := range w.Tasks {
		b.tasks.add(tk.ID, id, tk.Step, tk.StepName, tk.Queue, tk.Roles, "", tk.Status, tk.CreatedAt, timeOrNil(tk.DueAt), timeOrNil(tk.DoneAt), tk.DoneBy, tk.Action)
	}
	for _, e := range w.Events {
		b.events.add(e.ID, id, e.At, e.Actor.AccountID, e.Actor.Name, e.Actor.Org, e.Step, e.StepName, e.Action, e.ActionName, string(e.From), string(e.To), e.Comment)
	}
	g.counts[string(w.Status)]++
	if p.e.DeptID == g.scjgID {
		if open {
			g.openNos = append(g.openNos, no)
		} else {
			g.samples = append(g.samples, no)
		}
	}
	return nil
}

// finish sets the case-number counters past the generated numbers, then
// optionally ANALYZEs and, on SQLite, checkpoints the WAL.
func (g *generator) finish(ctx context.Context, d *db.DB, stdout io.Writer) error {
	prefixes := make([]string, 0, len(g.nb.last))
	for p := range g.nb.last {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for _, p := range prefixes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_counters (prefix, last) VALUES (?, ?)
				ON CONFLICT (prefix) DO UPDATE SET last = CASE WHEN excluded.last > case_counters.last THEN excluded.last ELSE case_counters.last END`,
				p, g.nb.last[p]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	analyze := g.cfg.analyze == "yes" || g.cfg.analyze == "auto" && d.Dialect() == db.Postgres
	if analyze {
		start := time.Now()
		if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ANALYZE in %s\n", time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Fprintln(stdout, "no ANALYZE (the planner sees the database as the server leaves it)")
	}
	if d.Dialect() == db.SQLite {
		if _, err := d.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) printCommands(ctx context.Context, d *db.DB, stdout io.Writer) error {
	statuses := make([]string, 0, len(g.counts))
	for s := range g.counts {
		statuses = append(statuses, s)
	}
	slices.Sort(statuses)
	var parts []string
	for _, s := range statuses {
		parts = append(parts, fmt.Sprintf("%s %d", s, g.counts[s]))
	}
	fmt.Fprintf(stdout, "statuses: %s\n", strings.Join(parts, ", "))
	rows, err := d.QueryContext(ctx, `SELECT queue, count(*) FROM case_tasks WHERE status = 'open' GROUP BY queue ORDER BY count(*) DESC`)
	if err != nil {
		return err
	}
	depNames := map[string]string{}
	for _, p := range g.items {
		depNames["dept:"+p.dept.ID] = p.dept.Code
	}
	parts = parts[:0]
	for rows.Next() {
		var q string
		var n int
		if err := rows.Scan(&q, &n); err != nil {
			rows.Close()
			return err
		}
		if c, ok := depNames[q]; ok {
			q = "dept:" + c
		}
		parts = append(parts, fmt.Sprintf("%s %d", q, n))
	}
	rows.Close()
	fmt.Fprintf(stdout, "open tasks: %s\n", strings.Join(parts, ", "))
	for _, u := range []string{"citizen1", "citizen2", "company1"} {
		ap := g.pop.named[u]
		col, v := "applicant_person_id", ap.personID
		if ap.kind == "company" {
			col, v = "applicant_company_id", ap.companyID
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE `+col+` = ?`, v).Scan(&n); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d cases\n", u, n)
	}
	var nscjg int
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE department_id = ?`, g.scjgID).Scan(&nscjg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "scjg: %d cases\n\n", nscjg)

	var nos []string
	if len(g.samples) > 0 {
		for k := range 6 {
			nos = append(nos, g.samples[(k*2+1)*len(g.samples)/12])
		}
	}
	if len(g.openNos) > 0 {
		nos = append(nos, g.openNos[0], g.openNos[len(g.openNos)-1])
	}
	// For bench/cases/measure.sh: the case numbers to GET, one a line.
	if err := os.WriteFile(filepath.Join(g.cfg.data, "bench-case-numbers.txt"), []byte(strings.Join(nos, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	paths := func(ps ...string) string {
		var b strings.Builder
		for _, p := range ps {
			fmt.Fprintf(&b, " -path '%s'", p)
		}
		return b.String()
	}
	var detail []string
	for _, n := range nos {
		detail = append(detail, "/api/v1/cases/"+n)
	}
	where := "--data " + g.cfg.data
	if g.cfg.dsn != "" {
		where = "--db '" + db.RedactDSN(g.cfg.dsn) + "' --data " + g.cfg.data
	}
	base := "http://" + g.cfg.printAddr
	load := "GOMAXPROCS=1 taskset -c 1 go run ./bench/load -base " + base + " -c 32 -d 10s"
	if g.cfg.dsn != "" {
		fmt.Fprintf(stdout, "measure every route:  DATA=%s DB='%s' bench/cases/measure.sh\n", g.cfg.data, db.RedactDSN(g.cfg.dsn))
	} else {
		fmt.Fprintf(stdout, "measure every route:  DATA=%s bench/cases/measure.sh\n", g.cfg.data)
	}
	fmt.Fprintf(stdout, "or by hand: start the server on it (pinned to core 0) and measure:\n")
	fmt.Fprintf(stdout, "  taskset -c 0 go run ./cmd/yiwang serve %s --addr %s &\n", where, g.cfg.printAddr)
	fmt.Fprintf(stdout, "  %s -user scjg1%s\n", load, paths(detail...))
	fmt.Fprintf(stdout, "  %s -user window1%s\n", load, paths(detail...))
	fmt.Fprintf(stdout, "  %s -user scjg1%s\n", load, paths("/api/v1/cases?dept=scjg"))
	fmt.Fprintf(stdout, "  %s -user scjg1%s\n", load, paths("/api/v1/cases?dept=scjg&status=processing", "/api/v1/cases?dept=scjg&status=collected"))
	fmt.Fprintf(stdout, "  %s -user window1%s\n", load, paths("/api/v1/cases", "/api/v1/cases?status=submitted"))
	fmt.Fprintf(stdout, "  %s -user citizen2%s\n", load, paths("/api/v1/my/cases"))
	fmt.Fprintf(stdout, "  %s -user scjg1%s\n", load, paths("/api/v1/inbox"))
	fmt.Fprintf(stdout, "  %s -user window1%s\n", load, paths("/api/v1/inbox"))
	return nil
}
