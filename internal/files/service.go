// Package files keeps uploaded case materials (申请材料): it checks what an
// upload really is from its bytes, stores the bytes through an object-store
// seam (local disk by default) and the facts about them in the database,
// and hands them back only to whoever may read them.
package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/identity"
)

// DefaultMaxSize is the largest upload accepted unless configured: enough
// for a multi-page scan at 300 dpi.
const DefaultMaxSize = 20 << 20

// File is a stored upload.
type File struct {
	ID             string
	OwnerAccountID string
	Name           string // cleaned display name
	ContentType    string // detected from the content
	Size           int64
	SHA256         string // hex
	CreatedAt      time.Time
	storageKey     string
}

// Service is the file use cases.
type Service struct {
	DB      *db.DB
	Store   ObjectStore
	Clock   clock.Clock
	Log     *slog.Logger
	MaxSize int64  // bytes; 0 means DefaultMaxSize
	TempDir string // where uploads wait while being checked; "" means os.TempDir()
	// MayRead is the seam for reading a file one does not own: case
	// handling will grant the staff of a case its materials here. Nil
	// means owners only. A read granted through it is audited.
	MayRead func(ctx context.Context, actor *identity.Principal, f *File) (bool, error)

	// memo is what Describe has read; shared by copies of the Service
	// (nil in a Service not made by NewService: Describe then always asks).
	memo *fileMemo
}

// fileMemo holds file rows by id, up to describeCap of them.
type fileMemo struct {
	m sync.Map // file id → *File
	n atomic.Int64
}

func NewService(d *db.DB, store ObjectStore, c clock.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: d, Store: store, Clock: c, Log: log, memo: &fileMemo{}}
}

// Limit is the largest accepted upload in bytes.
func (s *Service) Limit() int64 {
	if s != nil && s.MaxSize > 0 {
		return s.MaxSize
	}
	return DefaultMaxSize
}

func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Microsecond) }

var (
	errLogin    = apperr.New(apperr.Unauthenticated, "请先登录")
	errNotFound = apperr.New(apperr.NotFound, "未找到该文件")
)

// Upload checks and stores one file for actor: Receive, then Save.
func (s *Service) Upload(ctx context.Context, actor *identity.Principal, name string, r io.Reader) (*File, error) {
	in, err := s.Receive(ctx, actor, name, r)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return s.Save(ctx, actor, in)
}

// Incoming is an upload that has been read and checked but not stored:
// the web layer receives the file part, makes sure the request holds
// nothing else it must refuse, and only then saves. Close it when done.
type Incoming struct {
	Name   string // cleaned
	Type   Type
	Size   int64
	SHA256 string
	spool  *os.File
}

// Close discards the waiting content. It is safe on nil and twice.
func (in *Incoming) Close() error {
	if in == nil || in.spool == nil {
		return nil
	}
	err := in.spool.Close()
	_ = os.Remove(in.spool.Name())
	in.spool = nil
	return err
}

// Receive reads one upload of at most Limit bytes into a temporary file,
// hashing it on the way, and checks it: a logged-in actor, a usable name,
// not empty, not too large, an accepted type by content, and a name whose
// extension says that type.
func (s *Service) Receive(ctx context.Context, actor *identity.Principal, name string, r io.Reader) (_ *Incoming, err error) {
	if actor == nil {
		return nil, errLogin
	}
	clean, err := CleanName(name)
	if err != nil {
		return nil, err
	}
	if s.TempDir != "" {
		if err := os.MkdirAll(s.TempDir, 0o700); err != nil {
			return nil, fmt.Errorf("upload spool: %w", err)
		}
	}
	spool, err := os.CreateTemp(s.TempDir, "upload-*")
	if err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	in := &Incoming{Name: clean, spool: spool}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	limit := s.Limit()
	src := &sourceReader{r: io.LimitReader(r, limit+1)}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(spool, h), src)
	if err != nil {
		if src.err != nil {
			// The sender stopped or overran a limit: their problem, not ours.
			return nil, apperr.Wrap(apperr.Invalid, "文件没有完整上传，请重试", src.err)
		}
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	if n > limit {
		return nil, &apperr.Error{Code: apperr.TooLarge, Message: fmt.Sprintf("文件不能超过 %s，请压缩或分开上传", humanSize(limit)),
			Fields: map[string]string{"file": "文件过大"}}
	}
	if n == 0 {
		return nil, fileErr("文件是空的（0 字节），请选择正确的文件")
	}
	t, err := Detect(spool, n)
	if err != nil {
		return nil, err
	}
	if err := checkExt(clean, t); err != nil {
		return nil, err
	}
	in.Type, in.Size, in.SHA256 = t, n, hex.EncodeToString(h.Sum(nil))
	return in, nil
}

