package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/clock"
	"yiwang/internal/files"
	"yiwang/internal/identity"
	"yiwang/internal/stdcode"
)

// The demo cases (办件) are made the way real ones are: through the
// casework use cases, by the demo applicants online and by the window
// clerk for people who walk in, then accepted, reviewed, decided and handed
// over by the staff the workflow names, each step at a later moment of the
// last ~40 working days in office hours. So their case numbers, timelines,
// tasks, deadlines, trail and outbox are the genuine article.
//
// Everything is planned first, from a fixed seed, and then carried out in
// the order of time across all cases, with a clock set to each moment: the
// trail and the day's case numbers run in time order as they would have.

// CaseServices are what the demo cases are made through.
type CaseServices struct {
	Cases    *casework.Service
	Catalog  *catalog.Service
	Identity *identity.Service
	Calendar *calendar.Service
	Files    *files.Service
	// Now is the installation's present: every case lies before it.
	Now time.Time
}

// CasesReport says what LoadCases made.
type CasesReport struct {
	Total    int
	ByStatus map[casework.Status]int
	ByResult map[string]int // decided cases (办结 and 已领取) by result
	Overdue  int            // open cases past their promised limit at Now
	Joint    int            // cases under a workflow with parallel branches
	Elapsed  time.Duration
}

const (
	casesSeed1 = 0x7969_7761_6e67_0001 // "yiwang"
	casesSeed2 = 0x6465_6d6f_6361_7365 // "democase"
	// workingDaysBack is how far back the cases reach.
	workingDaysBack = 42
	// officeMinutes is a working day at the centre: 8:30–12:00, 13:30–17:00.
	officeMinutes = 420
	morning       = 210
)

// target is the state a planned case is to end in.
type target struct {
	status    casework.Status
	result    string // approved | denied | returned | refused; "" for drafts and open cases
	overdue   bool   // open cases: accepted long enough ago that the promised limit has passed
	reexamine bool   // the decision sends the case back to review once
	object    bool   // a joint branch objects
	workflow  string // only items under this workflow ("" any)
	channel   int    // how it comes in (byCitizen1…), -1 for any
}

// mix is the demo's spread of cases over states, about 350 in all.
func mix() []target {
	var out []target
	add := func(n int, t target) {
		for range n {
			out = append(out, t)
		}
	}
	const (
		draft, submitted, accepted, processing = casework.StatusDraft, casework.StatusSubmitted, casework.StatusAccepted, casework.StatusProcessing
		refused, closed, collected             = casework.StatusRefused, casework.StatusClosed, casework.StatusCollected
	)
	add(24, target{status: draft})
	add(30, target{status: submitted})
	add(28, target{status: accepted, result: "approved"})
	add(8, target{status: accepted, result: "approved", overdue: true})
	add(37, target{status: processing, result: "approved"})
	add(7, target{status: processing, result: "denied", overdue: true})
	add(26, target{status: refused, result: "refused"})
	add(38, target{status: closed, result: "approved"})
	add(13, target{status: closed, result: "denied"})
	add(14, target{status: closed, result: "returned"})
	add(90, target{status: collected, result: "approved"})
	add(10, target{status: collected, result: "denied"})
	add(11, target{status: collected, result: "returned"})
	// Re-examinations, joint handling and head-of-department decisions
	// are rarer, so some are asked for by name.
	add(3, target{status: collected, result: "approved", reexamine: true})
	add(2, target{status: closed, result: "denied", reexamine: true})
	joint := "joint-zjj"
	add(1, target{status: accepted, result: "approved", workflow: joint})
	add(2, target{status: processing, result: "approved", workflow: joint})
	add(1, target{status: processing, result: "denied", object: true, workflow: joint})
	add(1, target{status: closed, result: "approved", workflow: joint})
	add(1, target{status: closed, result: "denied", object: true, workflow: joint})
	add(1, target{status: closed, result: "returned", workflow: joint})
	add(2, target{status: collected, result: "approved", workflow: joint})
	head := "head-decides"
	add(1, target{status: processing, result: "approved", workflow: head})
	add(2, target{status: collected, result: "approved", workflow: head})
	return out
}

// Who acts in the demo: the approver and the head of each department.
var (
	approverOf = map[string]string{"sjj": "sjj1", "scjg": "scjg1", "wsjk": "wsjk1", "rsj": "rsj1", "gaj": "gaj1", "mzj": "mzj1",
		"zjj": "zjj1", "ybj": "ybj1", "zrzy": "zrzy1", "jtys": "jtys1", "jyj": "jyj1", "sw": "sw1", "sthj": "sthj1",
		"nync": "nync1", "wglt": "wglt1", "tyjr": "tyjr1"}
	headOf = map[string]string{"scjg": "scjgfz", "zrzy": "zrzy1"}
)

const clerk = "window1"

// walkIn is someone who came to the window without an account.
type walkIn struct{ name, id, phone string }

// walkInNames are invented residents of 桐庐 (申屠 is a local surname);
// the first half are men.
var walkInNames = []string{
	"徐建华", "方志明", "章国强", "俞伟东", "申屠俊峰", "袁海涛", "钟立新", "邵永康", "姚文斌", "潘宏伟",
	"叶成林", "吴新民", "盛家豪", "华子轩", "陆浩然", "申屠国平", "金德明", "江永根", "汤立军", "柴建峰",
	"何美华", "孙秀兰", "金丽娟", "蒋雪芳", "汪晓燕", "童婷婷", "洪慧敏", "应玉梅", "楼佳琪", "姜静怡",
	"严桂香", "詹雨桐", "鲁欣妍", "胡梦瑶", "卢彩霞", "申屠月芬", "赵秋萍", "毛素珍", "邱晓岚", "舒雅琴",
}

