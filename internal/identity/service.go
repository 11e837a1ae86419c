package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/secret"
)

// Session lifetimes: a browser session ends after 8 idle-free hours (a
// working day at the window); an API token after 12 hours.
const (
	BrowserSessionTTL = 8 * time.Hour
	APITokenTTL       = 12 * time.Hour
	// lastSeenEvery bounds how often a read request writes last_seen_at.
	lastSeenEvery = 5 * time.Minute
)

// Field names used as associated data and lookup domains for personal data.
const (
	fieldIDNumber = "people.id_number"
	fieldPhone    = "people.phone"
)

// Service is the identity use cases.
type Service struct {
	DB      *db.DB
	Box     *secret.Box
	Clock   clock.Clock
	Limiter *LoginLimiter
	cache   sessionCache
	depts   refCache[Department]
	centres refCache[Centre]
}

func NewService(d *db.DB, box *secret.Box, c clock.Clock) *Service {
	return &Service{DB: d, Box: box, Clock: c, Limiter: NewLoginLimiter()}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// NormalizeUsername trims and lower-cases a username.
func NormalizeUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

// ErrBadCredentials is the one answer for a wrong username or password, so
// the answer does not tell which usernames exist.
var ErrBadCredentials = apperr.New(apperr.Unauthenticated, "用户名或密码错误")

// Login checks a username and password and returns the principal.
func (s *Service) Login(ctx context.Context, username, password, ip string) (*Principal, error) {
	username = NormalizeUsername(username)
	fields := apperr.FieldErrors{}
	if username == "" {
		fields.Add("username", "请输入用户名")
	}
	if password == "" {
		fields.Add("password", "请输入密码")
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	if len(username) > 64 || len(password) > 256 {
		return nil, ErrBadCredentials
	}
	now := s.now()
	if !s.Limiter.Allow(username, ip, now) {
		return nil, apperr.New(apperr.RateLimited, "登录失败次数过多，请15分钟后再试")
	}
	var id, hash string
	var disabled bool
	err := s.DB.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM accounts WHERE username = ?`, username).Scan(&id, &hash, &disabled)
	if db.IsNoRows(err) {
		CheckPassword(dummyHash, password)
		s.Limiter.Fail(username, ip, now)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if !CheckPassword(hash, password) {
		s.Limiter.Fail(username, ip, now)
		return nil, ErrBadCredentials
	}
	if disabled {
		return nil, apperr.New(apperr.Forbidden, "该账号已停用，请联系管理员")
	}
	p, err := s.principal(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Kind == KindCompany {
		var n int
		if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM company_agents WHERE company_id = ? AND person_id = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)`,
			p.CompanyID, p.PersonID, now, now).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.New(apperr.Forbidden, "您对该企业的经办授权已失效，请联系企业法定代表人重新授权")
		}
	}
	s.Limiter.Succeed(username)
	return p, nil
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartSession creates a session for p and returns its token. The login is
// recorded in the audit trail in the same transaction.
func (s *Service) StartSession(ctx context.Context, p *Principal, kind, ip, userAgent string) (string, time.Time, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	ttl := BrowserSessionTTL
	if kind == "api" {
		ttl = APITokenTTL
	}
	expires := now.Add(ttl)
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	ctx = audit.WithMeta(ctx, withActor(audit.MetaFrom(ctx), p))
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, kind, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			tokenHash(token), p.AccountID, kind, now, expires, now, ip, userAgent); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "account.login", ObjectType: "account", ObjectID: p.AccountID, Detail: map[string]any{"via": kind}})
	})
	return token, expires, err
}

func withActor(m audit.Meta, p *Principal) audit.Meta {
	m.ActorID, m.ActorName = p.AccountID, p.DisplayName
	return m
}

