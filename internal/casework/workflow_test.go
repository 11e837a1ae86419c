package casework

import (
	"encoding/json"
	"strings"
	"testing"
)

func knownDept(code string) bool { return code == "zjj" || code == "scjg" }

func TestShippedWorkflowsAreValid(t *testing.T) {
	wfs, err := ShippedWorkflows()
	if err != nil {
		t.Fatal(err)
	}
	if len(wfs) < 3 {
		t.Fatalf("only %d shipped workflows", len(wfs))
	}
	for _, w := range wfs {
		if probs := Validate(&w, knownDept); len(probs) > 0 {
			t.Errorf("%s: %+v", w.ID, probs)
		}
	}
}

// base is a minimal valid workflow that each case below breaks in one way.
func base() Workflow {
	return Workflow{ID: "t", Name: "测试流程", Start: "accept", Steps: []StepDef{
		{ID: "accept", Name: "受理", Actor: Actor{Roles: []string{"clerk"}, Department: "window"}, Actions: []ActionDef{
			{ID: "accept", Name: "受理", Accept: true, To: []string{"decide"}},
			{ID: "refuse", Name: "不予受理", Decide: "refused", Reason: true},
		}},
		{ID: "decide", Name: "决定", Actor: Actor{Roles: []string{"approver"}, Department: "owner"}, Actions: []ActionDef{
			{ID: "approve", Name: "准予", Decide: "approved"},
		}},
	}}
}

func TestValidateRefusesBrokenWorkflows(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(w *Workflow)
		field string
		msg   string
	}{
		{"unreachable step", func(w *Workflow) {
			w.Steps = append(w.Steps, StepDef{ID: "orphan", Name: "孤立环节", Actor: Actor{Roles: []string{"approver"}, Department: "owner"},
				Actions: []ActionDef{{ID: "ok", Name: "完成", Decide: "approved"}}})
		}, "steps[2]", "无法到达"},
		{"action to nowhere", func(w *Workflow) { w.Steps[1].Actions[0].Decide = "" }, "steps[1].actions[0].to", "没有去向"},
		{"action to a missing step", func(w *Workflow) { w.Steps[0].Actions[0].To = []string{"review"} }, "steps[0].actions[0].to[0]", "不存在的环节"},
		{"nobody may act: no roles", func(w *Workflow) { w.Steps[1].Actor.Roles = nil }, "steps[1].actor.roles", "没有人可以处理"},
		{"nobody may act: no department", func(w *Workflow) { w.Steps[1].Actor.Department = "" }, "steps[1].actor.department", "没有人可以处理"},
		{"unknown role", func(w *Workflow) { w.Steps[1].Actor.Roles = []string{"boss"} }, "steps[1].actor.roles[0]", "未知的角色"},
		{"unknown department", func(w *Workflow) { w.Steps[1].Actor.Department = "nope" }, "steps[1].actor.department", "不存在"},
		{"window step without clerks", func(w *Workflow) { w.Steps[0].Actor.Roles = []string{"approver"} }, "steps[0].actor.roles", "综合窗口人员"},
		{"step without actions", func(w *Workflow) { w.Steps[1].Actions = nil }, "steps[1].actions", "没有任何操作"},
		{"missing start", func(w *Workflow) { w.Start = "begin" }, "start", "不存在"},
		{"duplicate step", func(w *Workflow) { w.Steps[1].ID = "accept" }, "steps[1].id", "重复"},
		{"bad id", func(w *Workflow) { w.ID = "Bad ID" }, "id", "只能用小写字母"},
		{"unknown decision", func(w *Workflow) { w.Steps[1].Actions[0].Decide = "maybe" }, "steps[1].actions[0].decide", "未知的办结结果"},
		{"decide before accept", func(w *Workflow) {
			w.Steps[0].Actions[1] = ActionDef{ID: "now", Name: "当场准予", Decide: "approved"}
		}, "steps[0].actions[1].decide", "尚未受理"},
		{"refuse after accept", func(w *Workflow) {
			w.Steps[1].Actions = append(w.Steps[1].Actions, ActionDef{ID: "refuse", Name: "不予受理", Decide: "refused"})
		}, "steps[1].actions[1].decide", "已受理的办件不能不予受理"},
		{"decide twice", func(w *Workflow) {
			w.Steps[1].Actions[0].To = []string{"again"}
			w.Steps = append(w.Steps, StepDef{ID: "again", Name: "再决定", Actor: Actor{Roles: []string{"approver"}, Department: "owner"},
				Actions: []ActionDef{{ID: "deny", Name: "不予", Decide: "denied"}}})
		}, "steps[2].actions[0].decide", "已经办结"},
		{"no acceptance at all", func(w *Workflow) { w.Steps[0].Actions[0].Accept = false }, "steps", "没有受理操作"},
		{"loop without exit", func(w *Workflow) {
			w.Steps[1].Actions = []ActionDef{{ID: "back", Name: "退回", To: []string{"loop"}}}
			w.Steps = append(w.Steps, StepDef{ID: "loop", Name: "复核", Actor: Actor{Roles: []string{"approver"}, Department: "owner"},
				Actions: []ActionDef{{ID: "again", Name: "再审", To: []string{"decide"}}}})
		}, "steps[1]", "无法办结"},
		{"step reached in two phases", func(w *Workflow) {
			w.Steps[0].Actions[1] = ActionDef{ID: "skip", Name: "直接转", To: []string{"decide"}}
		}, "steps[1]", "同一阶段"},
		{"finish before decision", func(w *Workflow) { w.Steps[1].Actions[0] = ActionDef{ID: "give", Name: "领取", Finish: "collected"} }, "steps[1].actions[0].finish", "尚未办结"},
		{"branches that never join", func(w *Workflow) {
			w.Steps[0].Actions[0].To = []string{"decide", "opinion"}
			w.Steps = append(w.Steps, StepDef{ID: "opinion", Name: "意见", Actor: Actor{Roles: []string{"approver"}, Department: "zjj"},
				Actions: []ActionDef{{ID: "ok", Name: "同意", Decide: "approved"}}})
		}, "steps[0].actions[0].to", "不汇合"},
		{"join reached without branches", func(w *Workflow) { w.Steps[1].Join = true }, "steps[1]", "不经并行分支"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := base()
			if probs := Validate(&w, knownDept); len(probs) > 0 {
				t.Fatalf("base workflow invalid: %+v", probs)
			}
			tc.edit(&w)
			probs := Validate(&w, knownDept)
			if len(probs) == 0 {
				t.Fatal("accepted")
			}
			for _, p := range probs {
				if p.Field == tc.field && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Fatalf("want %s ~ %q, got %+v", tc.field, tc.msg, probs)
		})
	}
}

