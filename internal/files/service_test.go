package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yiwang/internal/apperr"
	"yiwang/internal/audit"
	"yiwang/internal/clock"
	"yiwang/internal/db"
	"yiwang/internal/db/dbtest"
	"yiwang/internal/files"
	"yiwang/internal/files/filestest"
	"yiwang/internal/identity"
	"yiwang/internal/secret"
	"yiwang/internal/stdcode"
)

var citizen = &identity.Principal{AccountID: "acc-1", Kind: identity.KindPerson, DisplayName: "王秀英"}

// TestReceiveRefuses covers every refusal that happens before anything is
// stored; none of them needs a database.
func TestReceiveRefuses(t *testing.T) {
	pdf := filestest.PDF()
	spool := t.TempDir()
	s := &files.Service{TempDir: spool}
	atLimit := int64(len(pdf))
	for _, tc := range []struct {
		name, file string
		limit      int64 // 0: the default
		content    io.Reader
		actor      *identity.Principal
		code       apperr.Code // "" means accepted
		says       string
	}{
		{"pdf at the size limit", "申请书.pdf", atLimit, bytes.NewReader(pdf), citizen, "", ""},
		{"upper-case extension", "SCAN.PDF", 0, bytes.NewReader(pdf), citizen, "", ""},
		{"jpeg as .jpg", "照片.jpg", 0, bytes.NewReader(filestest.JPEG()), citizen, "", ""},
		{"jpeg as .jpeg", "照片.jpeg", 0, bytes.NewReader(filestest.JPEG()), citizen, "", ""},
		{"png", "户口本.png", 0, bytes.NewReader(filestest.PNG()), citizen, "", ""},
		{"ofd", "营业执照.ofd", 0, bytes.NewReader(filestest.OFD()), citizen, "", ""},
		{"anonymous", "a.pdf", 0, bytes.NewReader(pdf), nil, apperr.Unauthenticated, "请先登录"},
		{"one byte over the limit", "a.pdf", atLimit, bytes.NewReader(append(append([]byte{}, pdf...), '\n')), citizen, apperr.TooLarge, "文件不能超过"},
		{"empty", "a.pdf", 0, strings.NewReader(""), citizen, apperr.Invalid, "文件是空的"},
		{"png named .pdf", "a.pdf", 0, bytes.NewReader(filestest.PNG()), citizen, apperr.Invalid, "文件名以 .pdf 结尾，但内容其实是 PNG 图片；请把扩展名改为 .png"},
		{"ofd named .zip", "a.zip", 0, bytes.NewReader(filestest.OFD()), citizen, apperr.Invalid, "内容其实是 OFD 版式文档"},
		{"pdf without extension", "scan", 0, bytes.NewReader(pdf), citizen, apperr.Invalid, "文件名没有扩展名；该文件的内容是 PDF 文档，文件名应以 .pdf 结尾"},
		{"exe named .pdf", "a.pdf", 0, bytes.NewReader(filestest.EXE()), citizen, apperr.Invalid, "该文件的内容是 Windows 可执行程序"},
		{"text file", "notes.txt", 0, strings.NewReader("hello"), citizen, apperr.Invalid, "该文件的内容是纯文本"},
		{"path trick", "../../etc/passwd.pdf", 0, bytes.NewReader(pdf), citizen, apperr.Invalid, "文件名不能包含路径"},
		{"no name", " ", 0, bytes.NewReader(pdf), citizen, apperr.Invalid, "文件名为空"},
		{"broken upload", "a.pdf", 0, io.MultiReader(bytes.NewReader(pdf[:10]), failingReader{}), citizen, apperr.Invalid, "没有完整上传"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.MaxSize = tc.limit
			in, err := s.Receive(context.Background(), tc.actor, tc.file, tc.content)
			defer in.Close()
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %s", in.Type.MIME)
			}
			if apperr.CodeOf(err) != tc.code || !strings.Contains(apperr.Message(err), tc.says) {
				t.Fatalf("got %v; want %s saying %q", err, tc.code, tc.says)
			}
		})
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Fatalf("%d spooled uploads left behind", len(left))
	}
}

// idNumber completes 17 digits with their check character.
func idNumber(t *testing.T, first17 string) string {
	c, err := stdcode.IDCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}

