package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/calendar"
	"yiwang/internal/casework"
)

func (s *Server) routesAdminWorkflows() {
	s.page("GET /admin/workflows", authRequired, s.adminWorkflows)
	s.page("GET /admin/workflows/{id}", authRequired, s.adminWorkflow)
	s.page("POST /admin/workflows/{id}", authRequired, s.adminWorkflowSave)
	s.page("GET /admin/clock", authRequired, s.adminClock)
	s.page("POST /admin/clock", authRequired, s.adminClockMove)
}

type workflowsData struct {
	Workflows []casework.WorkflowInfo
	Uses      map[string]int // workflow → items naming it (or defaulting to it)
}

func (s *Server) adminWorkflows(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	list, err := s.Cases.Workflows(r.Context())
	if err != nil {
		return err
	}
	snap, err := s.Catalog.Snapshot(r.Context())
	if err != nil {
		return err
	}
	uses := map[string]int{}
	for _, e := range snap.Entries {
		id := e.Item.Workflow
		if id == "" {
			id = casework.DefaultWorkflow(e.Item.HandlingType)
		}
		uses[id]++
	}
	s.render(w, r, http.StatusOK, "admin_workflows", page{Title: "办理流程", Data: workflowsData{Workflows: list, Uses: uses}})
	return nil
}

// stepRow is one step of a workflow as the page shows it.
type stepRow struct {
	casework.StepDef
	Who     string
	Actions []actionRow
}

type actionRow struct {
	casework.ActionDef
	Goes string // where it leads, in words
}

type workflowData struct {
	Workflow *casework.Workflow
	Revision int
	Updated  time.Time
	Steps    []stepRow
	JSON     string
	New      bool
	Problems []string
}

