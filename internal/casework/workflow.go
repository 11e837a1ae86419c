// Package casework owns cases (办件): applications made online or at a
// comprehensive window, the workflow engine that moves them through the
// departments behind the window, tasks and inboxes, deadlines counted on
// the working-day calendar, the timeline of every case, and the notices
// printed for the applicant.
//
// A process is data (Workflow): steps, who may act in each, the actions of
// each step and where they lead, per-step time limits, and parallel
// branches that must all finish. No item's process is written in Go.
package casework

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"yiwang/internal/apperr"
)

// Workflow is a process definition (办理流程). Every item names one (or
// gets the default for its 办件类型); a case keeps the definition it was
// submitted under, so editing a workflow never changes a running case.
type Workflow struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Start       string    `json:"start"` // the step a submitted case goes to first
	Steps       []StepDef `json:"steps"`
}

// StepDef is one step (环节) of a workflow.
type StepDef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Actor Actor  `json:"actor"`
	// Limit is the step's own time limit in working days from the moment
	// the case reaches it; 0 means the step has none of its own (it runs
	// against the case's promised limit).
	Limit int `json:"limit,omitempty"`
	// Join makes the step wait until every parallel branch that leads to it
	// has arrived.
	Join bool `json:"join,omitempty"`
	// Allow lists the case procedures the step's actors may start while a
	// task of the step is open (see Procedures): supplement (补正), special
	// (特别程序), extend (延期), void (作废).
	Allow []string `json:"allow,omitempty"`
	// Check marks the 事中事后核查 step of 告知承诺 cases: its tasks are due
	// by the item's post-check limit instead of Limit.
	Check   bool        `json:"check,omitempty"`
	Actions []ActionDef `json:"actions"`
}

// Procedures are the case procedures a step may allow.
var Procedures = map[string]string{"supplement": "补正告知", "special": "特别程序", "extend": "申请延期", "void": "作废"}

// Actor says who may act in a step: staff holding one of Roles, of the
// department the step names, whose data scope covers the case.
type Actor struct {
	Roles []string `json:"roles"`
	// Department is "window" (the comprehensive window: clerks whose data
	// scope covers the item's region act for every department), "owner"
	// (the item's implementing department), or a department code (another
	// department taking part, as in joint handling).
	Department string `json:"department"`
}

// ActionDef is one action (操作) of a step.
type ActionDef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// To lists the next steps; two or more start parallel branches, which
	// must all meet again at one Join step.
	To []string `json:"to,omitempty"`
	// Accept marks the action that accepts the case (受理): the promised
	// and legal clocks start.
	Accept bool `json:"accept,omitempty"`
	// Decide concludes the case (办结) with a result, or refuses to accept
	// it: see Decisions. Open parallel branches are closed.
	Decide string `json:"decide,omitempty"`
	// Finish ends the case after its decision: the result was handed over
	// (collected).
	Finish string `json:"finish,omitempty"`
	// Reason makes a written reason (comment) compulsory.
	Reason bool `json:"reason,omitempty"`
	// Spawn opens tasks beside the main path (after a decision, such as the
	// 事中事后核查 of a 告知承诺 case); each ends on its own with End or
	// Revoke.
	Spawn []string `json:"spawn,omitempty"`
	// End closes the task without going anywhere (a spawned task is done).
	End bool `json:"end,omitempty"`
	// Revoke revokes the decision (撤销) and breaks the applicant's pledge;
	// it needs a reason and closes the task.
	Revoke bool `json:"revoke,omitempty"`
	// Deliver makes the action hand the result over in one way (window,
	// post or online); it is offered only for cases whose applicant chose
	// that way, and not while 容缺 materials hold the result back.
	Deliver string `json:"deliver,omitempty"`
	// When limits the action to cases in a situation: "mode=pledge",
	// "mode=" (ordinary), "delivery=post".
	When []string `json:"when,omitempty"`
	// Auto: the platform takes the action itself as soon as a task of the
	// step opens and the action is offered (electronic delivery).
	Auto bool `json:"auto,omitempty"`
}

// whenKeys are what ActionDef.When may test, and their values.
var whenKeys = map[string]map[string]bool{
	"mode":     {"": true, ModePledge: true},
	"delivery": {"window": true, "post": true, "online": true},
}

// ModePledge marks a case applied for under 告知承诺制.
const ModePledge = "pledge"