// sourceReader remembers a read error, so a broken upload is told apart
// from a full disk.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// Save stores a received upload for actor: the bytes through the object
// store, then the row and its audit entry in one transaction. When the
// transaction fails the object is deleted again, so no row points at
// nothing and nothing is left that no row points at.
func (s *Service) Save(ctx context.Context, actor *identity.Principal, in *Incoming) (*File, error) {
	if actor == nil {
		return nil, errLogin
	}
	if in == nil || in.spool == nil {
		return nil, errors.New("files: Save of an upload that was not received or is closed")
	}
	if _, err := in.spool.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	f := &File{ID: uuid.Must(uuid.NewV7()).String(), OwnerAccountID: actor.AccountID, Name: in.Name,
		ContentType: in.Type.MIME, Size: in.Size, SHA256: in.SHA256, CreatedAt: s.now(), storageKey: newStorageKey()}
	if err := s.Store.Put(ctx, f.storageKey, io.LimitReader(in.spool, in.Size)); err != nil {
		return nil, err
	}
	if m := audit.MetaFrom(ctx); m.ActorID == "" {
		m.ActorID, m.ActorName = actor.AccountID, actor.DisplayName
		ctx = audit.WithMeta(ctx, m)
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := insertFile(ctx, tx, f); err != nil {
			return err
		}
		// The name stays out of the trail: it may carry personal data.
		return audit.Append(ctx, tx, f.CreatedAt, audit.Entry{Action: "file.upload", ObjectType: "file", ObjectID: f.ID,
			Detail: map[string]any{"contentType": f.ContentType, "size": f.Size, "sha256": f.SHA256}})
	})
	if err != nil {
		if derr := s.Store.Delete(context.WithoutCancel(ctx), f.storageKey); derr != nil {
			s.Log.ErrorContext(ctx, "orphaned stored file after failed insert", slog.String("key", f.storageKey), slog.Any("err", derr))
		}
		return nil, err
	}
	return f, nil
}

// Get returns the facts about a file to someone who may read it; to
// anyone else the file does not exist.
func (s *Service) Get(ctx context.Context, actor *identity.Principal, id string) (*File, error) {
	if actor == nil {
		return nil, errLogin
	}
	f, err := fileByID(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if f.OwnerAccountID == actor.AccountID {
		return f, nil
	}
	if s.MayRead != nil {
		ok, err := s.MayRead(ctx, actor, f)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := audit.Write(ctx, s.DB, s.now(), audit.Entry{Action: "file.read", ObjectType: "file", ObjectID: f.ID}); err != nil {
				return nil, err
			}
			return f, nil
		}
	}
	return nil, errNotFound
}

// Open returns a file and its content to someone who may read it (see
// Get). The caller closes the content.
func (s *Service) Open(ctx context.Context, actor *identity.Principal, id string) (*File, io.ReadCloser, error) {
	f, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.Store.Open(ctx, f.storageKey)
	if err != nil {
		// A row without its object is an operator's problem (a lost disk),
		// so it is internal, not "not found".
		return nil, nil, fmt.Errorf("open file %s: %w", f.ID, err)
	}
	return f, rc, nil
}

// humanSize writes a byte limit the way people read it.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// Describe returns the facts about files by id, for a caller that has
// already decided the reader may see them (a case's materials shown to
// whoever may see the case). Unknown ids are left out. One query.
//
// File rows are never changed or deleted once written, so what Describe
// has read once it remembers (up to describeCap files, then it starts
// afresh): a case page or an action's answer then names its materials
// without a query.
func (s *Service) Describe(ctx context.Context, ids []string) (map[string]*File, error) {
	if s.memo == nil {
		return filesByID(ctx, s.DB, ids)
	}
	out := make(map[string]*File, len(ids))
	var missing []string
	for _, id := range ids {
		if f, ok := s.memo.m.Load(id); ok {
			c := *f.(*File)
			out[id] = &c
		} else if !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := filesByID(ctx, s.DB, missing)
	if err != nil {
		return nil, err
	}
	if s.memo.n.Load() > describeCap {
		s.memo.m.Clear()
		s.memo.n.Store(0)
	}
	for id, f := range got {
		c := *f
		if _, had := s.memo.m.LoadOrStore(id, &c); !had {
			s.memo.n.Add(1)
		}
		out[id] = f
	}
	return out, nil
}

// describeCap bounds the files Describe remembers (about 200 bytes each).
const describeCap = 50000