func (s *Server) workflowData(r *http.Request, wf *casework.Workflow) ([]stepRow, error) {
	deps, err := s.Identity.Departments(r.Context())
	if err != nil {
		return nil, err
	}
	deptNames := map[string]string{}
	for _, d := range deps {
		deptNames[d.Code] = d.Name
	}
	var rows []stepRow
	for _, st := range wf.Steps {
		row := stepRow{StepDef: st}
		var roles []string
		for _, ro := range st.Actor.Roles {
			roles = append(roles, casework.ActorRoles[ro])
		}
		where := deptNames[st.Actor.Department]
		switch st.Actor.Department {
		case casework.DeptWindow:
			where = "综合窗口"
		case casework.DeptOwner:
			where = "实施机关"
		}
		row.Who = where + "·" + strings.Join(roles, "或")
		for _, a := range st.Actions {
			var goes []string
			if a.Accept {
				goes = append(goes, "受理（开始计时）")
			}
			if a.Decide != "" {
				goes = append(goes, "办结："+casework.Decisions[a.Decide])
			}
			for _, t := range a.To {
				if ts, ok := wf.Step(t); ok {
					goes = append(goes, "→ "+ts.Name)
				} else {
					goes = append(goes, "→ "+t)
				}
			}
			if len(a.To) > 1 {
				goes = append(goes, "（并行）")
			}
			if a.Finish != "" {
				goes = append(goes, casework.Finishes[a.Finish])
			}
			if a.Reason {
				goes = append(goes, "须写明理由")
			}
			row.Actions = append(row.Actions, actionRow{ActionDef: a, Goes: strings.Join(goes, " ")})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (s *Server) adminWorkflow(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	d := workflowData{}
	if id == "new" {
		d.New = true
		d.Workflow = &casework.Workflow{ID: "my-flow", Name: "新流程", Start: "accept"}
		if std, err := s.Cases.GetWorkflow(r.Context(), "standard"); err == nil {
			tmpl := std.Workflow
			tmpl.ID, tmpl.Name, tmpl.Description = "my-flow", "新流程（以承诺件流程为模板）", ""
			d.Workflow = &tmpl
		}
	} else {
		wf, err := s.Cases.GetWorkflow(r.Context(), id)
		if err != nil {
			return err
		}
		d.Workflow, d.Revision, d.Updated = &wf.Workflow, wf.Revision, wf.UpdatedAt
	}
	b, _ := json.MarshalIndent(d.Workflow, "", "  ")
	d.JSON = string(b)
	var err error
	if d.Steps, err = s.workflowData(r, d.Workflow); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "admin_workflow", page{Title: "办理流程：" + d.Workflow.Name, Data: d})
	return nil
}

func (s *Server) adminWorkflowSave(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	text := r.PostFormValue("definition")
	d := workflowData{JSON: text, New: r.PathValue("id") == "new", Workflow: &casework.Workflow{}}
	fail := func(status int, e *apperr.Error) error {
		for k, v := range e.Fields {
			d.Problems = append(d.Problems, k+"："+v)
		}
		sort.Strings(d.Problems)
		if d.Workflow.Name == "" {
			d.Workflow.Name = r.PathValue("id")
		}
		s.render(w, r, status, "admin_workflow", page{Title: "办理流程", Data: d, Error: e.Message})
		return nil
	}
	var wf casework.Workflow
	if err := decodeJSONFrom(strings.NewReader(text), &wf); err != nil {
		var e *apperr.Error
		errors.As(err, &e)
		return fail(http.StatusBadRequest, &apperr.Error{Code: apperr.Invalid, Message: "流程定义不是有效的 JSON：" + e.Message})
	}
	d.Workflow = &wf
	if !d.New && wf.ID != r.PathValue("id") {
		return fail(http.StatusBadRequest, &apperr.Error{Code: apperr.Invalid, Message: fmt.Sprintf("流程标识不能改动（原为 %q）；要另建流程请使用“新建流程”", r.PathValue("id"))})
	}
	saved, err := s.Cases.SaveWorkflow(r.Context(), principal(r), wf)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Code == apperr.Invalid {
			return fail(http.StatusBadRequest, e)
		}
		return err
	}
	s.redirect(w, r, "/admin/workflows/"+saved.ID, fmt.Sprintf("已保存“%s”（第 %d 版）。已提交的办件仍按提交时的流程办理。", saved.Name, saved.Revision))
	return nil
}

// The demo clock: trying deadlines out needs time to pass. Only when the
// installation allows it (yiwang demo), and only for administrators.

type clockData struct {
	Now     time.Time
	Date    string
	Workday bool
	Enabled bool
	Moved   time.Duration
}

func (s *Server) clockPage(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	now := s.Clock.Now()
	d := clockData{Now: now, Date: calendar.DateOf(now).String() + " " + calendar.DateOf(now).WeekdayName(), Enabled: s.ClockControl != nil}
	if ok, err := s.Calendar.IsWorkday(r.Context(), calendar.DateOf(now)); err == nil {
		d.Workday = ok
	}
	if s.ClockControl != nil {
		d.Moved = now.Sub(time.Now()).Round(time.Minute)
	}
	s.render(w, r, status, "admin_clock", page{Title: "平台时钟", Data: d, Error: msg})
	return nil
}

func (s *Server) adminClock(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	return s.clockPage(w, r, http.StatusOK, "")
}

func (s *Server) adminClockMove(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if s.ClockControl == nil {
		return apperr.New(apperr.Forbidden, "本平台的时钟不可调整（仅演示环境可用）")
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	switch v := r.PostFormValue("move"); v {
	case "reset":
		s.ClockControl.Reset()
	case "1h", "1d", "7d":
		d := map[string]time.Duration{"1h": time.Hour, "1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour}[v]
		s.ClockControl.Advance(d)
	case "workday":
		now := s.Clock.Now()
		next, _, err := s.Calendar.AddWorkingDays(r.Context(), now, 1)
		if err != nil {
			return err
		}
		s.ClockControl.Advance(next.Time().Add(9 * time.Hour).Sub(now))
	default:
		return s.clockPage(w, r, http.StatusBadRequest, "请选择要调整的时间")
	}
	// What the new time decides happens at once: supplements that ran out
	// close, 容缺 reminders go out.
	rep, err := s.Cases.Sweep(r.Context())
	if err != nil {
		return err
	}
	msg := "平台时钟已调整为 " + s.Clock.Now().In(calendar.Shanghai).Format("2006-01-02 15:04")
	if rep.Unsupplemented > 0 || rep.Reminded > 0 {
		msg += fmt.Sprintf("；%d 件补正期满办结，%d 项容缺材料已提醒", rep.Unsupplemented, rep.Reminded)
	}
	s.redirect(w, r, "/admin/clock", msg)
	return nil
}
