package casework

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/calendar"
	"yiwang/internal/catalog"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// Case procedures are what happens to a case beside the steps of its
// workflow (issue 5): a 补正 notice and the supplement that answers it, a
// special procedure (听证, 检验, 检测, 专家评审, 现场勘查), an extension, the
// applicant's withdrawal, 作废 by staff, and the 容缺 materials that arrive
// after acceptance. Which of them a step allows is workflow data
// (StepDef.Allow); their limits are the item's rules (catalog.Rules).
//
// The clocks: while a case waits for a supplement (when the item's rule is
// "stop") or for a special procedure, its promised and legal limits do not
// run. On resumption the working days in between (after the day it
// stopped, up to and including the day it resumes) are added to every due
// date, on the official calendar, so a supplement asked for before 国庆
// and answered after it loses none of the department's days and gains
// none of the holiday's.

// Outbox topics written by the procedures (the notices read them).
const (
	TopicSupplementRequested = "case.supplement_requested"
	TopicSupplemented        = "case.supplemented"
	TopicUnsupplemented      = "case.unsupplemented"
	TopicSpecialStarted      = "case.special_started"
	TopicSpecialEnded        = "case.special_ended"
	TopicExtensionRequested  = "case.extension_requested"
	TopicExtended            = "case.extended"
	TopicWithdrawn           = "case.withdrawn"
	TopicVoided              = "case.voided"
	TopicReady               = "case.ready"
	TopicPosted              = "case.posted"
	TopicDelivered           = "case.delivered"
	TopicToleranceReminder   = "case.tolerance_reminder"
	TopicToleranceCompleted  = "case.tolerance_completed"
	TopicRevoked             = "case.revoked"
)

// CaseActions are the actions on a case that are not steps of its
// workflow, and their names.
var CaseActions = map[string]string{
	"supplement":        "一次性告知补正",
	"supply":            "提交补正材料",
	"special-start":     "启动特别程序",
	"special-end":       "结束特别程序",
	"extend":            "申请延期",
	"extension-approve": "批准延期",
	"extension-reject":  "不批准延期",
	"withdraw":          "撤回申请",
	"void":              "作废",
}

// ProcedureKinds name the kinds of procedure.
var ProcedureKinds = map[string]string{"supplement": "补正", "special": "特别程序", "extension": "延期", "delivery": "送达"}

// ProcedureStatuses name where a procedure stands.
var ProcedureStatuses = map[string]string{"open": "进行中", "done": "已完成", "approved": "已批准", "rejected": "未批准", "lapsed": "逾期未补正", "cancelled": "已取消"}

// procRow is a procedure as stored.
type procRow struct {
	ID, CaseID, Kind, Name, Status, Reason, Data, StepID string
	Days                                                 int
	DueAt                                                *time.Time
	StartedAt                                            time.Time
	StartedBy, StartedName                               string
	EndedAt                                              *time.Time
	EndedBy, EndedName, Outcome                          string
	ExcludedDays                                         int
}

const procCols = `id, case_id, kind, name, status, reason, data, step_id, days, due_at, started_at, started_by, started_name, ended_at, ended_by, ended_name, outcome, excluded_days`

func scanProc(row interface{ Scan(...any) error }, p *procRow) error {
	return row.Scan(&p.ID, &p.CaseID, &p.Kind, &p.Name, &p.Status, &p.Reason, &p.Data, &p.StepID, &p.Days, &p.DueAt, &p.StartedAt,
		&p.StartedBy, &p.StartedName, &p.EndedAt, &p.EndedBy, &p.EndedName, &p.Outcome, &p.ExcludedDays)
}