// Authenticate resolves a session token to its principal. An unknown,
// expired or disabled session is Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > 128 {
		return nil, apperr.New(apperr.Unauthenticated, "请先登录")
	}
	h := tokenHash(token)
	now := s.now()
	if p, ok := s.cache.get(h, now); ok {
		return p, nil
	}
	var accountID string
	var expires, lastSeen time.Time
	err := s.DB.QueryRowContext(ctx, `SELECT account_id, expires_at, last_seen_at FROM sessions WHERE token_hash = ?`, h).Scan(&accountID, &expires, &lastSeen)
	if db.IsNoRows(err) || (err == nil && !expires.After(now)) {
		return nil, apperr.New(apperr.Unauthenticated, "登录已过期，请重新登录")
	}
	if err != nil {
		return nil, err
	}
	p, err := s.principal(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if now.Sub(lastSeen) > lastSeenEvery {
		if _, err := s.DB.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, now, h); err != nil {
			return nil, err
		}
	}
	s.cache.put(h, p, expires, now)
	return p, nil
}

// Logout ends the session of token (unknown tokens are ignored).
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	h := tokenHash(token)
	now := s.now()
	s.cache.drop(h)
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		var accountID string
		err := tx.QueryRowContext(ctx, `SELECT account_id FROM sessions WHERE token_hash = ?`, h).Scan(&accountID)
		if db.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, h); err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "account.logout", ObjectType: "account", ObjectID: accountID})
	})
}

// PurgeExpiredSessions deletes sessions that have expired.
// InvalidateAccount makes every cached session of an account be checked
// against the database again (call it after disabling an account or
// changing its roles).
func (s *Service) InvalidateAccount(accountID string) { s.cache.dropAccount(accountID) }

func (s *Service) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	r, err := s.DB.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, s.now())
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// principal loads an account with its roles and scopes: one query for the
// account and its names, and for staff one each for roles and scopes.
func (s *Service) principal(ctx context.Context, accountID string) (*Principal, error) {
	p := &Principal{}
	var personID, companyID, companyName, deptID, deptName *string
	var disabled bool
	err := s.DB.QueryRowContext(ctx, `SELECT a.id, a.username, a.kind, a.display_name, a.person_id, a.company_id, c.name, a.department_id, d.name, a.elder_mode, a.disabled
		FROM accounts a
		LEFT JOIN companies c ON c.id = a.company_id
		LEFT JOIN departments d ON d.id = a.department_id
		WHERE a.id = ?`, accountID).Scan(&p.AccountID, &p.Username, &p.Kind, &p.DisplayName, &personID, &companyID, &companyName, &deptID, &deptName, &p.ElderMode, &disabled)
	if db.IsNoRows(err) {
		return nil, apperr.New(apperr.Unauthenticated, "账号不存在，请重新登录")
	}
	if err != nil {
		return nil, err
	}
	if disabled {
		return nil, apperr.New(apperr.Unauthenticated, "该账号已停用")
	}
	p.PersonID, p.CompanyID, p.CompanyName, p.DepartmentID, p.Department = deref(personID), deref(companyID), deref(companyName), deref(deptID), deref(deptName)
	if p.Kind != KindStaff {
		return p, nil
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT role FROM staff_roles WHERE account_id = ? ORDER BY role`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		p.Roles = append(p.Roles, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	srows, err := s.DB.QueryContext(ctx, `SELECT region_code, department_id FROM staff_scopes WHERE account_id = ?`, accountID)
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	for srows.Next() {
		var rc, dep *string
		if err := srows.Scan(&rc, &dep); err != nil {
			return nil, err
		}
		p.Scopes = append(p.Scopes, Scope{RegionCode: deref(rc), DepartmentID: deref(dep)})
	}
	return p, srows.Err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// SetElderMode stores the account's interface preference.
func (s *Service) SetElderMode(ctx context.Context, accountID string, on bool) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE accounts SET elder_mode = ? WHERE id = ?`, on, accountID)
	s.cache.dropAccount(accountID)
	return err
}