// Decisions are the results an action may conclude a case with, and their
// names. refused (不予受理) is only possible before acceptance, the others
// only after it.
var Decisions = map[string]string{
	"approved": "准予",
	"denied":   "不予",
	"returned": "退回",
	"voided":   "作废",
	"refused":  "不予受理",
	// withdrawn is the applicant's withdrawal (撤回), never a workflow's.
	"withdrawn": "撤回",
}

// ResultName is the name of a case's result as shown beside its status:
// nothing for a refusal to accept, whose status already says so.
func ResultName(result string) string {
	if result == "refused" {
		return ""
	}
	return Decisions[result]
}

// Finishes are the ways a decided case ends.
var Finishes = map[string]string{"collected": "已领取", "delivered": "已送达"}

// ActorRoles are the staff roles a step may name.
var ActorRoles = map[string]string{"clerk": "综合窗口人员", "approver": "审批人员", "dept_head": "部门负责人"}

// Department values of Actor besides department codes.
const (
	DeptWindow = "window"
	DeptOwner  = "owner"
)

var (
	wfID     = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	stepID   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	maxSteps = 30
)

// Step returns the step with the given id.
func (w *Workflow) Step(id string) (*StepDef, bool) {
	for i := range w.Steps {
		if w.Steps[i].ID == id {
			return &w.Steps[i], true
		}
	}
	return nil, false
}

// Action returns the step's action with the given id.
func (s *StepDef) Action(id string) (*ActionDef, bool) {
	for i := range s.Actions {
		if s.Actions[i].ID == id {
			return &s.Actions[i], true
		}
	}
	return nil, false
}

// Problem is one thing wrong with a workflow, at a field path such as
// "steps[2].actions[0].to".
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type wfChecker struct{ probs []Problem }

