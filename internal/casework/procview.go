package casework

import (
	"context"
	"encoding/json"
	"slices"

	"yiwang/internal/catalog"
	"yiwang/internal/identity"
)

// resultNameOf is a case's result as shown, with a revocation.
func resultNameOf(c *caseRow) string {
	if c.RevokedAt != nil {
		return "已撤销"
	}
	return ResultName(c.Result)
}

// PledgeKinds name the pledges.
var PledgeKinds = map[string]string{"tolerance": "容缺受理承诺书", "pledge": "告知承诺书"}

// renderExtras fills in a case's procedures, 容缺 materials, pledges and
// delivery, and answers the procedures for the actions.
func (s *Service) renderExtras(ctx context.Context, out *Case, c *caseRow, it *catalog.Item, env *txEnv) ([]procRow, []deferredRow, error) {
	out.Mode, out.Paused, out.PausedAt = c.Mode, c.PausedAt != nil, c.PausedAt
	if c.Mode == ModePledge {
		out.ModeName = "告知承诺制"
	}
	out.ExtendedDays, out.RevokedAt, out.RevokeReason = c.ExtendedDays, c.RevokedAt, c.RevokeReason
	out.Procedures, out.Deferred, out.Pledges = []ProcedureView{}, []DeferredView{}, []PledgeView{}
	out.Delivery = DeliveryView{Method: c.DeliveryMethod, MethodName: catalog.DeliveryMethods[c.DeliveryMethod], Address: c.DeliveryMasked}
	if c.Status == StatusDraft {
		return nil, nil, nil
	}
	var procs []procRow
	var err error
	if c.Extras&extrasProcedures != 0 {
		if procs, err = caseProcs(ctx, s.DB, c.ID); err != nil {
			return nil, nil, err
		}
	}
	for _, p := range procs {
		v := ProcedureView{ID: p.ID, Kind: p.Kind, KindName: ProcedureKinds[p.Kind], Name: p.Name, Status: p.Status, StatusName: ProcedureStatuses[p.Status],
			Reason: p.Reason, Days: p.Days, DueAt: p.DueAt, StartedAt: p.StartedAt, StartedBy: p.StartedName, EndedAt: p.EndedAt, EndedBy: p.EndedName,
			Outcome: p.Outcome, ExcludedDays: p.ExcludedDays}
		if p.DueAt != nil {
			unit := "1"
			if p.Kind == "supplement" {
				unit = it.EffectiveRules().SupplementLimit.Unit
			}
			v.Due = dueText(*p.DueAt, unit)
		}
		switch p.Kind {
		case "supplement":
			_ = json.Unmarshal([]byte(p.Data), &v.Materials)
		case "delivery":
			var d map[string]string
			_ = json.Unmarshal([]byte(p.Data), &d)
			delete(d, "idNumberEnc") // sealed: never shown
			v.Detail = d
		}
		if p.Kind == "supplement" && p.Status == "open" {
			sv := v
			out.Supplement = &sv
		}
		out.Procedures = append(out.Procedures, v)
	}
	var deferred []deferredRow
	if c.Extras&extrasTolerance != 0 {
		if deferred, err = caseDeferred(ctx, s.DB, c.ID); err != nil {
			return nil, nil, err
		}
	}
	now := s.Clock.Now()
	for _, d := range deferred {
		out.Deferred = append(out.Deferred, DeferredView{Material: d.Material, Name: d.Name, Due: d.DueDate, ArrivedAt: d.ArrivedAt,
			Overdue: d.ArrivedAt == nil && !now.Before(d.DueAt)})
	}
	out.Delivery.Held = c.DeferredOpen > 0 && it.EffectiveRules().ToleranceResult == "hold"
	var pledges []pledgeRow
	if c.Extras&(extrasTolerance|extrasPledge) != 0 {
		if pledges, err = casePledges(ctx, s.DB, c.ID); err != nil {
			return nil, nil, err
		}
	}
	for _, p := range pledges {
		out.Pledges = append(out.Pledges, PledgeView{Kind: p.Kind, KindName: PledgeKinds[p.Kind], Text: p.Text, Digest: p.Digest, How: p.How,
			SignedAt: p.SignedAt, Signer: p.SignerName, BrokenAt: p.BrokenAt, BrokenReason: p.BrokenReason})
	}
	return procs, deferred, nil
}

