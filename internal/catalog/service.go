package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// refreshEvery bounds how stale a process's catalogue may be when another
// process published: readers check the revision at most this often.
const refreshEvery = 2 * time.Second

// Service is the catalogue's use cases. Reads come from an in-memory
// snapshot of every published item (the catalogue is small and read on
// every page); writes go to the database and bump a revision that makes
// every process rebuild its snapshot.
type Service struct {
	DB       *db.DB
	Identity *identity.Service
	Clock    clock.Clock
	Log      *slog.Logger
	// Workflows lists the workflows an item may name (id → name), for
	// validation; it is casework's, wired in by the application. Nil skips
	// the check.
	Workflows func(ctx context.Context) (map[string]string, error)

	mu      sync.Mutex // serialises snapshot rebuilds
	snap    atomic.Pointer[Snapshot]
	checked atomic.Int64 // unix nanos of the last revision check
}

// NewService builds the service; the first snapshot loads lazily.
func NewService(d *db.DB, ids *identity.Service, c clock.Clock, log *slog.Logger) *Service {
	return &Service{DB: d, Identity: ids, Clock: c, Log: log}
}

// Entry is one published item as readers see it.
type Entry struct {
	ID          string
	Item        Item
	Form        *Form
	DeptID      string
	DeptName    string
	Lists       []string
	PublishedAt time.Time
	Versions    []VersionInfo // newest first

	memo sync.Map
}