func (c *wfChecker) add(field, format string, args ...any) {
	c.probs = append(c.probs, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// phase is where in a case's life a step is reached.
type phase int

const (
	phasePre     phase = iota // before acceptance (预审、受理)
	phaseMain                 // accepted, not yet decided (审查、决定)
	phaseDecided              // decided (出件、送达)
)

var phaseNames = [...]string{"受理前", "受理后、办结前", "办结后"}

// Validate checks a workflow: every id well formed and unique, every
// action leading somewhere that exists, every step reachable from the
// start and able to reach an end, someone able to act in every step,
// acceptance before any decision and no decision twice, each step always
// reached in the same phase of the case, and parallel branches meeting
// again at one join step. deptExists tells whether a department code is
// known. The problems come back in a stable order.
func Validate(w *Workflow, deptExists func(code string) bool) []Problem {
	c := &wfChecker{}
	if !wfID.MatchString(w.ID) {
		c.add("id", "流程标识 %q 只能用小写字母开头的字母、数字、-、_（最多40个）", w.ID)
	}
	checkText(c, "name", w.Name, "流程名称", 60)
	if utf8.RuneCountInString(w.Description) > 500 {
		c.add("description", "流程说明不能超过500字")
	}
	if len(w.Steps) == 0 {
		c.add("steps", "流程至少需要一个环节")
		return c.probs
	}
	if len(w.Steps) > maxSteps {
		c.add("steps", "流程最多 %d 个环节", maxSteps)
		return c.probs
	}
	index := map[string]int{}
	for i, s := range w.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		switch {
		case !stepID.MatchString(s.ID):
			c.add(p+".id", "环节标识 %q 只能用小写字母开头的字母、数字、-、_", s.ID)
		case index[s.ID] > 0:
			c.add(p+".id", "环节标识 %q 重复", s.ID)
		default:
			index[s.ID] = i + 1
		}
	}
	if _, ok := index[w.Start]; !ok {
		if w.Start == "" {
			c.add("start", "请指定首个环节（start）")
		} else {
			c.add("start", "首个环节 %q 不存在", w.Start)
		}
	}
	for i, s := range w.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		checkText(c, p+".name", s.Name, "环节名称", 30)
		if s.Limit < 0 || s.Limit > 365 {
			c.add(p+".limit", "环节时限应为0到365个工作日")
		}
		checkActor(c, p+".actor", s.Actor, deptExists)
		for k, pr := range s.Allow {
			if _, ok := Procedures[pr]; !ok {
				c.add(fmt.Sprintf("%s.allow[%d]", p, k), "未知的办件程序 %q（可用：supplement、special、extend、void）", pr)
			}
		}
		if len(s.Actions) == 0 {
			c.add(p+".actions", "环节“%s”没有任何操作，办件将停在这里", s.Name)
		}
		seen := map[string]bool{}
		for j, a := range s.Actions {
			ap := fmt.Sprintf("%s.actions[%d]", p, j)
			switch {
			case !stepID.MatchString(a.ID):
				c.add(ap+".id", "操作标识 %q 只能用小写字母开头的字母、数字、-、_", a.ID)
			case seen[a.ID]:
				c.add(ap+".id", "操作标识 %q 在本环节重复", a.ID)
			case a.ID == "submit":
				c.add(ap+".id", "操作标识 submit 保留给申请人提交")
			}
			seen[a.ID] = true
			checkText(c, ap+".name", a.Name, "操作名称", 20)
			if a.Decide != "" {
				if _, ok := Decisions[a.Decide]; !ok {
					c.add(ap+".decide", "未知的办结结果 %q（可用：approved、denied、returned、voided、refused）", a.Decide)
				}
			}
			if a.Finish != "" {
				if _, ok := Finishes[a.Finish]; !ok {
					c.add(ap+".finish", "未知的结束方式 %q（可用：collected）", a.Finish)
				}
				if len(a.To) > 0 {
					c.add(ap+".to", "操作“%s”已结束办件，不能再转到其他环节", a.Name)
				}
			}
			if len(a.To) == 0 && a.Decide == "" && a.Finish == "" && !a.End && !a.Revoke {
				c.add(ap+".to", "操作“%s”没有去向：请指定下一环节，或办结（decide）、结束（finish）", a.Name)
			}
			if (a.End || a.Revoke) && (len(a.To) > 0 || a.Accept || a.Decide != "" || a.Finish != "" || len(a.Spawn) > 0) {
				c.add(ap+".end", "操作“%s”只结束本任务（end / revoke），不能同时转到其他环节、受理或办结", a.Name)
			}
			if a.Revoke && !a.Reason {
				c.add(ap+".reason", "撤销决定须写明理由（reason: true）")
			}
			if a.Deliver != "" {
				if _, ok := whenKeys["delivery"][a.Deliver]; !ok {
					c.add(ap+".deliver", "未知的送达方式 %q（可用：window、post、online）", a.Deliver)
				}
			}
			if a.Auto && a.Reason {
				c.add(ap+".auto", "自动操作“%s”不能要求填写理由", a.Name)
			}
			for k, w := range a.When {
				key, val, ok := strings.Cut(w, "=")
				if vals, known := whenKeys[key]; !ok || !known || !vals[val] {
					c.add(fmt.Sprintf("%s.when[%d]", ap, k), "条件 %q 应为 mode=、mode=pledge 或 delivery=window|post|online", w)
				}
			}
			for k, t := range a.Spawn {
				if _, ok := index[t]; !ok {
					c.add(fmt.Sprintf("%s.spawn[%d]", ap, k), "操作“%s”另开不存在的环节 %q", a.Name, t)
				}
			}
			targets := map[string]bool{}
			for k, t := range a.To {
				if _, ok := index[t]; !ok {
					c.add(fmt.Sprintf("%s.to[%d]", ap, k), "操作“%s”指向不存在的环节 %q", a.Name, t)
				} else if targets[t] {
					c.add(fmt.Sprintf("%s.to[%d]", ap, k), "操作“%s”重复指向环节 %q", a.Name, t)
				}
				targets[t] = true
			}
		}
	}
	if len(c.probs) > 0 {
		// The graph checks below assume every reference resolves.
		return c.probs
	}
	checkGraph(c, w, index)
	return c.probs
}

func checkText(c *wfChecker, field, v, label string, max int) {
	switch {
	case strings.TrimSpace(v) == "":
		c.add(field, "请填写%s", label)
	case utf8.RuneCountInString(v) > max:
		c.add(field, "%s不能超过%d个字", label, max)
	}
}

func checkActor(c *wfChecker, p string, a Actor, deptExists func(string) bool) {
	if len(a.Roles) == 0 {
		c.add(p+".roles", "没有人可以处理这个环节：请至少指定一个角色")
	}
	for k, r := range a.Roles {
		if _, ok := ActorRoles[r]; !ok {
			c.add(fmt.Sprintf("%s.roles[%d]", p, k), "未知的角色 %q（可用：clerk、approver、dept_head）", r)
		}
	}
	switch d := a.Department; {
	case d == "":
		c.add(p+".department", "没有人可以处理这个环节：请指定部门（window、owner 或部门代码）")
	case d == DeptWindow:
		if len(a.Roles) > 0 && !slices.Contains(a.Roles, "clerk") {
			c.add(p+".roles", "综合窗口环节须由综合窗口人员（clerk）处理")
		}
	case d == DeptOwner:
	case deptExists == nil || !deptExists(d):
		c.add(p+".department", "部门 %q 不存在", d)
	}
}

