package casework

import (
	"time"

	"github.com/google/uuid"

	"yiwang/internal/licence"
)

// Status is where a case stands (办件状态).
type Status string

const (
	StatusDraft      Status = "draft"      // 暂存
	StatusSubmitted  Status = "submitted"  // 待预审 (submitted, not yet accepted)
	StatusAccepted   Status = "accepted"   // 已受理
	StatusRefused    Status = "refused"    // 不予受理
	StatusSupplement Status = "supplement" // 补正中
	StatusProcessing Status = "processing" // 办理中
	StatusSpecial    Status = "special"    // 特别程序
	StatusClosed     Status = "closed"     // 办结 (result: 准予 / 不予 / 退回 / 作废 / 补正不来)
	StatusCollected  Status = "collected"  // 已领取
	StatusDelivered  Status = "delivered"  // 已送达
)

// StatusNames are the Chinese names of the statuses.
var StatusNames = map[Status]string{
	StatusDraft: "暂存", StatusSubmitted: "待预审", StatusAccepted: "已受理", StatusRefused: "不予受理",
	StatusSupplement: "补正中", StatusProcessing: "办理中", StatusSpecial: "特别程序", StatusClosed: "办结",
	StatusCollected: "已领取", StatusDelivered: "已送达",
}

// Statuses in the order of a case's life, for filters.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusAccepted, StatusSupplement, StatusProcessing, StatusSpecial,
	StatusRefused, StatusClosed, StatusCollected, StatusDelivered}

// Open reports whether the case is still being handled (its clocks run).
func (s Status) Open() bool {
	switch s {
	case StatusSubmitted, StatusAccepted, StatusSupplement, StatusProcessing, StatusSpecial:
		return true
	}
	return false
}

// ResultCode is the national 办结结果 code of a decision (domain.md §2):
// 0 出证办结, 1 退回办结, 2 作废办结, 5 补正不来办结, 6 准予许可, 7 不予许可.
// An approval of a 行政许可 (item type 01) is 准予许可; of anything else
// 出证办结. A refusal to accept is not 办结 and has no code.
func ResultCode(decision, itemType string) string {
	switch decision {
	case "approved":
		if itemType == "01" {
			return "6"
		}
		return "0"
	case "denied":
		return "7"
	case "returned", "withdrawn":
		// A withdrawal is reported as 退回办结: the application goes back
		// to the applicant undecided.
		return "1"
	case "voided":
		return "2"
	case "unsupplemented":
		return "5"
	}
	return ""
}

// ResultCodeNames are the names of the national result codes.
var ResultCodeNames = map[string]string{"0": "出证办结", "1": "退回办结", "2": "作废办结", "3": "删除办结", "5": "补正不来办结", "6": "准予许可", "7": "不予许可"}

// Channels are the 申办 channels (domain.md §2).
var Channels = map[string]string{"0": "窗口", "1": "网上", "2": "信函", "8": "其他"}

const (
	ChannelWindow = "0"
	ChannelOnline = "1"
)

// Named is an id with a name.
type Named struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ItemRef is the catalogue item (and version) a case was applied under.
type ItemRef struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Version int    `json:"version"`
}

// Applicant is who a case is for: a person, or a company (with the agent
// who acts for it).
type Applicant struct {
	Kind      string `json:"kind"` // person | company
	Name      string `json:"name"`
	PersonID  string `json:"personId,omitempty"`
	CompanyID string `json:"companyId,omitempty"`
	IDMasked  string `json:"idNumberMasked,omitempty"`
	Agent     string `json:"agent,omitempty"` // the agent's name, for a company
}

// Deadline is one time limit of a case.
type Deadline struct {
	Limit       string    `json:"limit"`           // 3个工作日
	Due         string    `json:"due"`             // 2026-12-04, or 2026-12-04 15:30 for limits in hours
	DueAt       time.Time `json:"dueAt"`           // the first moment the case is late
	Remaining   int       `json:"remaining"`       // working days left (negative: overdue by)
	Overdue     bool      `json:"overdue"`         // past due while still open
	Provisional bool      `json:"provisional"`     // the due date lies in a year without an official calendar
	Stopped     bool      `json:"stopped"`         // the case is no longer running against it
	Note        string    `json:"note,omitempty"`  // the limit's explanation from the catalogue
	Hours       bool      `json:"hours,omitempty"` // the limit counts in hours or minutes
}

// Deadlines are a case's promised (承诺) and legal (法定) limits.
type Deadlines struct {
	Promised *Deadline `json:"promised,omitempty"`
	Legal    *Deadline `json:"legal,omitempty"`
}