// actionsFor lists what actor may do on the case now: the actions of the
// steps they may act in, and the case procedures open to them.
func (s *Service) actionsFor(ctx context.Context, actor *identity.Principal, c *caseRow, tasks []taskRow, env *txEnv, it *catalog.Item, procs []procRow, deferred []deferredRow) ([]ActionView, error) {
	out := []ActionView{}
	if c.Status == StatusDraft {
		if c.CreatedBy == actor.AccountID {
			out = append(out, ActionView{Action: "submit", Name: "提交申请", Kind: "primary"})
		}
		return out, nil
	}
	var answers catalog.Answers
	_ = json.Unmarshal([]byte(c.Situation), &answers)
	supplyView := func() *ActionView {
		v := &ActionView{Action: "supply", Name: CaseActions["supply"], Kind: "primary", Form: "supply"}
		switch {
		case c.Status == StatusSupplement:
			if sp := openProc(procs, "supplement"); sp != nil {
				var items []SupplementItem
				_ = json.Unmarshal([]byte(sp.Data), &items)
				for _, m := range items {
					v.Options = append(v.Options, Named{ID: m.Material, Name: m.Name})
				}
			}
		case c.DeferredOpen > 0:
			v.Name = "补交容缺材料"
			for _, d := range deferred {
				if d.ArrivedAt == nil {
					v.Options = append(v.Options, Named{ID: d.Material, Name: d.Name})
				}
			}
		default:
			return nil
		}
		return v
	}
	if !actor.IsStaff() {
		if isApplicant(actor, c) || c.CreatedBy == actor.AccountID {
			if v := supplyView(); v != nil {
				out = append(out, *v)
			}
			if c.Status.Open() && c.DecidedAt == nil {
				out = append(out, ActionView{Action: "withdraw", Name: CaseActions["withdraw"], Kind: "danger"})
			}
		}
		return out, nil
	}
	wf, err := s.caseWorkflow(ctx, s.DB, c)
	if err != nil {
		return nil, err
	}
	rules := it.EffectiveRules()
	held := c.DeferredOpen > 0 && rules.ToleranceResult == "hold"
	allowed := map[string]bool{}
	for i := range tasks {
		st, ok := wf.Step(tasks[i].Step)
		if !ok || !mayAct(actor, st, &tasks[i], c, env) {
			continue
		}
		for _, pr := range st.Allow {
			allowed[pr] = true
		}
		if c.PausedAt != nil {
			continue
		}
		for _, a := range st.Actions {
			if a.Auto {
				continue
			}
			if ok, _ := offered(c, &a, held); !ok {
				continue
			}
			kind := "normal"
			switch {
			case a.Decide == "refused" || a.Decide == "denied" || a.Decide == "returned" || a.Decide == "voided" || a.Revoke:
				kind = "danger"
			case a.Accept || a.Decide == "approved" || a.Finish != "" || a.End || len(a.To) > 0 && a.ID != "reexamine" && !a.Reason:
				kind = "primary"
			}
			v := ActionView{Action: a.ID, Name: a.Name, Task: tasks[i].ID, Step: st.ID, Reason: a.Reason, Kind: kind}
			switch a.Deliver {
			case "window":
				v.Form = "collector"
			case "post":
				v.Form = "post"
			}
			out = append(out, v)
		}
	}
	if actor.HasRole(identity.RoleClerk) && scopeHasRegion(actor, c.RegionCode) {
		if v := supplyView(); v != nil {
			v.Name += "（窗口代收）"
			out = append(out, *v)
		}
	}
	if c.CreatedBy == actor.AccountID && c.Status.Open() && c.DecidedAt == nil {
		// The clerk who took a walk-in's application withdraws it for them.
		out = append(out, ActionView{Action: "withdraw", Name: CaseActions["withdraw"] + "（代申请人）", Kind: "danger"})
	}
	paused := c.PausedAt != nil
	if allowed["supplement"] && !paused {
		v := ActionView{Action: "supplement", Name: CaseActions["supplement"], Kind: "normal", Form: "supplement"}
		for _, m := range it.MaterialsFor(answers) {
			v.Options = append(v.Options, Named{ID: m.ID, Name: m.Name})
		}
		out = append(out, v)
	}
	if allowed["special"] {
		switch {
		case c.Status == StatusSpecial:
			out = append(out, ActionView{Action: "special-end", Name: CaseActions["special-end"], Kind: "primary", Reason: true})
		case !paused && len(it.SpecialProcedures) > 0:
			v := ActionView{Action: "special-start", Name: CaseActions["special-start"], Kind: "normal", Reason: true, Form: "special-start"}
			for _, sp := range it.SpecialProcedures {
				v.Options = append(v.Options, Named{ID: sp.Name, Name: sp.Name + "（不超过" + limitText(sp.Limit.Amount, unitOr(sp.Limit.Unit)) + "）"})
				v.Max = max(v.Max, sp.Limit.Amount)
			}
			out = append(out, v)
		}
	}
	extApproved := slices.ContainsFunc(procs, func(p procRow) bool { return p.Kind == "extension" && p.Status == "approved" })
	if allowed["extend"] && rules.Extension > 0 && openProc(procs, "extension") == nil && !extApproved {
		out = append(out, ActionView{Action: "extend", Name: CaseActions["extend"], Kind: "normal", Reason: true, Form: "extend", Max: rules.Extension})
	}
	if allowed["void"] {
		out = append(out, ActionView{Action: "void", Name: CaseActions["void"], Kind: "danger", Reason: true})
	}
	if p := openProc(procs, "extension"); p != nil {
		pc := &procCtx{actor: actor, c: c, rules: rules, env: env}
		if pc.mayDecideExtension() {
			out = append(out, ActionView{Action: "extension-approve", Name: CaseActions["extension-approve"] + "（" + p.Name + "）", Kind: "primary"},
				ActionView{Action: "extension-reject", Name: CaseActions["extension-reject"], Kind: "danger", Reason: true})
		}
	}
	return out, nil
}
