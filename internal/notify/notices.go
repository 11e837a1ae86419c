package notify

import (
	"context"
	"time"

	"github.com/google/uuid"

	"yiwang/internal/apperr"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// Notice is an in-app message (站内消息) to one account.
type Notice struct {
	ID        string     `json:"id"`
	CaseID    string     `json:"caseId"`
	CaseNo    string     `json:"caseNo,omitempty"`
	Topic     string     `json:"topic"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"createdAt"`
	ReadAt    *time.Time `json:"readAt,omitempty"`
}

// NoticePage is one page of an account's notices, newest first, with how
// many of all its notices are unread.
type NoticePage struct {
	Notices  []Notice `json:"notices"`
	Page     int      `json:"page"`
	PageSize int      `json:"pageSize"`
	More     bool     `json:"more"`
	Unread   int      `json:"unread"`
}

// NoticeFilter chooses a page of notices.
type NoticeFilter struct {
	Page       int // from 1
	PageSize   int // 1–100, 20 when 0
	UnreadOnly bool
}

// maxNoticePage bounds how deep anyone pages.
const maxNoticePage = 1000

const noticeCols = `id, case_id, case_no, topic, title, body, created_at, read_at`

func scanNotice(r interface{ Scan(...any) error }, n *Notice) error {
	return r.Scan(&n.ID, &n.CaseID, &n.CaseNo, &n.Topic, &n.Title, &n.Body, &n.CreatedAt, &n.ReadAt)
}

func signedIn(actor *identity.Principal) error {
	if actor == nil {
		return apperr.New(apperr.Unauthenticated, "请先登录")
	}
	return nil
}

// Notices lists the caller's notices, newest first.
func (s *Service) Notices(ctx context.Context, actor *identity.Principal, f NoticeFilter) (*NoticePage, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	bad := apperr.FieldErrors{}
	if f.Page == 0 {
		f.Page = 1
	}
	if f.Page < 1 || f.Page > maxNoticePage {
		bad.Add("page", "页码应为1到1000之间的整数")
	}
	if f.PageSize == 0 {
		f.PageSize = 20
	}
	if f.PageSize < 1 || f.PageSize > 100 {
		bad.Add("pageSize", "每页条数应为1到100之间的整数")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	q := `SELECT ` + noticeCols + ` FROM notices WHERE account_id = ?`
	if f.UnreadOnly {
		q += ` AND read_at IS NULL`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	rows, err := s.DB.QueryContext(ctx, q, actor.AccountID, f.PageSize+1, (f.Page-1)*f.PageSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &NoticePage{Notices: []Notice{}, Page: f.Page, PageSize: f.PageSize}
	for rows.Next() {
		var n Notice
		if err := scanNotice(rows, &n); err != nil {
			return nil, err
		}
		out.Notices = append(out.Notices, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out.Notices) > f.PageSize {
		out.Notices, out.More = out.Notices[:f.PageSize], true
	}
	out.Unread, err = s.Unread(ctx, actor.AccountID)
	return out, err
}

// Unread counts an account's unread notices (one read of a partial index:
// cheap enough for every page's header).
func (s *Service) Unread(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM notices WHERE account_id = ? AND read_at IS NULL`, accountID).Scan(&n)
	return n, err
}

var errNoNotice = apperr.New(apperr.NotFound, "未找到该消息")

// MarkRead marks one of the caller's notices read (again is no change)
// and returns it. Someone else's notice is not found.
func (s *Service) MarkRead(ctx context.Context, actor *identity.Principal, id string) (*Notice, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "消息编号格式不正确", Fields: map[string]string{"id": "格式不正确"}}
	}
	n := &Notice{}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notices SET read_at = ? WHERE id = ? AND account_id = ? AND read_at IS NULL`, s.now(), id, actor.AccountID); err != nil {
			return err
		}
		err := scanNotice(tx.QueryRowContext(ctx, `SELECT `+noticeCols+` FROM notices WHERE id = ? AND account_id = ?`, id, actor.AccountID), n)
		if db.IsNoRows(err) {
			return errNoNotice
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// MarkAllRead marks every unread notice of the caller read and says how many.
func (s *Service) MarkAllRead(ctx context.Context, actor *identity.Principal) (int64, error) {
	if err := signedIn(actor); err != nil {
		return 0, err
	}
	r, err := s.DB.ExecContext(ctx, `UPDATE notices SET read_at = ? WHERE account_id = ? AND read_at IS NULL`, s.now(), actor.AccountID)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