// checkGraph walks the workflow as a case would: from the start, before
// acceptance, through every action. It finds unreachable steps, steps that
// cannot reach an end, decisions out of order, steps reached in two phases,
// and parallel branches that do not meet again.
func checkGraph(c *wfChecker, w *Workflow, index map[string]int) {
	stepField := func(id string) string { return fmt.Sprintf("steps[%d]", index[id]-1) }
	phases := map[string]phase{}
	order := []string{w.Start}
	phases[w.Start] = phasePre
	for q := 0; q < len(order); q++ {
		s, _ := w.Step(order[q])
		ph := phases[s.ID]
		for j, a := range s.Actions {
			ap := fmt.Sprintf("%s.actions[%d]", stepField(s.ID), j)
			next := ph
			if a.Accept {
				if ph != phasePre {
					c.add(ap+".accept", "操作“%s”：办件在此时已经受理，不能再次受理", a.Name)
				}
				next = phaseMain
			}
			if a.Decide != "" {
				switch {
				case ph == phaseDecided:
					c.add(ap+".decide", "操作“%s”：办件在此时已经办结，不能再次作出决定", a.Name)
				case a.Decide == "refused" && next != phasePre:
					c.add(ap+".decide", "操作“%s”：已受理的办件不能不予受理（可用 denied 不予许可）", a.Name)
				case a.Decide != "refused" && a.Decide != "voided" && next != phaseMain:
					c.add(ap+".decide", "操作“%s”：办件尚未受理，不能作出“%s”决定", a.Name, Decisions[a.Decide])
				}
				next = phaseDecided
			}
			if a.Finish != "" && next != phaseDecided {
				c.add(ap+".finish", "操作“%s”：办件尚未办结，不能结束", a.Name)
			}
			if a.Revoke && ph != phaseDecided {
				c.add(ap+".revoke", "操作“%s”：办件在此时尚未办结，没有可撤销的决定", a.Name)
			}
			if len(a.Spawn) > 0 && next != phaseDecided {
				c.add(ap+".spawn", "操作“%s”：只有办结后才能另开并行任务（如事中事后核查）", a.Name)
			}
			for _, t := range append(slices.Clone(a.To), a.Spawn...) {
				if old, ok := phases[t]; !ok {
					phases[t] = next
					order = append(order, t)
				} else if old != next {
					c.add(stepField(t), "环节“%s”既在%s到达又在%s到达：同一环节须始终处于办件的同一阶段", nameOf(w, t), phaseNames[old], phaseNames[next])
				}
			}
		}
	}
	for _, s := range w.Steps {
		ph, ok := phases[s.ID]
		if !ok {
			c.add(stepField(s.ID), "环节“%s”从首个环节无法到达", s.Name)
			continue
		}
		for k, pr := range s.Allow {
			switch {
			case ph == phaseDecided:
				c.add(fmt.Sprintf("%s.allow[%d]", stepField(s.ID), k), "环节“%s”在办结后，不能再%s", s.Name, Procedures[pr])
			case (pr == "special" || pr == "extend") && ph != phaseMain:
				c.add(fmt.Sprintf("%s.allow[%d]", stepField(s.ID), k), "环节“%s”在受理前，不能%s（时限尚未起算）", s.Name, Procedures[pr])
			}
		}
		if s.Check && ph != phaseDecided {
			c.add(stepField(s.ID)+".check", "核查环节“%s”须在办结后", s.Name)
		}
	}
	// Every step must be able to reach an end: walk backwards from the
	// actions that end or decide without going on.
	canEnd := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, s := range w.Steps {
			if canEnd[s.ID] {
				continue
			}
			for _, a := range s.Actions {
				ends := a.Finish != "" || a.End || a.Revoke || (a.Decide != "" && len(a.To) == 0)
				for _, t := range a.To {
					ends = ends || canEnd[t]
				}
				if ends {
					canEnd[s.ID], changed = true, true
					break
				}
			}
		}
	}
	for _, s := range w.Steps {
		if _, reached := phases[s.ID]; reached && !canEnd[s.ID] {
			c.add(stepField(s.ID), "从环节“%s”无法办结：办件将在流程中循环或停住", s.Name)
		}
	}
	hasAccept := false
	for _, s := range w.Steps {
		for _, a := range s.Actions {
			hasAccept = hasAccept || a.Accept
		}
	}
	if !hasAccept {
		c.add("steps", "流程没有受理操作（accept）：办件无法受理，时限也无法起算")
	}
	checkBranches(c, w, stepField)
}

