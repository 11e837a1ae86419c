package casework

import (
	"context"
	"slices"
	"strings"

	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// Who may see a case: the applicant (a person their own cases, a company's
// agents the company's), the clerk who is drafting it, and staff whose
// data scope covers the case's department or region, or whose department
// has a task on it (a department taking part in joint handling). To anyone
// else the case does not exist (404).

// isApplicant reports whether p is the case's applicant.
func isApplicant(p *identity.Principal, c *caseRow) bool {
	switch p.Kind {
	case identity.KindPerson:
		return c.ApplicantKind == "person" && deref(c.ApplicantPersonID) == p.PersonID
	case identity.KindCompany:
		return c.ApplicantKind == "company" && deref(c.ApplicantCompanyID) == p.CompanyID
	}
	return false
}

func (s *Service) canSee(ctx context.Context, q db.Querier, p *identity.Principal, c *caseRow) (bool, error) {
	env, err := s.loadEnv(ctx)
	if err != nil {
		return false, err
	}
	return s.canSeeIn(ctx, q, p, c, env)
}

// canSeeIn is canSee with the departments already at hand (inside a
// transaction nothing may be fetched from the pool).
func (s *Service) canSeeIn(ctx context.Context, q db.Querier, p *identity.Principal, c *caseRow, env *txEnv) (bool, error) {
	if p == nil {
		return false, nil
	}
	if c.Status == StatusDraft {
		return c.CreatedBy == p.AccountID, nil
	}
	if !p.IsStaff() {
		return isApplicant(p, c), nil
	}
	if p.HasRole(identity.RoleAdmin) || p.CanSeeRegion(c.RegionCode) {
		return true, nil
	}
	if p.CanSeeDepartment(c.DepartmentID, env.regionOf(c.DepartmentID)) {
		return true, nil
	}
	if p.DepartmentID == "" {
		return false, nil
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM case_tasks WHERE case_id = ? AND queue = ?`, c.ID, "dept:"+p.DepartmentID).Scan(&n)
	return n > 0, err
}

// mayAct reports whether staff member p may act in a task of case c
// waiting in step st: one of the step's roles, in the department the step
// names, with a data scope that covers the case.
func mayAct(p *identity.Principal, st *StepDef, t *taskRow, c *caseRow, env *txEnv) bool {
	if p == nil || !p.IsStaff() {
		return false
	}
	hasRole := false
	for _, r := range st.Actor.Roles {
		hasRole = hasRole || p.HasRole(identity.Role(r))
	}
	if !hasRole {
		return false
	}
	dept, isDept := strings.CutPrefix(t.Queue, "dept:")
	if !isDept {
		region := strings.TrimPrefix(t.Queue, "window:")
		return p.HasRole(identity.RoleClerk) && scopeHasRegion(p, region)
	}
	if p.DepartmentID != dept {
		return false
	}
	return p.CanSeeDepartment(dept, env.regionOf(dept)) || p.CanSeeRegion(c.RegionCode)
}

// scopeHasRegion: an explicit region scope (not the administrator's
// everything) covers region.
func scopeHasRegion(p *identity.Principal, region string) bool {
	return slices.ContainsFunc(p.Scopes, func(sc identity.Scope) bool {
		return sc.RegionCode != "" && identity.RegionContains(sc.RegionCode, region)
	})
}

// visible loads a case for actor, or answers NotFound when they may not
// see it (whether or not it exists).
func (s *Service) visible(ctx context.Context, actor *identity.Principal, ref string) (*caseRow, error) {
	if actor == nil {
		return nil, errLogin
	}
	c, err := caseByRef(ctx, s.DB, ref, false)
	if err != nil {
		return nil, err
	}
	if ok, err := s.canSee(ctx, s.DB, actor, c); err != nil {
		return nil, err
	} else if !ok {
		return nil, errCaseNotFound
	}
	return c, nil
}
