package licence

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/identity"
	"yiwang/internal/secret"
)

// Service is the licence use cases: types, keys and seals, issuing,
// the holder's wallet, verification, revocation and annotation, and use
// instead of paper (免提交).
type Service struct {
	DB       *db.DB
	Identity *identity.Service
	Box      *secret.Box
	Clock    clock.Clock
	Log      *slog.Logger
	// PublicURL is the address people reach the platform at; verification
	// links and QR codes point to PublicURL + "/verify".
	PublicURL string

	mu    sync.Mutex
	ring  *keyring
	types *typeSet
}

// cacheFor is how long keys and types read from the database are kept: a
// seal made by `yiwang seal` in another process is used within it.
const cacheFor = 30 * time.Second

// NewService builds the service.
func NewService(d *db.DB, ids *identity.Service, box *secret.Box, c clock.Clock, log *slog.Logger, publicURL string) *Service {
	if log == nil {
		log = slog.Default()
	}
	if publicURL == "" {
		publicURL = "http://localhost:8080"
	}
	return &Service{DB: d, Identity: ids, Box: box, Clock: c, Log: log, PublicURL: publicURL}
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Forget drops the cached keys and types, so a seal made by another
// process (`yiwang seal create`) is used at once rather than within
// cacheFor.
func (s *Service) Forget() { s.forget() }

// forget drops the cached keys and types (after a change in this process).
func (s *Service) forget() {
	s.mu.Lock()
	s.ring, s.types = nil, nil
	s.mu.Unlock()
}

// keys is the keyring, read again when older than cacheFor.
func (s *Service) keys(ctx context.Context) (*keyring, error) {
	s.mu.Lock()
	k := s.ring
	s.mu.Unlock()
	if k != nil && time.Since(k.loaded) < cacheFor {
		return k, nil
	}
	k, err := s.loadKeys(ctx)
	if err != nil {
		return nil, err
	}
	k.loaded = time.Now()
	s.mu.Lock()
	s.ring = k
	s.mu.Unlock()
	return k, nil
}

type typeSet struct {
	byName map[string]*Type
	byCode map[string]*Type
	list   []Type
	loaded time.Time
}

func (s *Service) typeSet(ctx context.Context) (*typeSet, error) {
	s.mu.Lock()
	ts := s.types
	s.mu.Unlock()
	if ts != nil && time.Since(ts.loaded) < cacheFor {
		return ts, nil
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT definition FROM licence_types ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ts = &typeSet{byName: map[string]*Type{}, byCode: map[string]*Type{}, loaded: time.Now()}
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			return nil, err
		}
		var t Type
		if err := json.Unmarshal([]byte(def), &t); err != nil {
			return nil, err
		}
		ts.list = append(ts.list, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(ts.list, func(i, j int) bool { return ts.list[i].Code < ts.list[j].Code })
	for i := range ts.list {
		ts.byName[ts.list[i].Name] = &ts.list[i]
		ts.byCode[ts.list[i].Code] = &ts.list[i]
	}
	s.mu.Lock()
	s.types = ts
	s.mu.Unlock()
	return ts, nil
}

// Types lists the licence types.
func (s *Service) Types(ctx context.Context) ([]Type, error) {
	ts, err := s.typeSet(ctx)
	if err != nil {
		return nil, err
	}
	return ts.list, nil
}

// TypeByName finds a licence type by the name the catalogue uses.
func (s *Service) TypeByName(ctx context.Context, name string) (*Type, bool, error) {
	ts, err := s.typeSet(ctx)
	if err != nil {
		return nil, false, err
	}
	t, ok := ts.byName[name]
	return t, ok, nil
}

// SaveTypes validates and stores licence types (new ones added, existing
// codes replaced), all or none, naming the first invalid one.
func (s *Service) SaveTypes(ctx context.Context, actor *identity.Principal, types []Type) error {
	if actor != nil && !actor.HasRole(identity.RoleAdmin) {
		return apperr.New(apperr.Forbidden, "只有管理员可以维护证照类型")
	}
	names := map[string]string{}
	for i := range types {
		if err := types[i].Validate(); err != nil {
			e := &apperr.Error{Code: apperr.Invalid, Fields: map[string]string{}}
			var first string
			if ae, ok := err.(*apperr.Error); ok {
				for k, v := range ae.Fields {
					e.Fields[fmt.Sprintf("[%d].%s", i, k)] = v
					if first == "" || k < first {
						first = k
					}
				}
				first = ae.Fields[first]
			}
			e.Message = fmt.Sprintf("证照类型“%s”（第%d个）：%s", types[i].Name, i+1, first)
			return e
		}
		if prev, dup := names[types[i].Name]; dup && prev != types[i].Code {
			return apperr.Newf(apperr.Invalid, "证照名称“%s”重复（%s 与 %s）", types[i].Name, prev, types[i].Code)
		}
		names[types[i].Name] = types[i].Code
	}
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		for _, t := range types {
			def, err := json.Marshal(t)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO licence_types (code, name, definition, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, definition = excluded.definition, updated_at = excluded.updated_at`,
				t.Code, t.Name, string(def), now); err != nil {
				return db.MapError(err)
			}
		}
		return audit.Append(ctx, tx, now, audit.Entry{Action: "licence.types.save", ObjectType: "licence_types", ObjectID: "all",
			Detail: map[string]any{"count": len(types)}})
	})
	if err != nil {
		return err
	}
	s.forget()
	return nil
}
