package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/calendar"
	"yiwang/internal/catalog"
	"yiwang/internal/db"
	"yiwang/internal/identity"
	"yiwang/internal/licence"
	"yiwang/internal/stdcode"
)

// Get returns a case to someone who may see it.
func (s *Service) Get(ctx context.Context, actor *identity.Principal, ref string) (*Case, error) {
	c, err := s.visible(ctx, actor, ref)
	if err != nil {
		return nil, err
	}
	return s.render(ctx, actor, c)
}

// view reloads a case by id and renders it for actor (after a change the
// actor made, so no visibility check is needed).
func (s *Service) view(ctx context.Context, actor *identity.Principal, id string) (*Case, error) {
	c, err := caseByRef(ctx, s.DB, id, false)
	if err != nil {
		return nil, err
	}
	return s.render(ctx, actor, c)
}

func (s *Service) deptNames(ctx context.Context) (map[string]string, error) {
	deps, err := s.Identity.Departments(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(deps))
	for _, d := range deps {
		out[d.ID] = d.Name
	}
	return out, nil
}

// sensitiveFieldTypes are masked wherever a case's form is shown.
var sensitiveFieldTypes = map[string]func(string) string{"idnumber": stdcode.MaskIDNumber, "phone": stdcode.MaskPhone}

func (s *Service) render(ctx context.Context, actor *identity.Principal, c *caseRow) (*Case, error) {
	env, err := s.loadEnv(ctx)
	if err != nil {
		return nil, err
	}
	tasks, err := openTasks(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	return s.renderWith(ctx, actor, c, tasks, env, nil)
}

// renderWith shows case c with its open tasks known (after an action, the
// transaction's own view of them); pre, when not nil, holds its timeline
// and materials as the transaction read them.
func (s *Service) renderWith(ctx context.Context, actor *identity.Principal, c *caseRow, tasks []taskRow, env *txEnv, pre *answerReads) (*Case, error) {
	names := func(id string) string { return env.byID[id].Name }
	out := &Case{ID: c.ID, No: c.no(), Item: ItemRef{Code: c.ItemCode, Name: c.ItemName, Version: c.ItemVersion},
		Department: Named{ID: c.DepartmentID, Name: names(c.DepartmentID)}, Region: c.RegionCode, Workflow: c.WorkflowID,
		Status: c.Status, StatusName: StatusNames[c.Status], Result: c.Result, ResultName: resultNameOf(c), ResultCode: c.ResultCode,
		Channel: c.Channel, ChannelName: Channels[c.Channel], SubmittedAt: c.SubmittedAt, AcceptedAt: c.AcceptedAt,
		DecidedAt: c.DecidedAt, FinishedAt: c.FinishedAt, Revision: c.Revision, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Situation: map[string]string{}, Form: map[string][]string{}, Licences: []licence.Licence{}, Timeline: []Event{}, Materials: []MaterialView{},
		Tasks: []TaskView{}, Actions: []ActionView{}}
	out.Applicant = Applicant{Kind: c.ApplicantKind, Name: c.ApplicantName, PersonID: deref(c.ApplicantPersonID), CompanyID: deref(c.ApplicantCompanyID),
		IDMasked: c.ApplicantIDMasked, Agent: c.AgentName}
	if err := json.Unmarshal([]byte(c.Situation), &out.Situation); err != nil {
		return nil, err
	}
	if c.DecidedAt != nil && s.Licences != nil {
		ls, err := s.Licences.ForCase(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out.Licences = ls
	}
	if c.Extras&extrasLicences != 0 && s.Licences != nil {
		us, err := s.Licences.ForCaseUses(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out.LicenceUses = us
	}
	it, form, err := s.itemVersion(ctx, c.ItemCode, c.ItemVersion)
	if err != nil {
		return nil, err
	}
	values, err := s.openForm(c.FormEnc)
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	if form != nil {
		for _, fl := range form.Fields {
			types[fl.Name] = fl.Type
		}
	}
	for k, vs := range values {
		if mask := sensitiveFieldTypes[types[k]]; mask != nil {
			masked := make([]string, len(vs))
			for i, v := range vs {
				masked[i] = mask(v)
			}
			vs = masked
		}
		out.Form[k] = vs
	}
	if c.Status != StatusDraft {
		tab, err := s.Calendar.Table(ctx)
		if err != nil {
			return nil, err
		}
		now := s.Clock.Now()
		running := c.Status.Open() && c.AcceptedAt != nil && c.PausedAt == nil
		out.Deadline.Promised = deadlineView(tab, c.PromisedAmount, c.PromisedUnit, it.PromisedLimit.Note, c.PromisedDueAt, c.DueProvisional, running, now)
		out.Deadline.Legal = deadlineView(tab, c.LegalAmount, c.LegalUnit, it.LegalLimit.Note, c.LegalDueAt, c.DueProvisional, running, now)
		if pre != nil {
			out.Timeline = pre.events
		} else if out.Timeline, err = caseEvents(ctx, s.DB, c.ID); err != nil {
			return nil, err
		}
		if out.Timeline == nil {
			out.Timeline = []Event{}
		}
	}
	if out.Materials, err = s.materialViews(ctx, c, it, pre); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	for i := range tasks {
		t := &tasks[i]
		tv := TaskView{ID: t.ID, Step: t.Step, StepName: t.StepName, Queue: queueName(t.Queue, names), Since: t.CreatedAt, DueAt: t.DueAt}
		if t.DueAt != nil {
			tv.Due, tv.Overdue = dueText(*t.DueAt, "1"), !now.Before(*t.DueAt)
		}
		out.Tasks = append(out.Tasks, tv)
	}
	procs, deferred, err := s.renderExtras(ctx, out, c, it, env)
	if err != nil {
		return nil, err
	}
	if out.Actions, err = s.actionsFor(ctx, actor, c, tasks, env, it, procs, deferred); err != nil {
		return nil, err
	}
	if c.QueryPasswordEnc != "" && (isApplicant(actor, c) || c.CreatedBy == actor.AccountID) {
		if out.QueryPassword, err = s.Box.Open(fieldPassword, c.QueryPasswordEnc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// itemVersion is the catalogue version a case was applied under: from the
// published snapshot when it is still current (most cases), else from the
// database.
func (s *Service) itemVersion(ctx context.Context, code string, version int) (*catalog.Item, *catalog.Form, error) {
	if snap, err := s.Catalog.Snapshot(ctx); err == nil {
		if e, ok := snap.ByCode(code); ok && e.Item.Version == version {
			return &e.Item, e.Form, nil
		}
	}
	return s.Catalog.Version(ctx, code, version)
}

func queueName(q string, names func(string) string) string {
	if d, ok := strings.CutPrefix(q, "dept:"); ok {
		return names(d)
	}
	return "综合窗口"
}

func (s *Service) materialViews(ctx context.Context, c *caseRow, it *catalog.Item, pre *answerReads) ([]MaterialView, error) {
	var rows []materialRow
	var err error
	if pre != nil {
		rows = pre.mats
	} else if rows, err = caseMaterials(ctx, s.DB, c.ID); err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.FileID)
	}
	infos, err := s.Files.Describe(ctx, ids)
	if err != nil {
		return nil, err
	}
	byMaterial := map[string][]FileView{}
	for _, r := range rows {
		if f, ok := infos[r.FileID]; ok {
			byMaterial[r.Material] = append(byMaterial[r.Material], FileView{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size})
		}
	}
	var answers catalog.Answers
	_ = json.Unmarshal([]byte(c.Situation), &answers)
	out := []MaterialView{}
	for _, m := range it.MaterialsFor(answers) {
		fs := byMaterial[m.ID]
		if fs == nil {
			fs = []FileView{}
		}
		out = append(out, MaterialView{ID: m.ID, Name: m.Name, Necessity: m.Necessity, Source: m.Source, Files: fs})
	}
	return out, nil
}

// Filter selects cases for a list.
type Filter struct {
	Status   Status
	Item     string // item code
	Dept     string // department id or code
	From, To string // YYYY-MM-DD, by the date listed (submitted, or created for drafts)
	Overdue  bool
	Page     int
	PageSize int
}

// Page is one page of a case list. More tells whether a next page exists
// (lists do not count every match: a count over a million cases is not
// something a page should wait for).
type Page struct {
	Cases    []Summary `json:"cases"`
	Page     int       `json:"page"`
	PageSize int       `json:"pageSize"`
	More     bool      `json:"more"`
}

func (f *Filter) normalize() error {
	if f.PageSize <= 0 || f.PageSize > 100 {
		f.PageSize = 20
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	if f.Page > 500 {
		return &apperr.Error{Code: apperr.Invalid, Message: "页码不能超过500，请缩小查询范围", Fields: map[string]string{"page": "过大"}}
	}
	if f.Status != "" {
		if _, ok := StatusNames[f.Status]; !ok {
			return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("未知的办件状态 %q", f.Status), Fields: map[string]string{"status": "未知状态"}}
		}
	}
	for _, d := range []*string{&f.From, &f.To} {
		if *d == "" {
			continue
		}
		if _, err := calendar.ParseDate(*d); err != nil {
			field := "from"
			if d == &f.To {
				field = "to"
			}
			return &apperr.Error{Code: apperr.Invalid, Message: err.Error(), Fields: map[string]string{field: "日期格式应为 YYYY-MM-DD"}}
		}
	}
	return nil
}

// listQuery builds the SQL of a case list.
type listQuery struct {
	where []string
	args  []any
}

func (q *listQuery) add(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

const summaryCols = `id, case_no, item_code, item_name, item_version, department_id, status, result, channel, applicant_name,
	submitted_at, promised_due_at, promised_unit, decided_at, updated_at`

func (s *Service) filterQuery(ctx context.Context, q *listQuery, f Filter) error {
	if f.Status != "" {
		q.add("status = ?", string(f.Status))
	}
	if f.Item != "" {
		e, err := s.published(ctx, f.Item)
		if err != nil {
			return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("事项 %q 不存在", f.Item), Fields: map[string]string{"item": "事项不存在"}}
		}
		q.add("item_id = ?", e.ID)
	}
	if f.Dept != "" {
		d, err := s.Identity.Department(ctx, f.Dept)
		if err != nil {
			return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("部门 %q 不存在", f.Dept), Fields: map[string]string{"dept": "部门不存在"}}
		}
		q.add("department_id = ?", d.ID)
	}
	if f.From != "" {
		d, _ := calendar.ParseDate(f.From)
		q.add("listed_at >= ?", d.Time().UTC())
	}
	if f.To != "" {
		d, _ := calendar.ParseDate(f.To)
		q.add("listed_at < ?", d.AddDays(1).Time().UTC())
	}
	if f.Overdue {
		q.add("decided_at IS NULL AND promised_due_at IS NOT NULL AND promised_due_at <= ?", s.now())
	}
	return nil
}

func (s *Service) runList(ctx context.Context, q *listQuery, f Filter) (*Page, error) {
	sql := `SELECT ` + summaryCols + ` FROM cases`
	if len(q.where) > 0 {
		sql += " WHERE " + strings.Join(q.where, " AND ")
	}
	sql += fmt.Sprintf(" ORDER BY listed_at DESC LIMIT %d OFFSET %d", f.PageSize+1, (f.Page-1)*f.PageSize)
	// Everything else first: a query while rows are open would need a
	// second pooled connection (and wait for ever once the pool is full).
	names, err := s.deptNames(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, sql, q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.Clock.Now()
	out := &Page{Cases: []Summary{}, Page: f.Page, PageSize: f.PageSize}
	for rows.Next() {
		var sm Summary
		var no *string
		var unit string
		var decided *time.Time
		if err := rows.Scan(&sm.ID, &no, &sm.Item.Code, &sm.Item.Name, &sm.Item.Version, &sm.Department.ID, &sm.Status, &sm.Result,
			&sm.Channel, &sm.Applicant, &sm.SubmittedAt, &sm.DueAt, &unit, &decided, &sm.UpdatedAt); err != nil {
			return nil, err
		}
		sm.No = deref(no)
		sm.Department.Name = names[sm.Department.ID]
		sm.StatusName = StatusNames[sm.Status]
		sm.ResultName = ResultName(sm.Result)
		if sm.DueAt != nil {
			sm.Due = dueText(*sm.DueAt, unit)
			sm.Overdue = decided == nil && sm.Status.Open() && !now.Before(*sm.DueAt)
		}
		out.Cases = append(out.Cases, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Cases) > f.PageSize {
		out.Cases, out.More = out.Cases[:f.PageSize], true
	}
	return out, nil
}

// Mine lists the applicant's own cases (drafts included): a person's, or
// for a company's agent the company's.
func (s *Service) Mine(ctx context.Context, actor *identity.Principal, f Filter) (*Page, error) {
	if actor == nil {
		return nil, errLogin
	}
	if err := f.normalize(); err != nil {
		return nil, err
	}
	q := &listQuery{}
	switch actor.Kind {
	case identity.KindPerson:
		q.add("applicant_person_id = ?", actor.PersonID)
		q.add("applicant_kind = 'person'")
		q.add("(status <> 'draft' OR created_by = ?)", actor.AccountID)
	case identity.KindCompany:
		q.add("applicant_company_id = ?", actor.CompanyID)
		q.add("(status <> 'draft' OR created_by = ?)", actor.AccountID)
	default:
		// Staff: the drafts they are preparing at the window.
		q.add("created_by = ?", actor.AccountID)
		q.add("status = 'draft'")
	}
	if err := s.filterQuery(ctx, q, f); err != nil {
		return nil, err
	}
	return s.runList(ctx, q, f)
}

// List lists the cases in a staff member's data scope (drafts excluded).
func (s *Service) List(ctx context.Context, actor *identity.Principal, f Filter) (*Page, error) {
	if actor == nil {
		return nil, errLogin
	}
	if !actor.IsStaff() {
		return nil, apperr.New(apperr.Forbidden, "办件查询仅供工作人员使用，个人和企业请查看“我的办件”")
	}
	if err := f.normalize(); err != nil {
		return nil, err
	}
	q := &listQuery{}
	if !actor.HasRole(identity.RoleAdmin) {
		var ors []string
		var args []any
		for _, sc := range actor.Scopes {
			switch {
			case sc.RegionCode != "":
				lo, hi := regionRange(sc.RegionCode)
				col := "region_code"
				if s.DB.Dialect() == db.SQLite && len(lo) <= 6 {
					// A county or wider holds most of an installation's
					// cases: walking the newest first (cases_listed) finds a
					// page at once, where the region index would sort them
					// all. SQLite's planner cannot know that without
					// statistics; the unary + keeps it off the region index.
					// (PostgreSQL's planner has the statistics.)
					col = "+region_code"
				}
				ors = append(ors, "("+col+" >= ? AND "+col+" < ?)")
				args = append(args, lo, hi)
			case sc.DepartmentID != "":
				ors = append(ors, "department_id = ?")
				args = append(args, sc.DepartmentID)
			}
		}
		if len(ors) == 0 {
			return &Page{Cases: []Summary{}, Page: f.Page, PageSize: f.PageSize}, nil
		}
		q.add("("+strings.Join(ors, " OR ")+")", args...)
	}
	q.add("status <> 'draft'")
	if err := s.filterQuery(ctx, q, f); err != nil {
		return nil, err
	}
	return s.runList(ctx, q, f)
}

// regionRange is the range of 12-digit codes inside region r.
func regionRange(r string) (string, string) {
	n := len(strings.TrimRight(r, "0"))
	switch {
	case n <= 2:
		n = 2
	case n <= 4:
		n = 4
	case n <= 6:
		n = 6
	case n <= 9:
		n = 9
	default:
		n = 12
	}
	prefix := r[:n]
	return prefix, prefix[:n-1] + string(prefix[n-1]+1)
}

// InboxFilter selects an inbox's tasks.
type InboxFilter struct {
	Step  string
	Limit int
}

// StepCount is how many open tasks wait in one step.
type StepCount struct {
	Step  string `json:"step"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Inbox is a staff member's open tasks, most urgent first.
type Inbox struct {
	Tasks []InboxRow  `json:"tasks"`
	Steps []StepCount `json:"steps"`
	// Extensions are the extension requests of the department waiting
	// for approval (for its head).
	Extensions []ExtensionRequest `json:"extensions"`
}

// ExtensionRequest is an open request to extend a case's limits.
type ExtensionRequest struct {
	CaseNo      string    `json:"caseNo"`
	Item        string    `json:"item"`
	Applicant   string    `json:"applicant"`
	Days        int       `json:"days"`
	Reason      string    `json:"reason"`
	RequestedBy string    `json:"requestedBy"`
	RequestedAt time.Time `json:"requestedAt"`
}

// extensionRequests are the open extension requests of a department.
func (s *Service) extensionRequests(ctx context.Context, deptID string) ([]ExtensionRequest, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT c.case_no, c.item_name, c.applicant_name, p.days, p.reason, p.started_name, p.started_at
		FROM case_procedures p JOIN cases c ON c.id = p.case_id
		WHERE p.kind = 'extension' AND p.status = 'open' AND c.department_id = ? ORDER BY p.started_at LIMIT 50`, deptID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ExtensionRequest{}
	for rows.Next() {
		var e ExtensionRequest
		var no *string
		if err := rows.Scan(&no, &e.Item, &e.Applicant, &e.Days, &e.Reason, &e.RequestedBy, &e.RequestedAt); err != nil {
			return nil, err
		}
		e.CaseNo = deref(no)
		out = append(out, e)
	}
	return out, rows.Err()
}

// queues are the task queues a staff member works from.
func queues(p *identity.Principal) (exact []string, windowRanges [][2]string) {
	if p.HasRole(identity.RoleApprover) || p.HasRole(identity.RoleDeptHead) {
		exact = append(exact, "dept:"+p.DepartmentID)
	}
	if p.HasRole(identity.RoleClerk) {
		for _, sc := range p.Scopes {
			if sc.RegionCode != "" {
				lo, hi := regionRange(sc.RegionCode)
				windowRanges = append(windowRanges, [2]string{"window:" + lo, "window:" + hi})
			}
		}
	}
	return exact, windowRanges
}

// Inbox lists the tasks waiting for actor: for approvers and department
// heads their department's, for window clerks the window's in their
// regions; only steps one of their roles may act in.
func (s *Service) Inbox(ctx context.Context, actor *identity.Principal, f InboxFilter) (*Inbox, error) {
	if actor == nil {
		return nil, errLogin
	}
	if !actor.IsStaff() {
		return nil, apperr.New(apperr.Forbidden, "待办件仅供工作人员使用")
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 100
	}
	exact, ranges := queues(actor)
	out := &Inbox{Tasks: []InboxRow{}, Steps: []StepCount{}, Extensions: []ExtensionRequest{}}
	if actor.HasRole(identity.RoleDeptHead) && actor.DepartmentID != "" {
		var err error
		if out.Extensions, err = s.extensionRequests(ctx, actor.DepartmentID); err != nil {
			return nil, err
		}
	}
	tab, err := s.Calendar.Table(ctx) // before any rows are open
	if err != nil {
		return nil, err
	}
	// Every task of a window queue is a clerk's (workflow validation
	// insists), so only department queues need the role test.
	var roleTests []string
	var roleArgs []any
	for _, r := range actor.Roles {
		if r == identity.RoleApprover || r == identity.RoleDeptHead {
			roleTests = append(roleTests, "t.roles LIKE ?")
			roleArgs = append(roleArgs, "%,"+string(r)+",%")
		}
	}
	var specs []queueSpec
	if len(roleTests) > 0 {
		for _, q := range exact {
			specs = append(specs, queueSpec{queue: q, roles: "(" + strings.Join(roleTests, " OR ") + ")", args: roleArgs})
		}
	}
	for _, r := range ranges {
		qs, err := s.windowQueues(ctx, r)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			specs = append(specs, queueSpec{queue: q})
		}
	}
	if len(specs) == 0 {
		return out, nil
	}
	if out.Steps, err = s.stepCounts(ctx, specs); err != nil {
		return nil, err
	}
	// The most urgent tasks of each queue straight from the open-task index
	// in its order (no sort of the whole queue), merged here: first those
	// with a due date, then, if the page is not full, those without.
	var page []inboxTask
	for _, withDue := range []bool{true, false} {
		if len(page) >= f.Limit {
			break
		}
		for _, sp := range specs {
			ts, err := s.queueTasks(ctx, sp, f.Step, withDue, f.Limit)
			if err != nil {
				return nil, err
			}
			page = append(page, ts...)
		}
	}
	sort.SliceStable(page, func(i, j int) bool {
		a, b := page[i], page[j]
		switch {
		case (a.due == nil) != (b.due == nil):
			return a.due != nil
		case a.due != nil && !a.due.Equal(*b.due):
			return a.due.Before(*b.due)
		}
		return a.created.Before(b.created)
	})
	if len(page) > f.Limit {
		page = page[:f.Limit]
	}
	if len(page) == 0 {
		return out, nil
	}
	ids := make([]any, len(page))
	for i, t := range page {
		ids[i] = t.caseID
	}
	type caseInfo struct {
		no                       *string
		item, applicant, channel string
		status                   Status
		due                      *time.Time
		unit                     string
		mode                     string
		deferred                 int
		paused                   *time.Time
	}
	info := make(map[string]caseInfo, len(page))
	rows, err := s.DB.QueryContext(ctx, `SELECT id, case_no, item_name, applicant_name, status, channel, promised_due_at, promised_unit, mode, deferred_open, paused_at
		FROM cases WHERE id IN (`+db.Placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var ci caseInfo
		if err := rows.Scan(&id, &ci.no, &ci.item, &ci.applicant, &ci.status, &ci.channel, &ci.due, &ci.unit, &ci.mode, &ci.deferred, &ci.paused); err != nil {
			rows.Close()
			return nil, err
		}
		info[id] = ci
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	for _, t := range page {
		ci := info[t.caseID]
		r := InboxRow{Task: t.id, Step: t.step, StepName: t.stepName, Since: t.created, DueAt: t.due, CaseNo: deref(ci.no), Item: ci.item,
			Applicant: ci.applicant, Status: ci.status, StatusName: StatusNames[ci.status], Channel: ci.channel,
			Pledge: ci.mode == ModePledge, Tolerance: ci.deferred > 0, Paused: ci.paused != nil}
		if t.due != nil {
			r.Due = dueText(*t.due, "1")
			r.Overdue = !now.Before(*t.due) && ci.paused == nil
			if n, _, err := tab.WorkingDaysBetween(now, t.due.Add(-time.Nanosecond)); err == nil {
				r.Remaining = &n
			}
		}
		if ci.due != nil {
			r.CaseDue = dueText(*ci.due, ci.unit)
		}
		out.Tasks = append(out.Tasks, r)
	}
	return out, nil
}

// queueSpec is one task queue an inbox reads, with the role test its
// tasks need.
type queueSpec struct {
	queue string
	roles string // SQL condition on t.roles, "" for none
	args  []any
}

type inboxTask struct {
	id, caseID, step, stepName string
	created                    time.Time
	due                        *time.Time
}

// queueTasks is the most urgent tasks of one queue, in the open-task
// index's order: by due date (withDue) or, for tasks without one, by age.
func (s *Service) queueTasks(ctx context.Context, sp queueSpec, step string, withDue bool, limit int) ([]inboxTask, error) {
	where := "t.status = 'open' AND t.queue = ?"
	args := []any{sp.queue}
	if sp.roles != "" {
		where += " AND " + sp.roles
		args = append(args, sp.args...)
	}
	if step != "" {
		where += " AND t.step_id = ?"
		args = append(args, step)
	}
	order := "t.created_at"
	if withDue {
		where += " AND t.due_at IS NOT NULL"
		order = "t.due_at, t.created_at"
	} else {
		where += " AND t.due_at IS NULL"
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT t.id, t.case_id, t.step_id, t.step_name, t.created_at, t.due_at FROM case_tasks t
		WHERE `+where+` ORDER BY `+order+` LIMIT `+itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inboxTask
	for rows.Next() {
		var t inboxTask
		if err := rows.Scan(&t.id, &t.caseID, &t.step, &t.stepName, &t.created, &t.due); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Inbox counts change slowly compared with how often inboxes are opened:
// they are kept a few seconds (the tasks themselves are always read).
const countsFresh = 5 * time.Second

type cached[T any] struct {
	at  time.Time
	val T
}

// stepCounts counts the open tasks of the queues by step.
func (s *Service) stepCounts(ctx context.Context, specs []queueSpec) ([]StepCount, error) {
	var conds []string
	var args []any
	for _, sp := range specs {
		c := "t.queue = ?"
		args = append(args, sp.queue)
		if sp.roles != "" {
			c += " AND " + sp.roles
			args = append(args, sp.args...)
		}
		conds = append(conds, "("+c+")")
	}
	key := "counts" + fmt.Sprint(args...)
	if v, ok := s.inboxCache.Load(key); ok && time.Since(v.(cached[[]StepCount]).at) < countsFresh {
		return slices.Clone(v.(cached[[]StepCount]).val), nil
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT t.step_id, min(t.step_name), count(*) FROM case_tasks t
		WHERE t.status = 'open' AND (`+strings.Join(conds, " OR ")+`) GROUP BY t.step_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StepCount{}
	for rows.Next() {
		var sc StepCount
		if err := rows.Scan(&sc.Step, &sc.Name, &sc.Count); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Step < out[j].Step
	})
	s.inboxCache.Store(key, cached[[]StepCount]{time.Now(), out})
	return slices.Clone(out), nil
}

// windowQueues lists the window queues with open tasks in a range.
func (s *Service) windowQueues(ctx context.Context, r [2]string) ([]string, error) {
	// A loose index scan: one seek per distinct queue, however many tasks
	// each holds.
	rows, err := s.DB.QueryContext(ctx, `WITH RECURSIVE q(v) AS (
			SELECT min(queue) FROM case_tasks WHERE status = 'open' AND queue >= ? AND queue < ?
			UNION ALL
			SELECT (SELECT min(queue) FROM case_tasks WHERE status = 'open' AND queue > q.v AND queue < ?) FROM q WHERE q.v IS NOT NULL
		) SELECT v FROM q WHERE v IS NOT NULL`, r[0], r[1], r[1])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// Progress is what anyone with a case number and its query password may
// learn (by phone, at a kiosk): no personal data beyond a masked name.
type Progress struct {
	CaseNo      string     `json:"caseNo"`
	Item        string     `json:"item"`
	Department  string     `json:"department"`
	Applicant   string     `json:"applicant"`
	Status      Status     `json:"status"`
	StatusName  string     `json:"statusName"`
	ResultName  string     `json:"resultName,omitempty"`
	SubmittedAt *time.Time `json:"submittedAt,omitempty"`
	AcceptedAt  *time.Time `json:"acceptedAt,omitempty"`
	DecidedAt   *time.Time `json:"decidedAt,omitempty"`
	Deadline    *Deadline  `json:"deadline,omitempty"`
	Timeline    []Event    `json:"timeline"`
}

var errProgress = &apperr.Error{Code: apperr.NotFound, Message: "办件编号或查询密码不正确", Fields: map[string]string{"password": "办件编号或查询密码不正确"}}

// LookupProgress answers a progress query by case number and 6-digit query
// password, limited per case number and per address against guessing.
func (s *Service) LookupProgress(ctx context.Context, caseNo, password, ip string) (*Progress, error) {
	caseNo, password = strings.TrimSpace(caseNo), strings.TrimSpace(password)
	f := apperr.FieldErrors{}
	if caseNo == "" {
		f.Add("caseNo", "请填写办件编号")
	} else if len(caseNo) > 30 || strings.Trim(caseNo, "0123456789") != "" {
		f.Add("caseNo", "办件编号应为数字")
	}
	if len(password) != 6 || strings.Trim(password, "0123456789") != "" {
		f.Add("password", "查询密码为6位数字")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	if !s.lookups.Allow(caseNo, ip, now) {
		return nil, apperr.New(apperr.RateLimited, "查询失败次数过多，请15分钟后再试，或携带身份证到窗口查询")
	}
	c, err := caseByRef(ctx, s.DB, caseNo, false)
	if apperr.Is(err, apperr.NotFound) {
		s.lookups.Fail(caseNo, ip, now)
		return nil, errProgress
	}
	if err != nil {
		return nil, err
	}
	pw, err := s.Box.Open(fieldPassword, c.QueryPasswordEnc)
	if err != nil {
		return nil, err
	}
	if !constantEqual(pw, password) {
		s.lookups.Fail(caseNo, ip, now)
		return nil, errProgress
	}
	s.lookups.Succeed(caseNo)
	names, err := s.deptNames(ctx)
	if err != nil {
		return nil, err
	}
	tab, err := s.Calendar.Table(ctx)
	if err != nil {
		return nil, err
	}
	out := &Progress{CaseNo: c.no(), Item: c.ItemName, Department: names[c.DepartmentID], Applicant: maskApplicant(c),
		Status: c.Status, StatusName: StatusNames[c.Status], ResultName: ResultName(c.Result),
		SubmittedAt: c.SubmittedAt, AcceptedAt: c.AcceptedAt, DecidedAt: c.DecidedAt}
	out.Deadline = deadlineView(tab, c.PromisedAmount, c.PromisedUnit, "", c.PromisedDueAt, c.DueProvisional, c.Status.Open() && c.AcceptedAt != nil, now)
	events, err := caseEvents(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		e.Actor = "" // staff names stay inside
		out.Timeline = append(out.Timeline, e)
	}
	if out.Timeline == nil {
		out.Timeline = []Event{}
	}
	return out, nil
}

func maskApplicant(c *caseRow) string {
	if c.ApplicantKind == "company" {
		return c.ApplicantName
	}
	return stdcode.MaskName(c.ApplicantName)
}

func constantEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// MayReadFile is the files service's seam: staff and applicants who may
// see a case may read the materials attached to it.
func (s *Service) MayReadFile(ctx context.Context, actor *identity.Principal, fileID string) (bool, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT case_id FROM case_materials WHERE file_id = ?`, fileID)
	if err != nil {
		return false, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return false, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		c, err := caseByRef(ctx, s.DB, id, false)
		if err != nil {
			return false, err
		}
		if ok, err := s.canSee(ctx, s.DB, actor, c); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