// Event is one entry of a case's timeline.
type Event struct {
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Org        string    `json:"org,omitempty"`
	Step       string    `json:"step,omitempty"`
	StepName   string    `json:"stepName,omitempty"`
	Action     string    `json:"action"`
	ActionName string    `json:"actionName"`
	From       Status    `json:"from,omitempty"`
	To         Status    `json:"to"`
	ToName     string    `json:"toName"`
	Comment    string    `json:"comment,omitempty"`
}

// MaterialView is one material of a case with the files given for it.
type MaterialView struct {
	ID        string     `json:"material"`
	Name      string     `json:"name"`
	Necessity string     `json:"necessity"`
	Source    string     `json:"source"`
	Files     []FileView `json:"files"`
}

// FileView is a file attached to a case.
type FileView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// TaskView is an open task of a case: the step it waits in and until when.
type TaskView struct {
	ID       string     `json:"id"`
	Step     string     `json:"step"`
	StepName string     `json:"stepName"`
	Queue    string     `json:"queue"` // who: 综合窗口 or a department's name
	Since    time.Time  `json:"since"`
	DueAt    *time.Time `json:"dueAt,omitempty"`
	Due      string     `json:"due,omitempty"`
	Overdue  bool       `json:"overdue"`
}

// ActionView is an action the caller may take now.
type ActionView struct {
	Action string `json:"action"`
	Name   string `json:"name"`
	Task   string `json:"task,omitempty"`
	Step   string `json:"step,omitempty"`
	// Reason: a written reason is required.
	Reason bool `json:"reasonRequired"`
	// Kind tells a page how to show it: primary, danger or normal.
	Kind string `json:"kind"`
	// Form names what the action asks for besides a comment: supplement
	// (materials with reasons), supply (files), special-start (procedure,
	// days), extend (days), collector (name, ID number), post (carrier,
	// tracking number); "" for nothing.
	Form string `json:"form,omitempty"`
	// Options are the choices of a form: the special procedures, the
	// materials that may be asked for or supplied.
	Options []Named `json:"options,omitempty"`
	// Max bounds a number of days asked for.
	Max int `json:"max,omitempty"`
}

// Case is a case as the API and pages show it.
type Case struct {
	ID          string              `json:"id"`
	No          string              `json:"caseNo,omitempty"`
	Item        ItemRef             `json:"item"`
	Department  Named               `json:"department"`
	Region      string              `json:"region"`
	Workflow    string              `json:"workflow"`
	Status      Status              `json:"status"`
	StatusName  string              `json:"statusName"`
	Result      string              `json:"result,omitempty"`
	ResultName  string              `json:"resultName,omitempty"`
	ResultCode  string              `json:"resultCode,omitempty"`
	Channel     string              `json:"channel"`
	ChannelName string              `json:"channelName"`
	Applicant   Applicant           `json:"applicant"`
	Situation   map[string]string   `json:"situation"`
	Form        map[string][]string `json:"form"`
	SubmittedAt *time.Time          `json:"submittedAt,omitempty"`
	AcceptedAt  *time.Time          `json:"acceptedAt,omitempty"`
	DecidedAt   *time.Time          `json:"decidedAt,omitempty"`
	FinishedAt  *time.Time          `json:"finishedAt,omitempty"`
	Deadline    Deadlines           `json:"deadline"`
	Timeline    []Event             `json:"timeline"`
	Materials   []MaterialView      `json:"materials"`
	Tasks       []TaskView          `json:"tasks"`
	Licences    []licence.Licence   `json:"licences"`
	// LicenceUses are the applicant's licences given instead of materials
	// (免提交), each verified as of now.
	LicenceUses   []licence.CaseUse `json:"licenceUses,omitempty"`
	Actions       []ActionView      `json:"actions"`
	QueryPassword string            `json:"queryPassword,omitempty"`
	// Mode is "" or "pledge" (告知承诺制).
	Mode     string `json:"mode"`
	ModeName string `json:"modeName,omitempty"`
	// Paused: the clocks are stopped (补正, 特别程序) since PausedAt.
	Paused   bool       `json:"paused"`
	PausedAt *time.Time `json:"pausedAt,omitempty"`
	// Supplement is the 补正 notice the case waits on, if any.
	Supplement   *ProcedureView  `json:"supplement,omitempty"`
	Procedures   []ProcedureView `json:"procedures"`
	Deferred     []DeferredView  `json:"deferred"`
	Pledges      []PledgeView    `json:"pledges"`
	Delivery     DeliveryView    `json:"delivery"`
	ExtendedDays int             `json:"extendedDays,omitempty"`
	RevokedAt    *time.Time      `json:"revokedAt,omitempty"`
	RevokeReason string          `json:"revokeReason,omitempty"`
	Revision     int             `json:"revision"`
	CreatedAt    time.Time       `json:"createdAt"`
	UpdatedAt    time.Time       `json:"updatedAt"`
}