func countObjects(t *testing.T, root string) int {
	n := 0
	_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func TestStore(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.Fixed(time.Date(2026, 10, 8, 9, 30, 0, 0, time.UTC))
		box, err := secret.New(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		ids := identity.NewService(d, box, clk)
		register := func(user, name, id17, phone string) *identity.Principal {
			p, err := ids.Register(ctx, identity.Registration{NewPerson: identity.NewPerson{Name: name, IDNumber: idNumber(t, id17), Phone: phone},
				Username: user, Password: "yiwang-test1"})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		alice := register("alice", "王秀英", "33012219560312002", "13800000001")
		bob := register("bob", "李建国", "33012219800101003", "13800000002")
		root := filepath.Join(t.TempDir(), "files")
		store, err := files.NewLocalDisk(root)
		if err != nil {
			t.Fatal(err)
		}
		svc := files.NewService(d, store, clk, nil)
		svc.TempDir = t.TempDir()

		pdf := filestest.PDF()
		f, err := svc.Upload(ctx, alice, `C:\扫描\王秀英 身份证.pdf`, bytes.NewReader(pdf))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pdf)
		if f.Name != "王秀英 身份证.pdf" || f.ContentType != "application/pdf" || f.Size != int64(len(pdf)) ||
			f.SHA256 != hex.EncodeToString(sum[:]) || f.OwnerAccountID != alice.AccountID || len(f.ID) != 36 {
			t.Fatalf("stored %+v", f)
		}

		// The owner reads it back, byte for byte, with the facts as stored.
		got, rc, err := svc.Open(ctx, alice, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(b, pdf) || got.Name != f.Name || got.SHA256 != f.SHA256 || !got.CreatedAt.Equal(f.CreatedAt) {
			t.Fatalf("read back %+v (%d bytes)", got, len(b))
		}
		// Anyone else: as if it did not exist.
		if _, _, err := svc.Open(ctx, bob, f.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("bob opens alice's file: %v", err)
		}
		if _, _, err := svc.Open(ctx, nil, f.ID); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("anonymous open: %v", err)
		}
		if _, _, err := svc.Open(ctx, alice, "0190a000-0000-7000-8000-000000000000"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown id: %v", err)
		}

		// The upload is in the audit trail, without the name (personal data).
		recs, err := audit.List(ctx, d, audit.Filter{ObjectType: "file", ObjectID: f.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Action != "file.upload" || recs[0].ActorID != alice.AccountID ||
			!strings.Contains(recs[0].Detail, f.SHA256) || strings.Contains(recs[0].Detail, "王秀英") {
			t.Fatalf("audit %+v", recs)
		}

		// An insert that fails leaves no object behind.
		ghost := &identity.Principal{AccountID: "no-such-account", Kind: identity.KindPerson}
		if _, err := svc.Upload(ctx, ghost, "a.png", bytes.NewReader(filestest.PNG())); err == nil {
			t.Fatal("upload for an unknown account was stored")
		}
		if n := countObjects(t, root); n != 1 {
			t.Fatalf("%d objects on disk after a failed insert, want 1", n)
		}
		var rows int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM files`).Scan(&rows); err != nil || rows != 1 {
			t.Fatalf("rows %d, %v", rows, err)
		}

		// The seam for case staff: a grant through MayRead is audited.
		svc.MayRead = func(_ context.Context, actor *identity.Principal, _ *files.File) (bool, error) {
			return actor.AccountID == bob.AccountID, nil
		}
		ctxBob := audit.WithMeta(ctx, audit.Meta{ActorID: bob.AccountID, ActorName: bob.DisplayName})
		_, rc, err = svc.Open(ctxBob, bob, f.ID)
		if err != nil {
			t.Fatalf("granted read refused: %v", err)
		}
		rc.Close()
		recs, _ = audit.List(ctx, d, audit.Filter{ObjectType: "file", ObjectID: f.ID})
		if len(recs) != 2 || recs[0].Action != "file.read" || recs[0].ActorID != bob.AccountID {
			t.Fatalf("granted read not audited: %+v", recs)
		}
		svc.MayRead = func(context.Context, *identity.Principal, *files.File) (bool, error) {
			return false, errors.New("boom")
		}
		if _, _, err := svc.Open(ctx, bob, f.ID); err == nil || apperr.CodeOf(err) != apperr.Internal {
			t.Fatalf("a failing grant check: %v", err)
		}
		if rep, err := audit.Verify(ctx, d); err != nil || !rep.OK {
			t.Fatalf("audit chain: %+v %v", rep, err)
		}

		// A row whose object is lost is an internal error, not "not found".
		_ = os.RemoveAll(root)
		if _, _, err := svc.Open(ctx, alice, f.ID); err == nil || apperr.CodeOf(err) != apperr.Internal {
			t.Fatalf("missing object: %v", err)
		}
	})
}

// Describe names files from one query and remembers them (file rows never
// change): a second call answers from memory, what the caller does to
// its answer does not change the next, an id unknown at first is found
// once it exists, and duplicates and unknown ids are harmless.
func TestDescribeRemembers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := clock.Fixed(time.Date(2026, 10, 8, 9, 30, 0, 0, time.UTC))
		store, err := files.NewLocalDisk(filepath.Join(t.TempDir(), "files"))
		if err != nil {
			t.Fatal(err)
		}
		box, err := secret.New(bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatal(err)
		}
		owner, err := identity.NewService(d, box, clk).Register(ctx, identity.Registration{
			NewPerson: identity.NewPerson{Name: "王秀英", IDNumber: idNumber(t, "33012219560312002"), Phone: "13800000001"},
			Username:  "alice", Password: "yiwang-test1"})
		if err != nil {
			t.Fatal(err)
		}
		svc := files.NewService(d, store, clk, nil)
		svc.TempDir = t.TempDir()
		a, err := svc.Upload(ctx, owner, "营业执照.pdf", bytes.NewReader(filestest.PDF()))
		if err != nil {
			t.Fatal(err)
		}
		unknown := "0190a000-0000-7000-8000-000000000000"
		got, err := svc.Describe(ctx, []string{a.ID, a.ID, unknown})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[a.ID] == nil || got[a.ID].Name != "营业执照.pdf" || got[a.ID].Size != a.Size {
			t.Fatalf("first describe: %+v", got)
		}
		got[a.ID].Name = "changed by the caller"
		// The row is gone from the database (it never is in the product):
		// the second answer can only come from memory.
		if _, err := d.ExecContext(ctx, `DELETE FROM files WHERE id = ?`, a.ID); err != nil {
			t.Fatal(err)
		}
		again, err := svc.Describe(ctx, []string{a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if again[a.ID] == nil || again[a.ID].Name != "营业执照.pdf" {
			t.Fatalf("second describe: %+v", again[a.ID])
		}
		b, err := svc.Upload(ctx, owner, "身份证.pdf", bytes.NewReader(filestest.PDF()))
		if err != nil {
			t.Fatal(err)
		}
		both, err := svc.Describe(ctx, []string{b.ID, a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(both) != 2 || both[b.ID] == nil || both[b.ID].Name != "身份证.pdf" {
			t.Fatalf("describe with a new file: %+v", both)
		}
	})
}