// walkIns makes the walk-in people: valid 公民身份号码 of 桐庐县 (330122),
// the sequence digit odd for men and even for women, and mobile numbers.
func walkIns(r *rand.Rand) []walkIn {
	taken := map[string]bool{}
	out := make([]walkIn, 0, len(walkInNames))
	for i, name := range walkInNames {
		male := i < len(walkInNames)/2
		for {
			born := time.Date(1946+r.IntN(58), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
			seq := 10 + r.IntN(980)
			if (seq%2 == 1) != male {
				seq++
			}
			first17 := fmt.Sprintf("330122%s%03d", born.Format("20060102"), seq)
			c, err := stdcode.IDCheckChar(first17)
			if err != nil {
				panic(err)
			}
			id := first17 + string(c)
			if taken[id] {
				continue
			}
			taken[id] = true
			phone := fmt.Sprintf("1%d%08d", []int{35, 37, 39, 50, 52, 58, 59, 86, 88}[r.IntN(9)], r.IntN(100_000_000))
			out = append(out, walkIn{name: name, id: id, phone: phone})
			break
		}
	}
	return out
}

// applicant is who a planned case is for and how it comes in.
type applicant struct {
	account string  // who files it: citizen1, citizen2, company1, or the clerk
	walkIn  *walkIn // window intake of a person
	credit  string  // window intake of the demo company
	person  bool    // the applicant is a person (else a company)
}

func (a applicant) online() bool { return a.account != clerk }

// planned is one case as planned: what is applied for, and the moves it
// goes through, each at its moment.
type planned struct {
	n       int
	who     applicant
	entry   *catalog.Entry
	wf      *casework.Workflow
	sit     map[string]string
	form    catalog.Values
	mats    []catalog.Material // materials a file goes with
	created time.Time
	moves   []move
	want    target
	// The exceptions' parts of the application (exceptions.go): 告知承诺,
	// 容缺 materials to come later, and how the result is to be delivered.
	mode     string
	deferred []casework.DeferredInput
	delivery *casework.DeliveryInput
}

// move is one workflow action taken on a case, or one of its procedures
// (补正, 特别程序, 延期, 撤回, 作废: step "").
type move struct {
	step, action string
	actor        string
	comment      string
	status       casework.Status // where the case stands afterwards
	at           time.Time
	data         map[string]any     // the action's data (a supplement notice, a special procedure, a post)
	supply       []catalog.Material // materials handed in (supply), scanned by the actor then
	sweep        bool               // not an action: the sweeper runs (补正不来)
	online       bool               // the applicant acts online, at any hour
	wait         wait               // when, after the move before (exception plans)
}

// LoadCases makes the demo cases. It is meant for a fresh demo
// installation (accounts and catalogue loaded, no cases yet) and fails on
// the first case that does not go as planned.
func LoadCases(ctx context.Context, s CaseServices) (*CasesReport, error) {
	started := time.Now()
	r := rand.New(rand.NewPCG(casesSeed1, casesSeed2))
	tab, err := s.Calendar.Table(ctx)
	if err != nil {
		return nil, err
	}
	tl := newTimeline(tab, s.Now)
	snap, err := s.Catalog.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	entries := slices.Clone(snap.Entries)
	slices.SortFunc(entries, func(a, b *catalog.Entry) int { return strings.Compare(a.Item.Code, b.Item.Code) })
	if len(entries) == 0 {
		return nil, fmt.Errorf("demo cases: the catalogue has no published items")
	}
	wfs := map[string]*casework.Workflow{}
	for _, e := range entries {
		ids := []string{workflowOf(&e.Item)}
		if e.Item.Flags.Pledge {
			ids = append(ids, e.Item.EffectiveRules().PledgeWorkflow) // 告知承诺 cases (exceptions.go)
		}
		for _, id := range ids {
			if wfs[id] == nil {
				w, err := s.Cases.GetWorkflow(ctx, id)
				if err != nil {
					return nil, fmt.Errorf("demo cases: workflow %s: %w", id, err)
				}
				wfs[id] = &w.Workflow
			}
		}
	}
	pl := &planner{r: r, tl: tl, tab: tab, entries: entries, wfs: wfs, walkIns: walkIns(r), weight: map[string]int{}}
	for _, e := range entries {
		pl.weight[e.ID] = 1 + r.IntN(6) // some items are asked for more than others
	}
	targets := mix()
	r.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	assignChannels(r, targets)
	plans := make([]*planned, 0, len(targets))
	for i, t := range targets {
		p, err := pl.plan(i, t)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	// The exceptions come from a seed of their own, so the mix above is the
	// same with or without them.
	xp := *pl
	xp.r, xp.used = rand.New(rand.NewPCG(casesSeed1^exceptionsSeed, casesSeed2)), map[string]int{}
	more, err := xp.planExceptions(len(plans))
	if err != nil {
		return nil, err
	}
	plans = append(plans, more...)

	// Everyone who acts logs in once: the window and the applicants first.
	var names []string
	for _, p := range plans {
		names = append(names, p.who.account)
	}
	for _, p := range plans {
		for _, m := range p.moves {
			if m.actor != "" {
				names = append(names, m.actor)
			}
		}
	}
	names = uniq(names)
	users := startLogins(ctx, s.Identity, names)
	defer users.wait()

	// One clock for everything the cases write: the case service, and the
	// identity and files services it calls (walk-in registration, uploads),
	// so their records carry the same past moments.
	clk := clock.Fixed(tl.first())
	cw := s.Cases.WithClock(clk)
	cw.Identity = identity.NewService(s.Identity.DB, s.Identity.Box, clk)
	fs := *s.Files
	fs.Clock = clk
	cw.Files = &fs
	run := &runner{s: cw, users: users, files: map[string]map[string]string{}}
	// Each uploader scans a few documents once and reuses them (uploads
	// fsync, and one per material would dominate the load time).
	var uploaders []string
	for _, p := range plans {
		uploaders = append(uploaders, p.who.account)
	}
	for _, u := range uniq(uploaders) {
		if err := run.upload(ctx, u); err != nil {
			return nil, err
		}
	}

	type event struct {
		at   time.Time
		plan int
		move int // -1: the application
	}
	var events []event
	for i, p := range plans {
		events = append(events, event{at: p.created, plan: i, move: -1})
		for j, m := range p.moves {
			events = append(events, event{at: m.at, plan: i, move: j})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	state := make([]*caseState, len(plans))
	for _, ev := range events {
		p := plans[ev.plan]
		clk.Set(ev.at)
		if ev.move < 0 {
			st, err := run.apply(ctx, p)
			if err != nil {
				return nil, err
			}
			state[ev.plan] = st
			continue
		}
		if err := run.act(ctx, p, state[ev.plan], p.moves[ev.move]); err != nil {
			return nil, err
		}
	}

	rep := &CasesReport{ByStatus: map[casework.Status]int{}, ByResult: map[string]int{}}
	for i, p := range plans {
		c := state[i].c
		if c.Status != p.want.status {
			return nil, fmt.Errorf("demo case %d (%s, %s): ended %s, planned %s", p.n, p.entry.Item.Name, c.No, c.Status, p.want.status)
		}
		rep.Total++
		rep.ByStatus[c.Status]++
		if c.Result != "" && c.Result != "refused" {
			rep.ByResult[c.Result]++
		}
		if c.Status.Open() && c.Deadline.Promised != nil && !s.Now.Before(c.Deadline.Promised.DueAt) {
			rep.Overdue++
		}
		if p.wf.ID == "joint-zjj" {
			rep.Joint++
		}
	}
	rep.Elapsed = time.Since(started)
	return rep, nil
}

// uniq is list without repeats, in the order of first appearance.
func uniq(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func workflowOf(it *catalog.Item) string {
	if it.Workflow != "" {
		return it.Workflow
	}
	return casework.DefaultWorkflow(it.HandlingType)
}

// logins are the demo accounts being logged in, a few at a time, while
// the cases get going (argon2 is slow on purpose, and the departments
// are not needed before the first case reaches them).
type logins map[string]*login

type login struct {
	done chan struct{}
	p    *identity.Principal
	err  error
}

func startLogins(ctx context.Context, ids *identity.Service, names []string) logins {
	out := logins{}
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	for _, name := range names {
		l := &login{done: make(chan struct{})}
		out[name] = l
		go func() {
			defer close(l.done)
			sem <- struct{}{}
			defer func() { <-sem }()
			if l.p, l.err = ids.Login(ctx, name, Password, "127.0.0.1"); l.err != nil {
				l.err = fmt.Errorf("demo cases: log in %s: %w", name, l.err)
			}
		}()
	}
	return out
}

// get waits for name's login.
func (ls logins) get(name string) (*identity.Principal, error) {
	l := ls[name]
	if l == nil {
		return nil, fmt.Errorf("demo cases: %s is not logged in", name)
	}
	<-l.done
	return l.p, l.err
}

// wait waits for every login, so none is left running.
func (ls logins) wait() {
	for _, l := range ls {
		<-l.done
	}
}

// timeline is the working days the cases happen on, newest first, and the
// office hours of each.
type timeline struct {
	days  []calendar.Date
	index map[calendar.Date]int
	now   time.Time
	today int // office minutes of days[0] already past (all of them for an earlier day)
}

func newTimeline(tab *calendar.Table, now time.Time) *timeline {
	tl := &timeline{index: map[calendar.Date]int{}, now: now, today: officeMinutes}
	d := calendar.DateOf(now)
	// Today counts once the office has been open for an hour.
	if m := officeMinuteOf(now); tab.IsWorkday(d) && m >= 60 {
		tl.today = m - 5
	} else {
		d = d.AddDays(-1)
	}
	for len(tl.days) < workingDaysBack+3 {
		if tab.IsWorkday(d) {
			tl.index[d] = len(tl.days)
			tl.days = append(tl.days, d)
		}
		d = d.AddDays(-1)
	}
	return tl
}

// officeMinuteOf is how many minutes of the office day have passed at t
// (0 before 8:30, officeMinutes after 17:00).
func officeMinuteOf(t time.Time) int {
	l := t.In(calendar.Shanghai)
	m := l.Hour()*60 + l.Minute()
	switch {
	case m < 8*60+30:
		return 0
	case m < 12*60:
		return m - (8*60 + 30)
	case m < 13*60+30:
		return morning
	case m < 17*60:
		return morning + m - (13*60 + 30)
	}
	return officeMinutes
}

func (tl *timeline) limit(idx int) int {
	if idx == 0 {
		return tl.today
	}
	return officeMinutes
}

// at is office minute m of working day idx, with a few seconds.
func (tl *timeline) at(r *rand.Rand, idx, m int) time.Time {
	t := tl.days[idx].Time()
	if m < morning {
		t = t.Add(8*time.Hour + 30*time.Minute + time.Duration(m)*time.Minute)
	} else {
		t = t.Add(13*time.Hour + 30*time.Minute + time.Duration(m-morning)*time.Minute)
	}
	return t.Add(time.Duration(r.IntN(60)) * time.Second)
}

func (tl *timeline) first() time.Time { return tl.days[len(tl.days)-1].Time().Add(8 * time.Hour) }

// office is a moment on working day idx in office hours, leaving room
// minutes of the day after it.
func (tl *timeline) office(r *rand.Rand, idx, room int) time.Time {
	return tl.at(r, idx, r.IntN(max(1, tl.limit(idx)-room)))
}

// online is a moment on day idx an applicant might apply online: from
// early morning to late evening, and before now.
func (tl *timeline) online(r *rand.Rand, idx int) time.Time {
	day := tl.days[idx].Time()
	from, to := day.Add(7*time.Hour+30*time.Minute), day.Add(22*time.Hour+30*time.Minute)
	if latest := tl.now.Add(-5 * time.Minute); to.After(latest) {
		to = latest
	}
	if !to.After(from) {
		return tl.office(r, idx, 0)
	}
	return from.Add(time.Duration(r.Int64N(int64(to.Sub(from)))))
}

// later is a moment days working days after prev (0: the same day, between
// minMin and maxMin minutes later, or the next day when that is past
// closing), in office hours, and always after prev and before now.
func (tl *timeline) later(r *rand.Rand, prev time.Time, days, minMin, maxMin int) time.Time {
	idx, ok := tl.index[calendar.DateOf(prev)]
	m := officeMinuteOf(prev)
	if !ok { // an online application on a day off: the next working day
		for d := calendar.DateOf(prev); !ok; {
			d = d.AddDays(1)
			idx, ok = tl.index[d]
		}
		m, days = 0, 0
	}
	var t time.Time
	if days == 0 {
		if nm := m + minMin + r.IntN(maxMin-minMin+1); nm < tl.limit(idx) {
			t = tl.at(r, idx, nm)
		} else {
			days = 1
		}
	}
	switch {
	case days == 0:
	case idx > 0:
		next := max(0, idx-days)
		t = tl.at(r, next, r.IntN(tl.limit(next)))
	case m < tl.limit(0): // no later working day: what is left of today
		t = tl.at(r, 0, m+r.IntN(tl.limit(0)-m))
	}
	if !t.After(prev) {
		t = prev.Add(time.Duration(30+r.IntN(60)) * time.Second)
	}
	if !t.Before(tl.now) {
		t = prev.Add(tl.now.Sub(prev) / 2)
	}
	return t
}

// planner plans cases.
type planner struct {
	r       *rand.Rand
	tl      *timeline
	entries []*catalog.Entry
	wfs     map[string]*casework.Workflow
	walkIns []walkIn
	weight  map[string]int
	used    map[string]int // items already given an exception case
	tab     *calendar.Table
}

// How a case comes in: online by one of the demo applicants, or at the
// window for a walk-in or for the demo company.
const (
	byCitizen1 = iota
	byCitizen2
	byCompany
	atWindow
	atWindowForCompany
	channelCount
)

// channelShares are the shares of a state's cases by how they came in:
// most at the window, drafts and pending applications mostly online.
func channelShares(s casework.Status) [channelCount]int {
	switch s {
	case casework.StatusDraft:
		return [channelCount]int{3, 5, 4, 4, 1}
	case casework.StatusSubmitted:
		return [channelCount]int{3, 6, 5, 3, 1}
	}
	return [channelCount]int{2, 2, 3, 34, 2}
}

// assignChannels gives every case its channel so that each state gets its
// shares exactly (drawing each at random can give one citizen half the
// drafts).
func assignChannels(r *rand.Rand, targets []target) {
	groups := map[casework.Status][]int{}
	for i, t := range targets {
		if t.workflow == "" {
			groups[t.status] = append(groups[t.status], i)
		} else {
			targets[i].channel = -1 // whoever that workflow's items serve
		}
	}
	for _, s := range casework.Statuses {
		idx := groups[s]
		if len(idx) == 0 {
			continue
		}
		shares := channelShares(s)
		total := 0
		for _, w := range shares {
			total += w
		}
		var list []int
		for c, w := range shares {
			for range (len(idx)*w + total/2) / total {
				list = append(list, c)
			}
		}
		for len(list) < len(idx) {
			list = append(list, atWindow)
		}
		r.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
		for k, i := range idx {
			targets[i].channel = list[k]
		}
	}
}

// randomChannel draws a channel by the shares of state s.
func randomChannel(r *rand.Rand, s casework.Status) int { return drawShare(r, channelShares(s)) }

// drawShare draws a channel by shares.
func drawShare(r *rand.Rand, shares [channelCount]int) int {
	total := 0
	for _, w := range shares {
		total += w
	}
	n := r.IntN(total)
	for c, w := range shares {
		if n < w {
			return c
		}
		n -= w
	}
	return atWindow
}

// applicantBy is an applicant coming in by channel c.
func (pl *planner) applicantBy(c int) applicant {
	switch c {
	case byCitizen1:
		return applicant{account: "citizen1", person: true}
	case byCitizen2:
		return applicant{account: "citizen2", person: true}
	case byCompany:
		return applicant{account: "company1"}
	case atWindowForCompany:
		return applicant{account: clerk, credit: creditCode("91330122", "MA2KDY7C")}
	}
	// Regulars come back; the demo citizens come to the window too.
	switch n := pl.r.IntN(len(pl.walkIns) + 2); n {
	case len(pl.walkIns):
		return applicant{account: clerk, person: true, walkIn: &walkIn{id: idNumber("33012219560312002"), name: "王秀英"}}
	case len(pl.walkIns) + 1:
		return applicant{account: clerk, person: true, walkIn: &walkIn{id: idNumber("33012219880715301"), name: "李建国"}}
	default:
		w := pl.walkIns[n]
		return applicant{account: clerk, person: true, walkIn: &w}
	}
}

// serves reports whether applicant a may apply for item it.
func serves(it *catalog.Item, a applicant) bool {
	person := slices.Contains(it.ServiceObjects, "1")
	org := slices.ContainsFunc(it.ServiceObjects, func(o string) bool { return o != "1" })
	if a.person && !person || !a.person && !org {
		return false
	}
	return !a.online() || it.OnlineDepth >= 3
}

// workingDays is a promised limit in working days (calendar days count a
// little less), or -1 for a limit the planner does not place in days.
func workingDays(l catalog.Limit) int {
	switch l.Unit {
	case "1", "":
		return l.Amount
	case "2":
		return l.Amount * 5 / 7
	}
	return -1
}

// plan plans case n to end in state t.
func (pl *planner) plan(n int, t target) (*planned, error) {
	r := pl.r
	for try := range 500 {
		// Keep to the case's channel while items fit it.
		c := t.channel
		if c < 0 || try >= 50 {
			c = randomChannel(r, t.status)
		}
		who := pl.applicantBy(c)
		var cands []*catalog.Entry
		total := 0
		for _, e := range pl.entries {
			w := pl.wfs[workflowOf(&e.Item)]
			if !serves(&e.Item, who) || t.workflow != "" && w.ID != t.workflow {
				continue
			}
			cands = append(cands, e)
			total += pl.weight[e.ID]
		}
		if len(cands) == 0 {
			continue
		}
		k := r.IntN(total)
		var e *catalog.Entry
		for _, c := range cands {
			if k -= pl.weight[c.ID]; k < 0 {
				e = c
				break
			}
		}
		p := &planned{n: n, who: who, entry: e, wf: pl.wfs[workflowOf(&e.Item)], want: t}
		if ok, err := pl.route(p); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		if !pl.schedule(p) {
			continue
		}
		pl.fill(p)
		return p, nil
	}
	return nil, fmt.Errorf("demo cases: no item of the catalogue fits a case that ends %s/%s (workflow %q)", t.status, t.result, t.workflow)
}

// route walks the case's workflow towards its result, choosing at each step
// the action the plan calls for, and keeps the moves up to the planned
// state. It reports false when the workflow cannot get there.
func (pl *planner) route(p *planned) (bool, error) {
	t := p.want
	if t.status == casework.StatusDraft || t.status == casework.StatusSubmitted {
		return true, nil
	}
	w := p.wf
	open := []string{w.Start}
	visited := map[string]bool{}
	accepted, decided := false, false
	reexamine, object := t.reexamine, t.object
	var moves []move
	for len(open) > 0 {
		if len(moves) > 30 {
			return false, fmt.Errorf("demo cases: workflow %s does not end", w.ID)
		}
		i := pl.r.IntN(len(open)) // parallel branches finish in either order
		st, ok := w.Step(open[i])
		if !ok {
			return false, fmt.Errorf("demo cases: workflow %s has no step %s", w.ID, open[i])
		}
		open = slices.Delete(open, i, i+1)
		var a *casework.ActionDef
		back := func(a *casework.ActionDef) bool { return len(a.To) == 1 && visited[a.To[0]] }
		for j := range st.Actions {
			c := &st.Actions[j]
			switch {
			case reexamine && c.Decide == "" && c.Reason && back(c):
				a, reexamine = c, false
			case object && c.Decide == "" && c.Reason && !back(c):
				a, object = c, false
			}
			if a != nil {
				break
			}
		}
		if a == nil {
			for j := range st.Actions {
				if c := &st.Actions[j]; c.Decide != "" && c.Decide == t.result {
					a = c
					break
				}
			}
		}
		if a == nil {
			for j := range st.Actions {
				if c := &st.Actions[j]; c.Decide == "" && !c.Reason {
					a = c
					break
				}
			}
		}
		if a == nil {
			return false, nil
		}
		visited[st.ID] = true
		if a.Accept {
			accepted = true
		}
		if a.Decide != "" {
			decided, open = true, nil
		}
		status := casework.StatusSubmitted
		switch {
		case a.Finish != "":
			status = casework.StatusCollected
		case a.Decide == "refused":
			status = casework.StatusRefused
		case decided:
			status = casework.StatusClosed
		case a.Accept:
			status = casework.StatusAccepted
		case accepted:
			status = casework.StatusProcessing
		}
		actor, ok := pl.actorFor(p, st)
		if !ok {
			return false, nil
		}
		moves = append(moves, move{step: st.ID, action: a.ID, actor: actor, status: status, comment: pl.comment(p, st, a)})
		for _, to := range a.To {
			next, ok := w.Step(to)
			if !ok {
				return false, fmt.Errorf("demo cases: workflow %s has no step %s", w.ID, to)
			}
			if next.Join && len(a.To) == 1 && len(open) > 0 {
				continue // it waits for the other branches; the last one to arrive opens it
			}
			if !slices.Contains(open, to) {
				open = append(open, to)
			}
		}
	}
	if reexamine || object || len(moves) == 0 {
		return false, nil
	}
	// Keep the moves up to the planned state.
	var at []int
	for i, m := range moves {
		if m.status == t.status {
			at = append(at, i)
		}
	}
	switch {
	case len(at) == 0:
		return false, nil
	case t.status == casework.StatusCollected || t.status == casework.StatusRefused:
		p.moves = moves // the whole way
	case t.status == casework.StatusProcessing:
		p.moves = moves[:at[pl.r.IntN(len(at))]+1] // somewhere behind the window
	default:
		p.moves = moves[:at[0]+1]
	}
	return true, nil
}

// actorFor is who acts in step st of case p's workflow: the clerk at the
// window, else the department's approver, or its head where only a head
// may act (and now and then where either may).
func (pl *planner) actorFor(p *planned, st *casework.StepDef) (string, bool) {
	dept := st.Actor.Department
	switch dept {
	case casework.DeptWindow:
		return clerk, slices.Contains(st.Actor.Roles, "clerk")
	case casework.DeptOwner:
		dept = p.entry.Item.Department
	}
	approver := slices.Contains(st.Actor.Roles, "approver")
	head := slices.Contains(st.Actor.Roles, "dept_head")
	switch {
	case head && headOf[dept] != "" && (!approver || pl.r.IntN(4) == 0):
		return headOf[dept], true
	case approver && approverOf[dept] != "":
		return approverOf[dept], true
	}
	return "", false
}

// schedule places the application and its moves in time.
func (pl *planner) schedule(p *planned) bool {
	r, tl := pl.r, pl.tl
	t := p.want
	span := func(lo, hi int) int { return lo + r.IntN(hi-lo+1) }
	var start int // the working day (back from the newest) the case comes in
	switch t.status {
	case casework.StatusDraft:
		start = span(0, 15)
	case casework.StatusSubmitted:
		start = span(0, 1)
		if r.IntN(5) == 0 {
			start = span(2, 4) // still waiting: the window's own limit has passed
		}
	case casework.StatusAccepted, casework.StatusProcessing:
		limit := workingDays(p.entry.Item.PromisedLimit)
		switch {
		case limit < 1:
			return false
		case t.overdue:
			if limit+3 > workingDaysBack {
				return false
			}
			start = span(limit+3, min(workingDaysBack, limit+12))
		default:
			start = span(0, min(limit, 15))
		}
	case casework.StatusClosed:
		start = span(2, 10)
		if r.IntN(10) < 3 {
			start = span(10, workingDaysBack)
		}
	case casework.StatusRefused:
		start = span(0, workingDaysBack)
	default: // collected: the older a case, the likelier it is done
		start = max(span(3, workingDaysBack), span(3, workingDaysBack))
	}
	if p.who.online() && (start > 0 || len(p.moves) == 0) {
		p.created = tl.online(r, start)
	} else {
		// at the window, or online today early enough for the staff to act on it
		p.created = tl.office(r, start, 60)
	}
	prev := p.created
	for i := range p.moves {
		m := &p.moves[i]
		st, _ := p.wf.Step(m.step)
		a, _ := st.Action(m.action)
		first := i == 0
		switch {
		case first && !p.who.online():
			m.at = tl.later(r, prev, 0, 3, 15) // at the desk, while the applicant waits
		case first:
			m.at = tl.later(r, prev, r.IntN(2), 20, 240) // pre-review the same or the next working day
		case a.Finish != "" && !p.who.online() && p.moves[i-1].step == p.wf.Start && r.IntN(10) < 7:
			m.at = tl.later(r, prev, 0, 1, 8) // decided at the window, handed over at once
		case a.Finish != "":
			m.at = tl.later(r, prev, pick(r, []int{0, 1, 1, 2, 2, 3}), 30, 180) // the applicant comes to collect
		case p.moves[i-1].step == p.wf.Start:
			m.at = tl.later(r, prev, 1+r.IntN(2), 0, 0) // to the department behind the window
		default:
			m.at = tl.later(r, prev, r.IntN(3), 20, 200)
		}
		prev = m.at
	}
	if t.status == casework.StatusAccepted || t.status == casework.StatusProcessing {
		// The clock runs from acceptance: make sure the planned case is (or
		// is not) overdue.
		if due, ok := dueAfter(pl.tab, p.moves[0].at, p.entry.Item.PromisedLimit); !ok || t.overdue != !tl.now.Before(due) {
			return false
		}
	}
	return true
}

// fill answers the situation questions, fills the form and names the
// materials a file goes with.
func (pl *planner) fill(p *planned) {
	r := pl.r
	it := &p.entry.Item
	p.sit = map[string]string{}
	for _, s := range it.Situations {
		if len(s.Options) > 0 {
			p.sit[s.ID] = s.Options[r.IntN(len(s.Options))].ID
		}
	}
	answers := catalog.Answers(p.sit)
	who := p.who
	p.form = FillForm(p.entry.Form, answers, r.Uint64(), func(src string) bool {
		switch {
		case strings.HasPrefix(src, "person."):
			return who.person || who.online() // a person, or the company's agent
		case strings.HasPrefix(src, "company."):
			return !who.person
		}
		return false
	})
	for _, m := range it.MaterialsFor(answers) {
		required := casework.MustSubmit(m)
		switch {
		case p.want.status == casework.StatusDraft && r.IntN(3) == 0:
			// a draft waits for the scans
		case required, m.Source != "政府部门核发" && r.IntN(3) == 0:
			p.mats = append(p.mats, m)
		}
	}
}

// scans are the documents each uploader scans once, and which materials
// each stands for (by words in the material's name).
var scans = []struct {
	name    string
	words   []string
	company bool
}{
	{"身份证正反面.pdf", []string{"身份证", "身份证明", "户口", "居民户口簿", "结婚证"}, false},
	{"申请表（签字版）.pdf", []string{"申请表", "申请书", "登记表", "审批表", "表"}, false},
	{"营业执照副本.pdf", []string{"营业执照", "执照", "许可证", "章程"}, true},
	{"场所使用证明.pdf", []string{"房屋", "场所", "租赁", "产权", "住所", "用地", "平面"}, false},
	{"证明材料.pdf", []string{"证明", "报告", "合同", "协议", "证书"}, false},
	{"其他材料扫描件.pdf", nil, false},
}

// scanFor is the scan that stands for material m.
func scanFor(m catalog.Material) string {
	for _, s := range scans {
		for _, w := range s.words {
			if strings.Contains(m.Name, w) {
				return s.name
			}
		}
	}
	return scans[len(scans)-1].name
}

// ScanPDF is a small valid one-page A4 PDF standing in for a scanned
// material (the demo's uploads, the benchmarks'); title makes each differ.
func ScanPDF(title string) string {
	var b strings.Builder
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		fmt.Sprintf("<< /Title (%s) /Producer (yiwang demo) >>", title),
	}
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.String()
}

// runner carries plans out.
type runner struct {
	s     *casework.Service
	users logins
	files map[string]map[string]string // uploader → scan name → file id
}

// caseState is a case as last seen, and by whom.
type caseState struct {
	c      *casework.Case
	viewer string
}

// as is ctx acting for p: the trail names who did it.
func as(ctx context.Context, p *identity.Principal) context.Context {
	return audit.WithMeta(ctx, audit.Meta{ActorID: p.AccountID, ActorName: p.DisplayName, IP: "127.0.0.1"})
}

func (run *runner) upload(ctx context.Context, account string) error {
	p, err := run.users.get(account)
	if err != nil {
		return err
	}
	run.files[account] = map[string]string{}
	for i, s := range scans {
		if s.company && p.Kind == identity.KindPerson {
			continue
		}
		f, err := run.s.Files.Upload(as(ctx, p), p, s.name, strings.NewReader(ScanPDF(fmt.Sprintf("%s scan %d", account, i+1))))
		if err != nil {
			return fmt.Errorf("demo cases: upload %s for %s: %w", s.name, account, err)
		}
		run.files[account][s.name] = f.ID
	}
	return nil
}

// apply files the application (or saves the draft).
func (run *runner) apply(ctx context.Context, p *planned) (*caseState, error) {
	actor, err := run.users.get(p.who.account)
	if err != nil {
		return nil, err
	}
	app := casework.Application{Item: p.entry.Item.Code, ItemVersion: p.entry.Item.Version, Situation: p.sit, Form: p.form,
		Submit: p.want.status != casework.StatusDraft, Mode: p.mode, Pledge: p.mode != "",
		Deferred: p.deferred, TolerancePledge: len(p.deferred) > 0, Delivery: p.delivery}
	switch {
	case p.who.walkIn != nil:
		app.Applicant = &casework.ApplicantInput{IDNumber: p.who.walkIn.id, Name: p.who.walkIn.name, Phone: p.who.walkIn.phone}
	case p.who.credit != "":
		app.Applicant = &casework.ApplicantInput{CreditCode: p.who.credit}
	}
	scanned := run.files[p.who.account]
	for _, m := range p.mats {
		id := scanned[scanFor(m)]
		if id == "" {
			id = scanned[scans[len(scans)-1].name]
		}
		app.Materials = append(app.Materials, casework.MaterialRef{Material: m.ID, File: id})
	}
	c, _, err := run.s.Create(as(ctx, actor), actor, app)
	if err != nil {
		return nil, fmt.Errorf("demo case %d (%s by %s): %w", p.n, p.entry.Item.Name, p.who.account, err)
	}
	return &caseState{c: c, viewer: p.who.account}, nil
}

// act takes move m on the case: the action as the case offers it to the
// acting staff member now.
func (run *runner) act(ctx context.Context, p *planned, st *caseState, m move) error {
	if m.sweep {
		return run.sweep(ctx, p, st, m)
	}
	actor, err := run.users.get(m.actor)
	if err != nil {
		return err
	}
	ctx = as(ctx, actor)
	fail := func(err error) error {
		return fmt.Errorf("demo case %d (%s, %s) %s/%s by %s: %w", p.n, p.entry.Item.Name, st.c.No, m.step, m.action, m.actor, err)
	}
	if st.viewer != m.actor {
		c, err := run.s.Get(ctx, actor, st.c.ID)
		if err != nil {
			return fail(err)
		}
		st.c, st.viewer = c, m.actor
	}
	task, offered := "", false
	for _, a := range st.c.Actions {
		if a.Action == m.action && a.Step == m.step {
			task, offered = a.Task, true
		}
	}
	if !offered {
		return fail(fmt.Errorf("not offered (case %s, actions %v)", st.c.Status, st.c.Actions))
	}
	data := m.data
	switch m.action {
	case "supply":
		if data, err = run.supplyData(ctx, actor, m); err != nil {
			return fail(err)
		}
	case "handover":
		// The window records who collected the result: the applicant, or
		// the company's agent.
		name := st.c.Applicant.Name
		if st.c.Applicant.Kind == "company" {
			name = st.c.Applicant.Agent
			if name == "" {
				name = "周海峰" // the company's staff member sent to collect it
			}
		}
		data = map[string]any{"collector": map[string]any{"name": name, "idNumber": idNumber(fmt.Sprintf("33012219850715%03d", p.n%1000))}}
	}
	c, err := run.s.Act(ctx, actor, st.c.ID, casework.ActionInput{Action: m.action, Task: task, Comment: m.comment, Data: data})
	if err != nil {
		return fail(err)
	}
	if c.Status != m.status {
		return fail(fmt.Errorf("case is %s, planned %s", c.Status, m.status))
	}
	st.c = c
	return nil
}

// dueAfter is when a promised limit counted from accepted runs out, as
// casework counts it (working days from the day after acceptance, or
// calendar days); false for limits in other units.
func dueAfter(tab *calendar.Table, accepted time.Time, l catalog.Limit) (time.Time, bool) {
	switch l.Unit {
	case "1", "":
		d, _, err := tab.AddWorkingDays(accepted, l.Amount)
		return d.AddDays(1).Time(), err == nil
	case "2":
		return calendar.DateOf(accepted).AddDays(l.Amount + 1).Time(), true
	}
	return time.Time{}, false
}

// What the staff write: opinions, and the reasons for refusing, returning
// or denying, worded for the kind of item (许可, 给付, 确认, services) and,
// where a reason only fits some items, for the items it fits.
type notes struct {
	general []string
	byType  map[string][]string // by 事项类型
	byWord  []worded            // by words in the item's name, tried first
}

type worded struct {
	words []string
	notes []string
}

var (
	acceptWindow  = []string{"申请材料齐全，符合法定形式，予以受理。", "经核验身份证件及申请材料原件，符合受理条件，予以受理。", "材料齐全，当场受理。"}
	acceptOnline  = []string{"经网上预审，申请材料齐全、规范，予以受理。", "网上预审通过，予以受理。", "申请材料齐全，符合法定形式，予以受理。"}
	instantWindow = []string{"材料齐全，符合条件，当场办结。", "经核验，符合办理条件，即时办结。", "当场办结，已告知申请人领取方式。"}
	instantOnline = []string{"经网上审核，符合办理条件，即时办结。", "网上预审通过，即办即结。"}
	passNotes     = notes{
		general: []string{"经审查，申请材料齐全，符合法定条件。", "经审查，申请材料真实、完整，符合相关规定，拟同意。",
			"经核查，申请人信息与共享数据一致，同意提交决定。", "审查通过，建议准予。"},
		byType: map[string][]string{"01": {"材料审查通过；经现场核查，场所条件与申请材料一致，符合要求。", "经书面审查和现场核查，符合许可条件，建议准予许可。"}},
	}
	agreeNotes     = []string{"同意。项目建设内容符合住房和城乡建设有关要求。", "同意，请建设单位按规定办理施工许可手续。", "经核查，设计方案符合工程建设强制性标准，同意。"}
	objectNotes    = []string{"不同意：设计方案不满足住宅建筑日照间距要求，请调整后重新报审。", "不同意：消防车道设置不满足《建筑设计防火规范》要求。"}
	reexamineNotes = []string{"审查意见未载明核查情况，请补充核查后重新审查。", "请进一步核实申请材料与共享数据是否一致后重新审查。", "审查意见与所附材料不符，请重新审查。"}
	approveNotes   = notes{
		general: []string{"经研究，同意。", "同意办理。", "符合规定，准予办理。"},
		byType: map[string][]string{
			"01": {"经审查，符合法定条件和标准，准予许可。", "准予许可，许可证件由综合窗口统一发放。", "同意，准予许可。"},
			"05": {"经审核，符合给付条件，准予给付。", "核准，同意按标准给付。"},
			"07": {"经审查，符合登记条件，予以登记。", "核实无误，予以确认。"},
		},
	}
	handoverPerson  = []string{"申请人凭身份证在综合出件窗口领取。", "申请人本人领取，已核对身份并签收。", "委托代理人凭授权委托书及身份证领取。", "已当场发放办理结果。"}
	handoverCompany = []string{"企业经办人凭授权委托书及身份证领取。", "经办人领取，已签收。"}
	refuseNotes     = notes{
		general: []string{"申请人提交的身份证件已过有效期，不符合受理条件，请持有效证件重新申请。", "申请表未经申请人签字确认，不符合法定形式，已一次性告知。",
			"该申请人已有同一事项正在办理中，不予重复受理。", "申请材料复印件与原件不一致，经告知后申请人未能提供原件核验，不予受理。",
			"申请事项不属于本机关职权范围，已告知申请人向有关部门申请。"},
		byWord: []worded{
			{[]string{"个体工商户", "企业设立", "企业变更"}, []string{"经营场所与登记住所不一致，不符合受理条件。", "拟登记名称与已登记企业名称近似，不符合受理条件。"}},
			{[]string{"食品", "餐饮"}, []string{"所附房屋租赁合同已过期，无法证明经营场所的合法使用权，不予受理。", "经营场所与登记住所不一致，不符合受理条件。"}},
			{[]string{"户口", "居住证", "身份证"}, []string{"申请人户籍不在本县，已告知向户籍所在地公安机关申请。"}},
			{[]string{"最低生活保障", "特困", "救助", "补贴"}, []string{"申请人户籍不在本县，已告知向户籍所在地乡镇（街道）申请。", "未提供家庭成员收入情况说明，经一次性告知后仍未补齐，不予受理。"}},
			{[]string{"养老", "失业", "社会保险"}, []string{"申请人未在本县参加社会保险，不属于本机关受理范围。"}},
			{[]string{"退休"}, []string{"申请人尚未达到法定退休年龄，不符合受理条件。"}},
			{[]string{"不动产"}, []string{"申请登记的不动产存在查封登记，不符合受理条件。"}},
		},
	}
	returnNotes = notes{
		general: []string{"申请人书面申请撤回，予以退回。", "经审查，申请材料需补充的内容已一次性告知，申请人要求退回后重新申报。",
			"所附证明材料出具日期已超过六个月有效期，请重新开具后再次申请，予以退回。", "经核查，申请人已在其他地区办理同一事项，本次申请予以退回。"},
		byWord: []worded{
			{[]string{"规划", "建设项目", "施工"}, []string{"建设项目尚未取得用地批准文件，请取得后重新申请。"}},
			{[]string{"经营许可", "食品"}, []string{"申请人所报经营项目需前置审批，请取得相关批准文件后重新申请。"}},
		},
	}
	denyNotes = notes{
		general: []string{"经核查，申请人不符合办理条件，不予办理。", "申请人提供的证明材料不能证明其符合办理条件，不予办理。"},
		byType: map[string][]string{
			"01": {"经审查，申请人不具备法定许可条件，不予许可。", "经现场核查，实际情况与申请材料不符，不予许可。", "申请人存在尚未履行完毕的行政处罚，依法不予许可。"},
			"05": {"申请人不符合给付条件，不予给付。"},
			"07": {"经核查，申请事项与登记信息不一致，不予登记。", "申请人不符合法定条件，不予确认。"},
		},
		byWord: []worded{
			{[]string{"食品"}, []string{"经现场核查，经营场所布局及更衣、洗手、消毒设施不符合食品经营许可审查要求，不予许可。"}},
			{[]string{"卫生许可", "医疗机构"}, []string{"现场核查发现卫生设施不符合相关卫生标准，不予许可。"}},
			{[]string{"规划许可", "选址"}, []string{"经审查，项目选址与国土空间规划不符，不予许可。"}},
			{[]string{"最低生活保障", "特困", "救助"}, []string{"经入户调查和家庭经济状况核对，家庭人均收入高于本县最低生活保障标准，不予批准。"}},
			{[]string{"公共租赁住房"}, []string{"经核查，申请人家庭名下已有住房，不符合公共租赁住房保障条件，不予批准。"}},
			{[]string{"门诊慢特病"}, []string{"所报病种的诊断依据未达到认定标准，不予认定。"}},
		},
	}
)

// pick chooses a note for item it: one made for items like it two times
// in three, else one for its kind, else a general one.
func (n notes) pick(r *rand.Rand, it *catalog.Item) string {
	for _, w := range n.byWord {
		if slices.ContainsFunc(w.words, func(word string) bool { return strings.Contains(it.Name, word) }) && r.IntN(3) < 2 {
			return pick(r, w.notes)
		}
	}
	if t := n.byType[it.Type]; len(t) > 0 && r.IntN(3) < 2 {
		return pick(r, t)
	}
	return pick(r, n.general)
}

// comment is what the acting staff member writes for action a in step st:
// a reason wherever one is required, an opinion now and then otherwise.
func (pl *planner) comment(p *planned, st *casework.StepDef, a *casework.ActionDef) string {
	r := pl.r
	it := &p.entry.Item
	sometimes := func(n int, note func() string) string {
		if r.IntN(10) < n {
			return note()
		}
		return ""
	}
	from := func(list []string) func() string { return func() string { return pick(r, list) } }
	online := p.who.online()
	switch {
	case a.Decide == "refused":
		return refuseNotes.pick(r, it)
	case a.Decide == "returned":
		return returnNotes.pick(r, it)
	case a.Decide == "denied":
		return denyNotes.pick(r, it)
	case a.Decide == "approved" && a.Accept && online:
		return sometimes(5, from(instantOnline))
	case a.Decide == "approved" && a.Accept:
		return sometimes(5, from(instantWindow))
	case a.Decide == "approved":
		return sometimes(8, func() string { return approveNotes.pick(r, it) })
	case a.Accept && online:
		return sometimes(4, from(acceptOnline))
	case a.Accept:
		return sometimes(4, from(acceptWindow))
	case a.Finish != "" && p.who.person:
		return sometimes(6, from(handoverPerson))
	case a.Finish != "":
		return sometimes(6, from(handoverCompany))
	case a.Reason && a.ID == "object":
		return pick(r, objectNotes)
	case a.Reason:
		return pick(r, reexamineNotes)
	case st.Actor.Department != casework.DeptOwner && st.Actor.Department != casework.DeptWindow:
		return sometimes(8, from(agreeNotes)) // a department giving its opinion on another's case
	}
	return sometimes(8, func() string { return passNotes.pick(r, it) })
}