func caseProcs(ctx context.Context, q db.Querier, caseID string) ([]procRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+procCols+` FROM case_procedures WHERE case_id = ? ORDER BY started_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []procRow
	for rows.Next() {
		var p procRow
		if err := scanProc(rows, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func openProc(procs []procRow, kind string) *procRow {
	for i := range procs {
		if procs[i].Kind == kind && procs[i].Status == "open" {
			return &procs[i]
		}
	}
	return nil
}

func insertProc(ctx context.Context, q db.Querier, p *procRow) error {
	_, err := q.ExecContext(ctx, `INSERT INTO case_procedures (`+procCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.CaseID, p.Kind, p.Name, p.Status, p.Reason, p.Data, p.StepID, p.Days, p.DueAt, p.StartedAt, p.StartedBy, p.StartedName,
		p.EndedAt, p.EndedBy, p.EndedName, p.Outcome, p.ExcludedDays)
	return err
}

// endProc closes an open procedure; one already closed is a Conflict.
func endProc(ctx context.Context, q db.Querier, p *procRow, status string, at time.Time, actor *identity.Principal, outcome string, excluded int) error {
	res, err := q.ExecContext(ctx, `UPDATE case_procedures SET status = ?, ended_at = ?, ended_by = ?, ended_name = ?, outcome = ?, excluded_days = ? WHERE id = ? AND status = 'open'`,
		status, at, actorID(actor), actorName(actor), outcome, excluded, p.ID)
	return exactlyOne(res, err)
}

// system is the platform acting by itself (the sweeper, automatic steps).
var system = &identity.Principal{DisplayName: "一网平台（系统）"}

func actorID(p *identity.Principal) string {
	if p == nil || p == system {
		return ""
	}
	return p.AccountID
}

func actorName(p *identity.Principal) string {
	if p == nil {
		return ""
	}
	return p.DisplayName
}

// SupplementItem is one material a 补正 notice asks for, and why.
type SupplementItem struct {
	Material string `json:"material"`
	Name     string `json:"name"`
	Reason   string `json:"reason"`
}

// decodeData reads an action's data into v, naming unknown fields.
func decodeData(data map[string]any, v any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return apperr.New(apperr.Invalid, "附加数据无法解析")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("此操作没有附加数据 %q", f), Fields: map[string]string{"data." + f: "未知字段"}}
		}
		return &apperr.Error{Code: apperr.Invalid, Message: "附加数据的格式不对：" + msg, Fields: map[string]string{"data": "格式不对"}}
	}
	return nil
}

// procCtx is what a procedure runs with: the case locked in tx, its
// workflow and open tasks, the item it was applied under.
type procCtx struct {
	s     *Service
	ctx   context.Context
	tx    *db.Tx
	actor *identity.Principal
	c     *caseRow
	wf    *Workflow
	open  []taskRow
	procs []procRow
	it    *catalog.Item
	rules catalog.Rules
	in    ActionInput
	now   time.Time
	env   *txEnv
	// filled by the procedure
	release bool // 容缺 materials all arrived: a held result may go out
	event   eventRow
	topics  []string
	extra   map[string]any
}

// itemIn is the catalogue version of a case, read through q when it is
// not the published one.
func (s *Service) itemIn(ctx context.Context, q db.Querier, code string, version int) (*catalog.Item, error) {
	if snap, err := s.Catalog.Snapshot(ctx); err == nil {
		if e, ok := snap.ByCode(code); ok && e.Item.Version == version {
			return &e.Item, nil
		}
	}
	var data string
	err := q.QueryRowContext(ctx, `SELECT v.data FROM catalog_versions v JOIN catalog_items i ON i.id = v.item_id WHERE i.code = ? AND v.version = ?`, code, version).Scan(&data)
	if err != nil {
		return nil, err
	}
	it := &catalog.Item{}
	return it, json.Unmarshal([]byte(data), it)
}

// runProcedure performs case action in.Action inside the action's
// transaction.
func (s *Service) runProcedure(pc *procCtx) error {
	var err error
	if pc.it, err = s.itemIn(pc.ctx, pc.tx, pc.c.ItemCode, pc.c.ItemVersion); err != nil {
		return err
	}
	pc.rules = pc.it.EffectiveRules()
	if pc.procs, err = caseProcs(pc.ctx, pc.tx, pc.c.ID); err != nil {
		return err
	}
	from := pc.c.Status
	read := pc.c.Revision
	pc.extra = map[string]any{}
	switch pc.in.Action {
	case "supplement":
		err = pc.supplement()
	case "supply":
		err = pc.supply()
	case "special-start":
		err = pc.specialStart()
	case "special-end":
		err = pc.specialEnd()
	case "extend":
		err = pc.extend()
	case "extension-approve", "extension-reject":
		err = pc.extensionDecide(pc.in.Action == "extension-approve")
	case "withdraw", "void":
		err = pc.terminate(pc.in.Action)
	default:
		err = apperr.Newf(apperr.Invalid, "未知操作 %q", pc.in.Action)
	}
	if err != nil {
		return err
	}
	c := pc.c
	c.Revision++
	c.UpdatedAt = pc.now
	c.Extras |= extrasProcedures
	if err := updateCase(pc.ctx, pc.tx, c, read); err != nil {
		return err
	}
	ev := pc.event
	ev.ID, ev.CaseID, ev.At, ev.ActorID, ev.ActorName, ev.Org = newID(), c.ID, pc.now, actorID(pc.actor), actorName(pc.actor), orgOf(pc.actor)
	ev.Action, ev.From, ev.To = pc.in.Action, from, c.Status
	if ev.ActionName == "" {
		ev.ActionName = CaseActions[pc.in.Action]
	}
	if ev.Comment == "" {
		ev.Comment = pc.in.Comment
	}
	if err := insertEvent(pc.ctx, pc.tx, &ev); err != nil {
		return err
	}
	for _, topic := range pc.topics {
		payload := map[string]any{"caseNo": c.no(), "action": pc.in.Action, "status": c.Status, "result": c.Result, "resultCode": c.ResultCode}
		for k, v := range pc.extra {
			payload[k] = v
		}
		if err := insertOutbox(pc.ctx, pc.tx, topic, c.ID, payload, pc.now); err != nil {
			return err
		}
	}
	detail := map[string]any{"caseNo": c.no(), "action": pc.in.Action}
	for k, v := range pc.extra {
		detail[k] = v
	}
	return audit.Append(pc.ctx, pc.tx, pc.now, audit.Entry{Action: "case." + pc.in.Action, ObjectType: "case", ObjectID: c.ID,
		BeforeRef: string(from), AfterRef: string(c.Status), Detail: detail})
}

// allowingTask finds an open task whose step allows procedure proc and in
// which the actor may act.
func (pc *procCtx) allowingTask(proc string) (*taskRow, *StepDef, error) {
	forbidden := false
	for i := range pc.open {
		st, ok := pc.wf.Step(pc.open[i].Step)
		if !ok || !slices.Contains(st.Allow, proc) {
			continue
		}
		if mayAct(pc.actor, st, &pc.open[i], pc.c, pc.env) {
			return &pc.open[i], st, nil
		}
		forbidden = true
	}
	if forbidden {
		return nil, nil, apperr.Newf(apperr.Forbidden, "您不能对此办件进行“%s”（须由当前环节的办理人员进行）", Procedures[proc])
	}
	return nil, nil, apperr.Newf(apperr.Conflict, "办件当前为“%s”，此时不能%s", StatusNames[pc.c.Status], Procedures[proc])
}

func (pc *procCtx) needReason(what string) error {
	if utf8.RuneCountInString(pc.in.Comment) < 2 {
		return &apperr.Error{Code: apperr.Invalid, Message: what + "须写明理由", Fields: map[string]string{"comment": "请写明理由"}}
	}
	return nil
}

func (pc *procCtx) notPaused() error {
	switch {
	case pc.c.PausedAt != nil && pc.c.PauseKind == "supplement":
		return apperr.New(apperr.Conflict, "办件正在等待申请人补正，补正材料收到后才能继续办理")
	case pc.c.PausedAt != nil:
		return apperr.New(apperr.Conflict, "办件正在特别程序中，请先结束特别程序")
	}
	return nil
}

// applicableMaterials are the materials of the case's item in its
// situation, by id.
func (pc *procCtx) applicableMaterials() map[string]catalog.Material {
	var answers catalog.Answers
	_ = json.Unmarshal([]byte(pc.c.Situation), &answers)
	out := map[string]catalog.Material{}
	for _, m := range pc.it.MaterialsFor(answers) {
		out[m.ID] = m
	}
	return out
}

// supplement: one notice (一次性告知) naming every material to supplement
// and why; the case waits for the applicant, its clocks stopped when the
// item's rule says so, until the supplement limit.
func (pc *procCtx) supplement() error {
	if err := pc.notPaused(); err != nil {
		return err
	}
	t, _, err := pc.allowingTask("supplement")
	if err != nil {
		return err
	}
	var d struct {
		Materials []SupplementItem `json:"materials"`
	}
	if err := decodeData(pc.in.Data, &d); err != nil {
		return err
	}
	if len(d.Materials) == 0 {
		return &apperr.Error{Code: apperr.Invalid, Message: "请逐项列明需要补正的材料及原因（一次性告知）", Fields: map[string]string{"data.materials": "至少一项"}}
	}
	applicable := pc.applicableMaterials()
	f := apperr.FieldErrors{}
	seen := map[string]bool{}
	var names []string
	for i, m := range d.Materials {
		p := fmt.Sprintf("data.materials[%d]", i)
		mat, ok := applicable[m.Material]
		switch {
		case !ok:
			f.Add(p+".material", fmt.Sprintf("本办件没有材料 %q", m.Material))
			continue
		case seen[m.Material]:
			f.Add(p+".material", "“"+mat.Name+"”重复")
			continue
		}
		seen[m.Material] = true
		m.Reason = strings.TrimSpace(m.Reason)
		switch n := utf8.RuneCountInString(m.Reason); {
		case n < 2:
			f.Add(p+".reason", "请写明“"+mat.Name+"”需要补正的原因")
		case n > 300:
			f.Add(p+".reason", "原因不能超过300字")
		}
		d.Materials[i].Name, d.Materials[i].Reason = mat.Name, m.Reason
		names = append(names, mat.Name)
	}
	if err := f.Err(); err != nil {
		return err
	}
	due, _, err := DueAt(pc.env.tab, pc.now, pc.rules.SupplementLimit.Amount, pc.rules.SupplementLimit.Unit)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(d.Materials)
	p := &procRow{ID: newID(), CaseID: pc.c.ID, Kind: "supplement", Name: "补正告知", Status: "open", Reason: pc.in.Comment, Data: string(data),
		StepID: t.Step, DueAt: &due, StartedAt: pc.now, StartedBy: actorID(pc.actor), StartedName: actorName(pc.actor)}
	if err := insertProc(pc.ctx, pc.tx, p); err != nil {
		return err
	}
	c := pc.c
	c.ResumeStatus, c.Status, c.PausedAt, c.PauseKind, c.SupplementDueAt = c.Status, StatusSupplement, &pc.now, "supplement", &due
	pc.event.Step, pc.event.StepName = t.Step, t.StepName
	pc.event.Comment = "请补正：" + strings.Join(names, "、")
	if pc.in.Comment != "" {
		pc.event.Comment += "。" + pc.in.Comment
	}
	pc.topics = []string{TopicSupplementRequested}
	pc.extra["materials"], pc.extra["due"] = names, dueText(due, pc.rules.SupplementLimit.Unit)
	return nil
}

// mayActForApplicant: the applicant, or a clerk of the case's region (at
// the window, on the applicant's behalf).
func (pc *procCtx) mayActForApplicant() bool {
	a := pc.actor
	if isApplicant(a, pc.c) {
		return true
	}
	return a.IsStaff() && a.HasRole(identity.RoleClerk) && scopeHasRegion(a, pc.c.RegionCode)
}

// supply: the applicant (or a clerk for them) hands in the materials a
// 补正 notice asked for, or the 容缺 materials pledged.
func (pc *procCtx) supply() error {
	if !pc.mayActForApplicant() {
		return apperr.New(apperr.Forbidden, "只有申请人（或综合窗口代为）可以提交补正材料")
	}
	var d struct {
		Materials []MaterialRef `json:"materials"`
	}
	if err := decodeData(pc.in.Data, &d); err != nil {
		return err
	}
	if len(d.Materials) == 0 {
		return &apperr.Error{Code: apperr.Invalid, Message: "请上传要补交的材料", Fields: map[string]string{"data.materials": "至少一项"}}
	}
	asked := map[string]string{} // material → name
	var sp *procRow
	var deferred []deferredRow
	switch {
	case pc.c.Status == StatusSupplement:
		sp = openProc(pc.procs, "supplement")
		if sp == nil {
			return apperr.New(apperr.Conflict, "没有待补正的告知")
		}
		var items []SupplementItem
		if err := json.Unmarshal([]byte(sp.Data), &items); err != nil {
			return err
		}
		for _, it := range items {
			asked[it.Material] = it.Name
		}
	case pc.c.DeferredOpen > 0:
		var err error
		if deferred, err = caseDeferred(pc.ctx, pc.tx, pc.c.ID); err != nil {
			return err
		}
		for _, df := range deferred {
			if df.ArrivedAt == nil {
				asked[df.Material] = df.Name
			}
		}
	default:
		return apperr.New(apperr.Conflict, "办件当前没有需要补交的材料")
	}
	var ids []string
	for _, m := range d.Materials {
		ids = append(ids, m.File)
	}
	files, err := pc.s.Files.Describe(pc.ctx, ids)
	if err != nil {
		return err
	}
	f := apperr.FieldErrors{}
	got := map[string][]string{}
	for i, m := range d.Materials {
		p := fmt.Sprintf("data.materials[%d]", i)
		if _, ok := asked[m.Material]; !ok {
			f.Add(p+".material", fmt.Sprintf("未要求补交材料 %q，只需提交告知书中列明的材料", m.Material))
			continue
		}
		if fl, ok := files[m.File]; !ok || fl.OwnerAccountID != pc.actor.AccountID {
			f.Add(p+".file", "文件不存在或不是您上传的")
			continue
		}
		if !slices.Contains(got[m.Material], m.File) {
			got[m.Material] = append(got[m.Material], m.File)
		}
	}
	if sp != nil {
		for id, name := range asked {
			if len(got[id]) == 0 {
				f.Add("data.materials."+id, "请补正："+name)
			}
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	// The new files replace what was there for each material supplied.
	var refs []MaterialRef
	var names []string
	for id, fs := range got {
		if _, err := pc.tx.ExecContext(pc.ctx, `DELETE FROM case_materials WHERE case_id = ? AND material_id = ?`, pc.c.ID, id); err != nil {
			return err
		}
		for _, fid := range fs {
			refs = append(refs, MaterialRef{Material: id, File: fid})
		}
		names = append(names, asked[id])
	}
	slices.Sort(names)
	if err := replaceMaterials(pc.ctx, pc.tx, pc.c.ID, refs, pc.now, pc.actor.AccountID, true); err != nil {
		return err
	}
	pc.extra["materials"] = names
	pc.event.Comment = "补交：" + strings.Join(names, "、")
	if pc.in.Comment != "" {
		pc.event.Comment += "。" + pc.in.Comment
	}
	if sp != nil {
		excluded, err := pc.resume(pc.rules.SupplementClock == "restart")
		if err != nil {
			return err
		}
		pc.c.SupplementDueAt = nil
		pc.event.ActionName = "补正材料"
		pc.topics = append(pc.topics, TopicSupplemented)
		return endProc(pc.ctx, pc.tx, sp, "done", pc.now, pc.actor, strings.Join(names, "、"), excluded)
	}
	// 容缺 materials arriving.
	for id := range got {
		res, err := pc.tx.ExecContext(pc.ctx, `UPDATE case_deferred SET arrived_at = ? WHERE case_id = ? AND material_id = ? AND arrived_at IS NULL`, pc.now, pc.c.ID, id)
		if err := exactlyOne(res, err); err != nil {
			return err
		}
		pc.c.DeferredOpen--
	}
	pc.event.ActionName = "补交容缺材料"
	if pc.c.DeferredOpen == 0 {
		pc.topics = append(pc.topics, TopicToleranceCompleted)
		pc.event.Comment += "（容缺材料已全部补齐）"
		pc.release = true // a result held back for them may go out now
	}
	return nil
}

// resume ends a pause: the status returns to what it was, and the time
// paused is added to every due date (or, restart, the limits count afresh
// from now). It answers the working days that did not count.
func (pc *procCtx) resume(restart bool) (int, error) {
	c := pc.c
	if c.PausedAt == nil {
		return 0, apperr.New(apperr.Conflict, "办件没有暂停计时")
	}
	tab := pc.env.tab
	excluded, _, err := tab.WorkingDaysBetween(*c.PausedAt, pc.now)
	if err != nil {
		return 0, err
	}
	if excluded < 0 {
		excluded = 0
	}
	if c.AcceptedAt != nil && c.DecidedAt == nil {
		oldPromised := c.PromisedDueAt
		if restart {
			if err := pc.s.startClocks(c, pc.now, tab); err != nil {
				return 0, err
			}
		} else {
			if c.PromisedDueAt, err = shiftDue(tab, c.PromisedDueAt, c.PromisedUnit, *c.PausedAt, pc.now); err != nil {
				return 0, err
			}
			if c.LegalDueAt, err = shiftDue(tab, c.LegalDueAt, c.LegalUnit, *c.PausedAt, pc.now); err != nil {
				return 0, err
			}
		}
		// The open tasks' due dates move with the case's.
		for i := range pc.open {
			t := &pc.open[i]
			if t.DueAt == nil {
				continue
			}
			var nd *time.Time
			if restart && oldPromised != nil && !t.DueAt.Before(*oldPromised) {
				nd = c.PromisedDueAt
			} else if nd, err = shiftDue(tab, t.DueAt, "1", *c.PausedAt, pc.now); err != nil {
				return 0, err
			}
			if _, err := pc.tx.ExecContext(pc.ctx, `UPDATE case_tasks SET due_at = ? WHERE id = ?`, nd, t.ID); err != nil {
				return 0, err
			}
			t.DueAt = nd
		}
	}
	c.Status, c.ResumeStatus, c.PausedAt, c.PauseKind = c.ResumeStatus, "", nil, ""
	if c.Status == "" {
		c.Status = StatusProcessing
	}
	return excluded, nil
}

// shiftDue moves a due instant by the time between paused and resumed:
// working days for limits in working days, calendar days for calendar
// days and months, the duration itself for hours and minutes.
func shiftDue(tab *calendar.Table, due *time.Time, unit string, paused, resumed time.Time) (*time.Time, error) {
	if due == nil {
		return nil, nil
	}
	var out time.Time
	switch unit {
	case "3", "4":
		out = due.Add(resumed.Sub(paused))
	case "2", "5":
		out = due.AddDate(0, 0, calendar.DateOf(resumed).DaysSince(calendar.DateOf(paused)))
	default:
		n, _, err := tab.WorkingDaysBetween(paused, resumed)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return due, nil
		}
		last := calendar.DateOf(due.Add(-time.Nanosecond))
		d, _, err := tab.AddWorkingDays(last.Time(), n)
		if err != nil {
			return nil, err
		}
		out = d.AddDays(1).Time().UTC()
	}
	return &out, nil
}

// startClocks sets the promised and legal due dates counted from at.
func (s *Service) startClocks(c *caseRow, at time.Time, tab *calendar.Table) error {
	due, prov, err := DueAt(tab, at, c.PromisedAmount, c.PromisedUnit)
	if err != nil {
		return err
	}
	c.PromisedDueAt, c.DueProvisional = &due, prov
	c.LegalDueAt = nil
	// A legal limit of 0 means the law sets none (many public services).
	if c.LegalAmount > 0 {
		legal, lprov, err := DueAt(tab, at, c.LegalAmount, c.LegalUnit)
		if err != nil {
			return err
		}
		c.LegalDueAt, c.DueProvisional = &legal, prov || lprov
	}
	if c.ExtendedDays > 0 {
		// An extension granted before (and kept by a restart).
		for _, d := range []**time.Time{&c.PromisedDueAt, &c.LegalDueAt} {
			if *d != nil {
				nd, err := addWorkingDaysToDue(tab, **d, c.ExtendedDays)
				if err != nil {
					return err
				}
				*d = &nd
			}
		}
	}
	return nil
}

// addWorkingDaysToDue moves a due instant n working days later.
func addWorkingDaysToDue(tab *calendar.Table, due time.Time, n int) (time.Time, error) {
	last := calendar.DateOf(due.Add(-time.Nanosecond))
	d, _, err := tab.AddWorkingDays(last.Time(), n)
	if err != nil {
		return time.Time{}, err
	}
	return d.AddDays(1).Time().UTC(), nil
}

// specialStart: 听证, 检验, 检测, 专家评审, 现场勘查 … (the item's special
// procedures): the clocks pause until it ends.
func (pc *procCtx) specialStart() error {
	if err := pc.notPaused(); err != nil {
		return err
	}
	t, _, err := pc.allowingTask("special")
	if err != nil {
		return err
	}
	var d struct {
		Procedure string `json:"procedure"`
		Days      int    `json:"days"`
	}
	if err := decodeData(pc.in.Data, &d); err != nil {
		return err
	}
	var def *catalog.SpecialProcedure
	var names []string
	for i := range pc.it.SpecialProcedures {
		names = append(names, pc.it.SpecialProcedures[i].Name)
		if pc.it.SpecialProcedures[i].Name == d.Procedure {
			def = &pc.it.SpecialProcedures[i]
		}
	}
	switch {
	case len(names) == 0:
		return apperr.New(apperr.Conflict, "本事项的办事指南未列明特别程序，不能启动")
	case def == nil:
		return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("本事项的特别程序为：%s", strings.Join(names, "、")), Fields: map[string]string{"data.procedure": "请选择本事项的特别程序"}}
	}
	maxDays := def.Limit.Amount
	if maxDays <= 0 {
		maxDays = 365
	}
	if d.Days < 1 || d.Days > maxDays {
		return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("“%s”预计时长应为1到%d%s", def.Name, maxDays, catalog.LimitUnits[unitOr(def.Limit.Unit)]),
			Fields: map[string]string{"data.days": "超出范围"}}
	}
	if err := pc.needReason("启动特别程序"); err != nil {
		return err
	}
	unit := unitOr(def.Limit.Unit)
	due, _, err := DueAt(pc.env.tab, pc.now, d.Days, unit)
	if err != nil {
		return err
	}
	p := &procRow{ID: newID(), CaseID: pc.c.ID, Kind: "special", Name: def.Name, Status: "open", Reason: pc.in.Comment, Data: "{}",
		StepID: t.Step, Days: d.Days, DueAt: &due, StartedAt: pc.now, StartedBy: actorID(pc.actor), StartedName: actorName(pc.actor)}
	if err := insertProc(pc.ctx, pc.tx, p); err != nil {
		return err
	}
	c := pc.c
	c.ResumeStatus, c.Status, c.PausedAt, c.PauseKind = c.Status, StatusSpecial, &pc.now, "special"
	pc.event.Step, pc.event.StepName = t.Step, t.StepName
	pc.event.ActionName = "启动特别程序：" + def.Name
	pc.event.Comment = fmt.Sprintf("%s（预计%d%s，至%s）", pc.in.Comment, d.Days, catalog.LimitUnits[unit], dueText(due, unit))
	pc.topics = []string{TopicSpecialStarted}
	pc.extra["procedure"], pc.extra["due"], pc.extra["reason"] = def.Name, dueText(due, unit), pc.in.Comment
	return nil
}

func unitOr(u string) string {
	if u == "" {
		return "1"
	}
	return u
}

// specialEnd ends the special procedure under way with its outcome; the
// clocks run again, the days it took added to every due date.
func (pc *procCtx) specialEnd() error {
	p := openProc(pc.procs, "special")
	if p == nil || pc.c.Status != StatusSpecial {
		return apperr.New(apperr.Conflict, "办件没有进行中的特别程序")
	}
	if _, _, err := pc.allowingTask("special"); err != nil {
		return err
	}
	if err := decodeData(pc.in.Data, &struct{}{}); err != nil {
		return err
	}
	if utf8.RuneCountInString(pc.in.Comment) < 2 {
		return &apperr.Error{Code: apperr.Invalid, Message: "请填写特别程序的结果（如专家评审意见）", Fields: map[string]string{"comment": "请填写结果"}}
	}
	excluded, err := pc.resume(false)
	if err != nil {
		return err
	}
	pc.event.ActionName = "结束特别程序：" + p.Name
	pc.event.Comment = fmt.Sprintf("%s（不计时 %d 个工作日）", pc.in.Comment, excluded)
	pc.topics = []string{TopicSpecialEnded}
	pc.extra["procedure"], pc.extra["excludedDays"] = p.Name, excluded
	if pc.c.PromisedDueAt != nil {
		pc.extra["due"] = dueText(*pc.c.PromisedDueAt, pc.c.PromisedUnit)
	}
	return endProc(pc.ctx, pc.tx, p, "done", pc.now, pc.actor, pc.in.Comment, excluded)
}

// extend: the approver asks for more time (行政许可法 Art. 42), up to the
// item's extension; the department's head (or the rule's role) decides.
func (pc *procCtx) extend() error {
	c := pc.c
	if c.AcceptedAt == nil || c.DecidedAt != nil {
		return apperr.New(apperr.Conflict, "只有已受理、尚未办结的办件可以申请延期")
	}
	if _, _, err := pc.allowingTask("extend"); err != nil {
		return err
	}
	if pc.rules.Extension == 0 {
		return apperr.New(apperr.Conflict, "本事项依法不能延长办理期限")
	}
	if openProc(pc.procs, "extension") != nil {
		return apperr.New(apperr.Conflict, "已有一项延期申请等待审批")
	}
	for _, p := range pc.procs {
		if p.Kind == "extension" && p.Status == "approved" {
			return apperr.New(apperr.Conflict, "本办件已延期一次，依法不能再次延期")
		}
	}
	var d struct {
		Days int `json:"days"`
	}
	if err := decodeData(pc.in.Data, &d); err != nil {
		return err
	}
	if d.Days < 1 || d.Days > pc.rules.Extension {
		return &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("延长天数应为1到%d个工作日", pc.rules.Extension), Fields: map[string]string{"data.days": "超出范围"}}
	}
	if err := pc.needReason("申请延期"); err != nil {
		return err
	}
	p := &procRow{ID: newID(), CaseID: c.ID, Kind: "extension", Name: fmt.Sprintf("延长%d个工作日", d.Days), Status: "open", Reason: pc.in.Comment,
		Data: "{}", Days: d.Days, StartedAt: pc.now, StartedBy: actorID(pc.actor), StartedName: actorName(pc.actor)}
	pc.event.Comment = fmt.Sprintf("申请延长%d个工作日：%s", d.Days, pc.in.Comment)
	pc.topics = []string{TopicExtensionRequested}
	pc.extra["days"] = d.Days
	return insertProc(pc.ctx, pc.tx, p)
}

// mayDecideExtension: the rule's role in the implementing department,
// with a scope covering the case.
func (pc *procCtx) mayDecideExtension() bool {
	a := pc.actor
	return a.IsStaff() && a.DepartmentID == pc.c.DepartmentID && a.HasRole(identity.Role(pc.rules.ExtensionRole)) &&
		(a.CanSeeDepartment(pc.c.DepartmentID, pc.env.regionOf(pc.c.DepartmentID)) || a.CanSeeRegion(pc.c.RegionCode))
}

func (pc *procCtx) extensionDecide(approve bool) error {
	p := openProc(pc.procs, "extension")
	if p == nil {
		return apperr.New(apperr.Conflict, "没有等待审批的延期申请")
	}
	if !pc.mayDecideExtension() {
		return apperr.Newf(apperr.Forbidden, "延期须由实施机关的%s批准", ActorRoles[pc.rules.ExtensionRole])
	}
	if err := decodeData(pc.in.Data, &struct{}{}); err != nil {
		return err
	}
	c := pc.c
	if !approve {
		if err := pc.needReason("不批准延期"); err != nil {
			return err
		}
		pc.event.Comment = "不批准延期：" + pc.in.Comment
		return endProc(pc.ctx, pc.tx, p, "rejected", pc.now, pc.actor, pc.in.Comment, 0)
	}
	if c.DecidedAt != nil {
		return apperr.New(apperr.Conflict, "办件已办结，无需延期")
	}
	tab := pc.env.tab
	oldPromised := c.PromisedDueAt
	for _, d := range []**time.Time{&c.PromisedDueAt, &c.LegalDueAt} {
		if *d != nil {
			nd, err := addWorkingDaysToDue(tab, **d, p.Days)
			if err != nil {
				return err
			}
			*d = &nd
		}
	}
	c.ExtendedDays += p.Days
	for i := range pc.open {
		t := &pc.open[i]
		if t.DueAt != nil && oldPromised != nil && !t.DueAt.Before(*oldPromised) {
			if _, err := pc.tx.ExecContext(pc.ctx, `UPDATE case_tasks SET due_at = ? WHERE id = ?`, c.PromisedDueAt, t.ID); err != nil {
				return err
			}
			t.DueAt = c.PromisedDueAt
		}
	}
	due := ""
	if c.PromisedDueAt != nil {
		due = dueText(*c.PromisedDueAt, c.PromisedUnit)
	}
	pc.event.Comment = fmt.Sprintf("批准延长%d个工作日，承诺办结日期延至%s。%s", p.Days, due, pc.in.Comment)
	pc.topics = []string{TopicExtended}
	pc.extra["days"], pc.extra["due"] = p.Days, due
	return endProc(pc.ctx, pc.tx, p, "approved", pc.now, pc.actor, pc.in.Comment, 0)
}

// terminate: the applicant withdraws (撤回) or staff void (作废) a case not
// yet decided. Every open task and procedure closes.
func (pc *procCtx) terminate(action string) error {
	c := pc.c
	if err := decodeData(pc.in.Data, &struct{}{}); err != nil {
		return err
	}
	if c.DecidedAt != nil || !c.Status.Open() {
		if action == "withdraw" {
			return apperr.New(apperr.Conflict, "办件已作出决定（或已结束），不能撤回")
		}
		return apperr.New(apperr.Conflict, "办件已作出决定（或已结束），不能作废")
	}
	result, topic := "withdrawn", TopicWithdrawn
	if action == "withdraw" {
		if !isApplicant(pc.actor, c) && c.CreatedBy != pc.actor.AccountID {
			return apperr.New(apperr.Forbidden, "只有申请人可以撤回申请")
		}
	} else {
		if _, _, err := pc.allowingTask("void"); err != nil {
			return err
		}
		if err := pc.needReason("作废"); err != nil {
			return err
		}
		result, topic = "voided", TopicVoided
	}
	for _, t := range pc.open {
		if err := closeTask(pc.ctx, pc.tx, t.ID, "cancelled", pc.now, actorID(pc.actor), action); err != nil {
			return err
		}
	}
	pc.open = nil
	for i := range pc.procs {
		if pc.procs[i].Status == "open" && pc.procs[i].Kind != "delivery" {
			if err := endProc(pc.ctx, pc.tx, &pc.procs[i], "cancelled", pc.now, pc.actor, CaseActions[action], 0); err != nil {
				return err
			}
		}
	}
	c.Status, c.Result, c.ResultCode = StatusClosed, result, ResultCode(result, c.ItemType)
	c.DecidedAt, c.FinishedAt = &pc.now, &pc.now
	c.PausedAt, c.PauseKind, c.ResumeStatus, c.SupplementDueAt = nil, "", "", nil
	pc.topics = []string{topic}
	pc.extra["reason"] = pc.in.Comment
	return nil
}