func TestValidateParallelBranches(t *testing.T) {
	w := base()
	w.Steps[0].Actions[0].To = []string{"review", "opinion"}
	w.Steps = append(w.Steps,
		StepDef{ID: "review", Name: "审查", Actor: Actor{Roles: []string{"approver"}, Department: "owner"}, Actions: []ActionDef{{ID: "pass", Name: "通过", To: []string{"decide"}}}},
		StepDef{ID: "opinion", Name: "意见", Actor: Actor{Roles: []string{"approver"}, Department: "zjj"}, Actions: []ActionDef{{ID: "agree", Name: "同意", To: []string{"decide"}}}},
	)
	w.Steps[1].Join = true
	if probs := Validate(&w, knownDept); len(probs) > 0 {
		t.Fatalf("two branches meeting at a join: %+v", probs)
	}
	// One branch meeting elsewhere.
	w2 := w
	w2.Steps = append([]StepDef(nil), w.Steps...)
	w2.Steps = append(w2.Steps, StepDef{ID: "other", Name: "另一汇合", Join: true, Actor: Actor{Roles: []string{"approver"}, Department: "owner"}, Actions: []ActionDef{{ID: "ok", Name: "准予", Decide: "approved"}}})
	w2.Steps[3] = StepDef{ID: "opinion", Name: "意见", Actor: Actor{Roles: []string{"approver"}, Department: "zjj"}, Actions: []ActionDef{{ID: "agree", Name: "同意", To: []string{"other"}}}}
	if probs := Validate(&w2, knownDept); !hasProblem(probs, "同一环节") {
		t.Fatalf("branches meeting at different joins accepted: %+v", probs)
	}
	// A branch forking again.
	w3 := w
	w3.Steps = append([]StepDef(nil), w.Steps...)
	w3.Steps[2] = StepDef{ID: "review", Name: "审查", Actor: Actor{Roles: []string{"approver"}, Department: "owner"}, Actions: []ActionDef{{ID: "pass", Name: "通过", To: []string{"decide", "opinion"}}}}
	if probs := Validate(&w3, knownDept); !hasProblem(probs, "一层并行") {
		t.Fatalf("nested fork accepted: %+v", probs)
	}
}

func hasProblem(probs []Problem, msg string) bool {
	for _, p := range probs {
		if strings.Contains(p.Message, msg) {
			return true
		}
	}
	return false
}

func TestProblemsErrorNamesEveryField(t *testing.T) {
	w := base()
	w.Steps[1].Actor = Actor{}
	err := ProblemsError("流程", Validate(&w, knownDept))
	b, _ := json.Marshal(err)
	if err == nil || !strings.Contains(err.Error(), "没有人可以处理") || !strings.Contains(string(b), "steps[1].actor.roles") {
		t.Fatalf("%v %s", err, b)
	}
}
