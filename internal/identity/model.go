// Package identity owns who is who: regions, departments, service centres
// and windows, people and companies with their agents, staff with roles and
// data scopes, passwords, sessions and login.
package identity

import (
	"slices"
	"time"

	"yiwang/internal/stdcode"
)

// Kind is the kind of an account.
type Kind string

const (
	KindPerson  Kind = "person"  // a natural person (自然人)
	KindCompany Kind = "company" // a company, used by one of its authorised agents (法人)
	KindStaff   Kind = "staff"   // government staff
)

// Role is a staff role.
type Role string

const (
	RoleAdmin      Role = "admin"      // 平台管理员
	RoleClerk      Role = "clerk"      // 综合窗口人员
	RoleApprover   Role = "approver"   // 审批人员
	RoleDeptHead   Role = "dept_head"  // 部门负责人
	RoleSupervisor Role = "supervisor" // 效能监察人员
	RoleMaintainer Role = "maintainer" // 事项维护人员
)

// RoleNames are the Chinese names of the roles, in display order.
var RoleNames = map[Role]string{
	RoleAdmin: "平台管理员", RoleClerk: "综合窗口人员", RoleApprover: "审批人员",
	RoleDeptHead: "部门负责人", RoleSupervisor: "效能监察人员", RoleMaintainer: "事项维护人员",
}

// Principal is the authenticated caller of a request.
type Principal struct {
	AccountID    string
	Username     string
	Kind         Kind
	DisplayName  string
	PersonID     string
	CompanyID    string
	CompanyName  string
	DepartmentID string
	Department   string
	Roles        []Role
	Scopes       []Scope
	ElderMode    bool
}

// Scope is one entry of a staff member's data scope.
type Scope struct {
	RegionCode   string // the region and everything under it
	DepartmentID string
}

func (p *Principal) HasRole(r Role) bool { return p != nil && slices.Contains(p.Roles, r) }
func (p *Principal) IsStaff() bool       { return p != nil && p.Kind == KindStaff }

// CanSeeRegion reports whether the staff member's data scope covers code.
func (p *Principal) CanSeeRegion(code string) bool {
	if p.HasRole(RoleAdmin) {
		return true
	}
	for _, s := range p.Scopes {
		if s.RegionCode != "" && RegionContains(s.RegionCode, code) {
			return true
		}
	}
	return false
}

// CanSeeDepartment reports whether the data scope covers a department
// (directly, or through the region the department sits in).
func (p *Principal) CanSeeDepartment(deptID, deptRegion string) bool {
	if p.HasRole(RoleAdmin) {
		return true
	}
	for _, s := range p.Scopes {
		if s.DepartmentID == deptID || (s.RegionCode != "" && RegionContains(s.RegionCode, deptRegion)) {
			return true
		}
	}
	return false
}

// regionPrefixLen is how many leading digits of a 12-digit code are
// significant at each level.
var regionPrefixLen = [...]int{0, 2, 4, 6, 9, 12}

// RegionContains reports whether region outer contains (or is) inner.
func RegionContains(outer, inner string) bool {
	lvl := stdcode.RegionLevel(outer)
	if lvl == 0 || len(inner) != 12 {
		return false
	}
	n := regionPrefixLen[lvl]
	return outer[:n] == inner[:n]
}

// Region is an administrative division.
type Region struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	FullName   string `json:"fullName"`
	Level      int    `json:"level"`
	ParentCode string `json:"parentCode,omitempty"`
}

// Department is a government department.
type Department struct {
	ID         string    `json:"id"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	ShortName  string    `json:"shortName"`
	CreditCode string    `json:"creditCode"`
	RegionCode string    `json:"regionCode"`
	RegionName string    `json:"regionName"`
	Phone      string    `json:"phone"`
	Address    string    `json:"address"`
	CreatedAt  time.Time `json:"createdAt"`
}

// Centre is a government service centre (政务服务中心) with its windows.
type Centre struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	RegionCode string   `json:"regionCode"`
	Address    string   `json:"address"`
	Hours      string   `json:"hours"`
	Phone      string   `json:"phone"`
	Windows    []Window `json:"windows"`
}

// Window is a service window of a centre.
type Window struct {
	ID             string `json:"id"`
	Number         string `json:"number"`
	Name           string `json:"name"`
	Kind           string `json:"kind"` // comprehensive | department | help
	DepartmentID   string `json:"departmentId,omitempty"`
	DepartmentName string `json:"departmentName,omitempty"`
}

// WindowKindNames are the Chinese names of the window kinds.
var WindowKindNames = map[string]string{"comprehensive": "综合受理窗口", "department": "部门专窗", "help": "帮办代办窗口"}

// Person is a natural person as most screens see them: masked.
type Person struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	IDNumberMasked string    `json:"idNumberMasked"`
	PhoneMasked    string    `json:"phoneMasked"`
	CreatedAt      time.Time `json:"createdAt"`
}

// PersonUnmasked is a person's full data; obtaining it is audited.
type PersonUnmasked struct {
	Person
	IDNumber string `json:"idNumber"`
	Phone    string `json:"phone"`
}

// Company is a legal person.
type Company struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	CreditCode   string `json:"creditCode"`
	LegalRepName string `json:"legalRepName"`
	RegionCode   string `json:"regionCode"`
	Address      string `json:"address"`
}

// AccountSummary is a row of the administrators' account list.
type AccountSummary struct {
	ID          string    `json:"id"`
	Username    string    `json:"username"`
	Kind        Kind      `json:"kind"`
	DisplayName string    `json:"displayName"`
	Department  string    `json:"department,omitempty"`
	Company     string    `json:"company,omitempty"`
	PersonID    string    `json:"personId,omitempty"`
	IDMasked    string    `json:"idNumberMasked,omitempty"`
	Roles       []Role    `json:"roles,omitempty"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"createdAt"`
}