// ProcedureView is one procedure of a case: a 补正 notice, a special
// procedure, an extension request, a delivery.
type ProcedureView struct {
	ID           string            `json:"id"`
	Kind         string            `json:"kind"`
	KindName     string            `json:"kindName"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	StatusName   string            `json:"statusName"`
	Reason       string            `json:"reason,omitempty"`
	Materials    []SupplementItem  `json:"materials,omitempty"`
	Days         int               `json:"days,omitempty"`
	DueAt        *time.Time        `json:"dueAt,omitempty"`
	Due          string            `json:"due,omitempty"`
	StartedAt    time.Time         `json:"startedAt"`
	StartedBy    string            `json:"startedBy"`
	EndedAt      *time.Time        `json:"endedAt,omitempty"`
	EndedBy      string            `json:"endedBy,omitempty"`
	Outcome      string            `json:"outcome,omitempty"`
	ExcludedDays int               `json:"excludedDays,omitempty"`
	Detail       map[string]string `json:"detail,omitempty"`
}

// DeferredView is a 容缺 material: pledged, due, arrived.
type DeferredView struct {
	Material  string     `json:"material"`
	Name      string     `json:"name"`
	Due       string     `json:"due"`
	ArrivedAt *time.Time `json:"arrivedAt,omitempty"`
	Overdue   bool       `json:"overdue"`
}

// PledgeView is a signed pledge (承诺书).
type PledgeView struct {
	Kind         string     `json:"kind"` // tolerance | pledge
	KindName     string     `json:"kindName"`
	Text         string     `json:"text"`
	Digest       string     `json:"digest"`
	How          string     `json:"how"` // online | paper
	SignedAt     time.Time  `json:"signedAt"`
	Signer       string     `json:"signer"`
	BrokenAt     *time.Time `json:"brokenAt,omitempty"`
	BrokenReason string     `json:"brokenReason,omitempty"`
}

// DeliveryView is how the result reaches the applicant.
type DeliveryView struct {
	Method     string `json:"method"`
	MethodName string `json:"methodName"`
	Address    string `json:"address,omitempty"` // masked
	Held       bool   `json:"held"`              // 容缺 materials hold the result back
}

// Summary is one row of a case list.
type Summary struct {
	ID          string     `json:"id"`
	No          string     `json:"caseNo,omitempty"`
	Item        ItemRef    `json:"item"`
	Department  Named      `json:"department"`
	Status      Status     `json:"status"`
	StatusName  string     `json:"statusName"`
	Result      string     `json:"result,omitempty"`
	ResultName  string     `json:"resultName,omitempty"`
	Channel     string     `json:"channel"`
	Applicant   string     `json:"applicant"`
	SubmittedAt *time.Time `json:"submittedAt,omitempty"`
	DueAt       *time.Time `json:"dueAt,omitempty"`
	Due         string     `json:"due,omitempty"`
	Overdue     bool       `json:"overdue"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

// InboxRow is one open task in an inbox.
type InboxRow struct {
	Task       string     `json:"task"`
	Step       string     `json:"step"`
	StepName   string     `json:"stepName"`
	CaseNo     string     `json:"caseNo"`
	Item       string     `json:"item"`
	Applicant  string     `json:"applicant"`
	Status     Status     `json:"status"`
	StatusName string     `json:"statusName"`
	Channel    string     `json:"channel"`
	Since      time.Time  `json:"since"`
	DueAt      *time.Time `json:"dueAt,omitempty"`
	Due        string     `json:"due,omitempty"`
	CaseDue    string     `json:"caseDue,omitempty"`
	Overdue    bool       `json:"overdue"`
	Remaining  *int       `json:"remaining,omitempty"` // working days left on the task
	// Tolerance: 容缺 materials are still to come; Pledge: applied under
	// 告知承诺制; Paused: the case waits (补正, 特别程序) with its clocks stopped.
	Tolerance bool `json:"tolerance"`
	Pledge    bool `json:"pledge"`
	Paused    bool `json:"paused"`
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