// Memo returns what build made for key the first time it was asked, for
// the life of the snapshot (an encoded API answer, a rendered guide).
func (e *Entry) Memo(key string, build func() ([]byte, error)) ([]byte, error) {
	if v, ok := e.memo.Load(key); ok {
		return v.([]byte), nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	e.memo.Store(key, b)
	return b, nil
}

// Snapshot is an immutable view of the published catalogue.
type Snapshot struct {
	Revision int64
	Entries  []*Entry
	byCode   map[string]*Entry
	index    *Index

	// results remembers recent searches: the snapshot never changes, so a
	// result stays right for its lifetime (people ask the same few things).
	mu      sync.RWMutex
	results map[Query]SearchResult
	memo    map[string][]byte
}

// Memo is Entry.Memo for answers about the whole snapshot (an encoded
// search page), bounded like the search cache.
func (sn *Snapshot) Memo(key string, build func() ([]byte, error)) ([]byte, error) {
	sn.mu.RLock()
	b, ok := sn.memo[key]
	sn.mu.RUnlock()
	if ok {
		return b, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	sn.mu.Lock()
	if sn.memo == nil || len(sn.memo) >= maxCachedResults {
		sn.memo = make(map[string][]byte)
	}
	sn.memo[key] = b
	sn.mu.Unlock()
	return b, nil
}

// Normalized applies the defaults and bounds Search applies, so equal
// searches have equal queries.
func (q Query) Normalized() Query {
	if q.PageSize <= 0 || q.PageSize > 100 {
		q.PageSize = 20
	}
	if q.Page <= 0 {
		q.Page = 1
	}
	if utf8.RuneCountInString(q.Q) > maxQueryRunes {
		q.Q = string([]rune(q.Q)[:maxQueryRunes])
	}
	return q
}

// maxCachedResults bounds the search cache of one snapshot.
const maxCachedResults = 4096

// Snapshot returns the current published catalogue, rebuilding it when the
// revision in the database has moved.
func (s *Service) Snapshot(ctx context.Context) (*Snapshot, error) {
	cur := s.snap.Load()
	now := time.Now().UnixNano()
	if cur != nil && now-s.checked.Load() < int64(refreshEvery) {
		return cur, nil
	}
	var rev int64
	if err := s.DB.QueryRowContext(ctx, `SELECT revision FROM catalog_revision WHERE id = 1`).Scan(&rev); err != nil {
		return nil, err
	}
	s.checked.Store(now)
	if cur != nil && cur.Revision == rev {
		return cur, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur = s.snap.Load(); cur != nil && cur.Revision >= rev {
		return cur, nil
	}
	snap, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	s.snap.Store(snap)
	return snap, nil
}

// invalidate forces the next Snapshot call to check the revision.
func (s *Service) invalidate() { s.checked.Store(0) }

func (s *Service) load(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{}
	// Read the revision first: if a publish lands while we read, the next
	// check sees a newer revision and rebuilds again.
	if err := s.DB.QueryRowContext(ctx, `SELECT revision FROM catalog_revision WHERE id = 1`).Scan(&snap.Revision); err != nil {
		return nil, err
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT i.id, v.data, v.form_data, v.published_at, i.department_id, d.name
		FROM catalog_items i
		JOIN catalog_versions v ON v.item_id = i.id AND v.version = i.published_version
		JOIN departments d ON d.id = i.department_id
		WHERE i.published_version > 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e := &Entry{}
		var data, form string
		var published *time.Time
		if err := rows.Scan(&e.ID, &data, &form, &published, &e.DeptID, &e.DeptName); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &e.Item); err != nil {
			return nil, fmt.Errorf("item %s: %w", e.ID, err)
		}
		if form != "" {
			e.Form = &Form{}
			if err := json.Unmarshal([]byte(form), e.Form); err != nil {
				return nil, fmt.Errorf("form of item %s: %w", e.ID, err)
			}
		}
		if published != nil {
			e.PublishedAt = *published
		}
		e.Lists = ListsOf(&e.Item)
		snap.Entries = append(snap.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.loadVersions(ctx, snap.Entries); err != nil {
		return nil, err
	}
	built, err := NewSnapshot(snap.Entries)
	if err != nil {
		return nil, err
	}
	built.Revision = snap.Revision
	return built, nil
}

// NewSnapshot orders entries and builds the code lookup and search index.
func NewSnapshot(entries []*Entry) (*Snapshot, error) {
	seg, err := DefaultSegmenter()
	if err != nil {
		return nil, fmt.Errorf("segmenter: %w", err)
	}
	snap := &Snapshot{Entries: entries, byCode: map[string]*Entry{}}
	sort.Slice(snap.Entries, func(i, j int) bool {
		a, b := snap.Entries[i].Item, snap.Entries[j].Item
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Code < b.Code
	})
	docs := make([]Doc, len(snap.Entries))
	for i, e := range snap.Entries {
		it := &e.Item
		for _, c := range []string{it.Code, it.ImplCode, it.BaseCode} {
			if _, taken := snap.byCode[c]; !taken {
				snap.byCode[c] = e
			}
		}
		text := []string{it.Conditions, it.Result.Name}
		for _, m := range it.Materials {
			text = append(text, m.Name)
		}
		docs[i] = Doc{Name: it.Name, MainItem: it.MainItem, SubItem: it.SubItem, Department: e.DeptName,
			Aliases: it.Aliases, Keywords: it.Keywords, Themes: it.Themes, Text: text}
	}
	snap.index = BuildIndex(seg, docs)
	return snap, nil
}

// loadVersions attaches every item's version history in one query.
func (s *Service) loadVersions(ctx context.Context, entries []*Entry) error {
	byID := make(map[string]*Entry, len(entries))
	for _, e := range entries {
		byID[e.ID] = e
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT item_id, version, status, effective_from, published_at FROM catalog_versions ORDER BY item_id, version DESC`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var v VersionInfo
		var at *time.Time
		if err := rows.Scan(&id, &v.Version, &v.Status, &v.EffectiveFrom, &at); err != nil {
			return err
		}
		if at != nil {
			v.PublishedAt = *at
		}
		if e := byID[id]; e != nil {
			e.Versions = append(e.Versions, v)
		}
	}
	return rows.Err()
}

// ByCode finds a published item by its 业务办理项编码, 实施编码 or 基本编码.
func (sn *Snapshot) ByCode(code string) (*Entry, bool) {
	e, ok := sn.byCode[code]
	return e, ok
}

// Query selects items for the search page and API.
type Query struct {
	Q          string
	Type       string
	Department string // department code
	Region     string // region code: items implemented in it or under it
	List       string // list slug or name
	Theme      string
	Page       int // from 1
	PageSize   int
}

// SearchResult is one page of a search.
type SearchResult struct {
	Entries  []*Entry
	Total    int
	Page     int
	PageSize int
}

// Search answers q from the snapshot: ranked by relevance when there is
// query text, by department and code otherwise.
func (sn *Snapshot) Search(q Query) (SearchResult, error) {
	q = q.Normalized()
	sn.mu.RLock()
	res, ok := sn.results[q]
	sn.mu.RUnlock()
	if ok {
		return res, nil
	}
	res, err := sn.search(q)
	if err != nil {
		return res, err
	}
	sn.mu.Lock()
	if sn.results == nil || len(sn.results) >= maxCachedResults {
		sn.results = make(map[Query]SearchResult)
	}
	sn.results[q] = res
	sn.mu.Unlock()
	return res, nil
}

func (sn *Snapshot) search(q Query) (SearchResult, error) {
	if q.Page > 10000 {
		return SearchResult{}, apperr.New(apperr.Invalid, "页码过大")
	}
	var list *List
	if q.List != "" {
		l, ok := ListBySlugOrName(q.List)
		if !ok {
			return SearchResult{}, apperr.Newf(apperr.Invalid, "没有名为 %q 的清单", q.List)
		}
		list = l
	}
	if q.Type != "" {
		if _, ok := ItemTypes[q.Type]; !ok {
			return SearchResult{}, apperr.Newf(apperr.Invalid, "事项类型 %q 不存在", q.Type)
		}
	}
	keep := func(e *Entry) bool {
		it := &e.Item
		return (q.Type == "" || it.Type == q.Type) &&
			(q.Department == "" || it.Department == q.Department) &&
			(q.Region == "" || identity.RegionContains(q.Region, it.Region)) &&
			(list == nil || list.In(it)) &&
			(q.Theme == "" || contains(it.Themes, q.Theme))
	}
	var matched []*Entry
	if q.Q == "" {
		for _, e := range sn.Entries {
			if keep(e) {
				matched = append(matched, e)
			}
		}
	} else {
		for _, h := range sn.index.Search(q.Q) {
			if e := sn.Entries[h.Doc]; keep(e) {
				matched = append(matched, e)
			}
		}
	}
	res := SearchResult{Total: len(matched), Page: q.Page, PageSize: q.PageSize}
	from := (q.Page - 1) * q.PageSize
	if from < len(matched) {
		res.Entries = matched[from:min(from+q.PageSize, len(matched))]
	}
	return res, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// canMaintain: administrators maintain every item; a department's
// catalogue maintainer only that department's.
func canMaintain(actor *identity.Principal, deptID string) bool {
	return actor.HasRole(identity.RoleAdmin) || (actor.HasRole(identity.RoleMaintainer) && actor.DepartmentID == deptID)
}

// departmentEnv loads what validation needs to know about departments.
func (s *Service) departmentEnv(ctx context.Context, q db.Querier) (map[string]DeptInfo, map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, code, name, credit_code, region_code FROM departments`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	infos, ids := map[string]DeptInfo{}, map[string]string{}
	for rows.Next() {
		var id string
		var d DeptInfo
		if err := rows.Scan(&id, &d.Code, &d.Name, &d.CreditCode, &d.RegionCode); err != nil {
			return nil, nil, err
		}
		infos[d.Code], ids[d.Code] = d, id
	}
	return infos, ids, rows.Err()
}

// env is the validation environment with the known workflows.
func (s *Service) env(ctx context.Context, depts map[string]DeptInfo, forms map[string]*Form) (Env, error) {
	env := Env{Departments: depts, Forms: forms}
	if s.Workflows != nil {
		wf, err := s.Workflows(ctx)
		if err != nil {
			return env, err
		}
		env.Workflows = wf
	}
	return env, nil
}

func (s *Service) loadForms(ctx context.Context, q db.Querier) (map[string]*Form, error) {
	rows, err := q.QueryContext(ctx, `SELECT data FROM catalog_forms`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*Form{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		f := &Form{}
		if err := json.Unmarshal([]byte(data), f); err != nil {
			return nil, err
		}
		out[f.ID] = f
	}
	return out, rows.Err()
}

func bumpRevision(ctx context.Context, tx *db.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE catalog_revision SET revision = revision + 1 WHERE id = 1`)
	return err
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// publish stores it as the newest published version of its item (creating
// the item when its code is new) unless it equals the current published
// version. It reports what happened: "created", "updated" or "unchanged".
func (s *Service) publish(ctx context.Context, tx *db.Tx, it *Item, form *Form, deptID string, actor *identity.Principal, now time.Time) (string, error) {
	// Sets are stored in one order, so the same item is always the same bytes.
	sortThemes(it.Themes)
	sort.Strings(it.ServiceObjects)
	var itemID string
	var published int
	err := tx.QueryRowContext(ctx, `SELECT id, published_version FROM catalog_items WHERE code = ?`, it.Code).Scan(&itemID, &published)
	outcome := "updated"
	switch {
	case db.IsNoRows(err):
		itemID, outcome = newID(), "created"
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_items (id, code, impl_code, base_code, department_id, published_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
			itemID, it.Code, it.ImplCode, it.BaseCode, deptID, now, now); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	}
	formData := ""
	if form != nil {
		b, err := json.Marshal(form)
		if err != nil {
			return "", err
		}
		formData = string(b)
	}
	var maxVersion int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM catalog_versions WHERE item_id = ?`, itemID).Scan(&maxVersion); err != nil {
		return "", err
	}
	if published > 0 {
		var oldData, oldForm string
		if err := tx.QueryRowContext(ctx, `SELECT data, form_data FROM catalog_versions WHERE item_id = ? AND version = ?`, itemID, published).Scan(&oldData, &oldForm); err != nil {
			return "", err
		}
		probe := *it
		probe.Version = published
		b, _ := json.Marshal(&probe)
		if string(b) == oldData && formData == oldForm {
			return "unchanged", nil
		}
	}
	version := maxVersion + 1
	it.Version = version
	data, err := json.Marshal(it)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE catalog_versions SET status = 'superseded' WHERE item_id = ? AND status = 'published'`, itemID); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_versions (item_id, version, status, name, data, form_data, effective_from, created_at, created_by, published_at, published_by)
		VALUES (?, ?, 'published', ?, ?, ?, ?, ?, ?, ?, ?)`,
		itemID, version, it.Name, string(data), formData, it.EffectiveFrom, now, actor.AccountID, now, actor.AccountID); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE catalog_items SET published_version = ?, impl_code = ?, base_code = ?, department_id = ?, updated_at = ? WHERE id = ?`,
		version, it.ImplCode, it.BaseCode, deptID, now, itemID); err != nil {
		return "", err
	}
	return outcome, audit.Append(ctx, tx, now, audit.Entry{Action: "catalog.publish", ObjectType: "catalog_item", ObjectID: itemID,
		BeforeRef: versionRef(published), AfterRef: versionRef(version), Detail: map[string]any{"code": it.Code, "name": it.Name}})
}

func versionRef(v int) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("v%d", v)
}

// Version returns one version of an item (earlier versions stay readable:
// a case applied under version 3 shows version 3's guide).
func (s *Service) Version(ctx context.Context, code string, version int) (*Item, *Form, error) {
	var data, form string
	err := s.DB.QueryRowContext(ctx, `SELECT v.data, v.form_data FROM catalog_versions v JOIN catalog_items i ON i.id = v.item_id
		WHERE i.code = ? AND v.version = ?`, code, version).Scan(&data, &form)
	if db.IsNoRows(err) {
		return nil, nil, apperr.New(apperr.NotFound, "未找到该事项的这一版本")
	}
	if err != nil {
		return nil, nil, err
	}
	it := &Item{}
	if err := json.Unmarshal([]byte(data), it); err != nil {
		return nil, nil, err
	}
	var f *Form
	if form != "" {
		f = &Form{}
		if err := json.Unmarshal([]byte(form), f); err != nil {
			return nil, nil, err
		}
	}
	return it, f, nil
}

// VersionInfo is one row of an item's version history.
type VersionInfo struct {
	Version       int       `json:"version"`
	Status        string    `json:"status"`
	EffectiveFrom string    `json:"effectiveFrom"`
	PublishedAt   time.Time `json:"publishedAt"`
}