// checkBranches: the branches an action starts must all reach the same
// join step, without forking again on the way (one level of parallelism),
// and a join step is only reached through branches.
func checkBranches(c *wfChecker, w *Workflow, stepField func(string) string) {
	forkTargets := map[string]bool{}
	for i, s := range w.Steps {
		for j, a := range s.Actions {
			if len(a.To) < 2 {
				continue
			}
			ap := fmt.Sprintf("steps[%d].actions[%d]", i, j)
			var join string
			for _, t := range a.To {
				forkTargets[t] = true
				if ts, _ := w.Step(t); ts.Join {
					c.add(ap+".to", "操作“%s”的并行分支不能直接是汇合环节“%s”", a.Name, ts.Name)
					return
				}
				joins, nested := branchJoins(w, t)
				if nested {
					c.add(ap+".to", "操作“%s”的并行分支中又有并行分支：暂只支持一层并行", a.Name)
					return
				}
				switch {
				case len(joins) == 0:
					c.add(ap+".to", "操作“%s”的并行分支“%s”不汇合到任何汇合环节（join）", a.Name, nameOf(w, t))
				case len(joins) > 1:
					c.add(ap+".to", "操作“%s”的并行分支“%s”可能汇合到多个环节", a.Name, nameOf(w, t))
				case join == "":
					join = joins[0]
				case join != joins[0]:
					c.add(ap+".to", "操作“%s”的各并行分支须汇合到同一环节", a.Name)
				}
			}
		}
	}
	for _, s := range w.Steps {
		if !s.Join {
			continue
		}
		for _, o := range w.Steps {
			for _, a := range o.Actions {
				if len(a.To) == 1 && a.To[0] == s.ID && !inBranch(w, o.ID, forkTargets) {
					c.add(stepField(s.ID), "汇合环节“%s”可以不经并行分支到达（由“%s”的操作“%s”）", s.Name, o.Name, a.Name)
				}
			}
		}
	}
}

// branchJoins follows a branch from step start until join steps, and
// reports the joins it reaches and whether it forks again before them.
func branchJoins(w *Workflow, start string) (joins []string, nested bool) {
	seen := map[string]bool{}
	stack := []string{start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		s, _ := w.Step(id)
		if s.Join {
			joins = append(joins, id)
			continue
		}
		for _, a := range s.Actions {
			if len(a.To) > 1 {
				nested = true
			}
			stack = append(stack, a.To...)
		}
	}
	slices.Sort(joins)
	return slices.Compact(joins), nested
}

// inBranch reports whether step id lies on a branch started by a fork
// (reachable from a fork target without passing a join).
func inBranch(w *Workflow, id string, forkTargets map[string]bool) bool {
	for t := range forkTargets {
		seen := map[string]bool{}
		stack := []string{t}
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[cur] {
				continue
			}
			seen[cur] = true
			if cur == id {
				return true
			}
			s, _ := w.Step(cur)
			if s.Join {
				continue
			}
			for _, a := range s.Actions {
				stack = append(stack, a.To...)
			}
		}
	}
	return false
}

func nameOf(w *Workflow, id string) string {
	if s, ok := w.Step(id); ok {
		return s.Name
	}
	return id
}

// ProblemsError turns validation problems into one Invalid error whose
// fields name each problem.
func ProblemsError(what string, probs []Problem) error {
	if len(probs) == 0 {
		return nil
	}
	fields := map[string]string{}
	for _, p := range probs {
		if _, ok := fields[p.Field]; !ok {
			fields[p.Field] = p.Message
		}
	}
	msg := fmt.Sprintf("%s有 %d 处问题：%s", what, len(probs), probs[0].Message)
	if len(probs) > 1 {
		msg += " 等"
	}
	return &apperr.Error{Code: apperr.Invalid, Message: msg, Fields: fields}
}
