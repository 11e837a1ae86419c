package files_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yiwang/internal/files"
)

func TestLocalDisk(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "files")
	d, err := files.NewLocalDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	key := "3f/a2/3fa2000000000000000000000000beef"
	if err := d.Put(ctx, key, strings.NewReader("材料内容")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "3f", "a2", "3fa2000000000000000000000000beef")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("object mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Dir(p)); st.Mode().Perm() != 0o700 {
		t.Errorf("shard directory mode %v, want 0700", st.Mode().Perm())
	}
	rc, err := d.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "材料内容" {
		t.Fatalf("read back %q", b)
	}

	// A writer that fails half-way leaves neither the object nor a temp file.
	key2 := "3f/a2/3fa2000000000000000000000000cafe"
	if err := d.Put(ctx, key2, io.MultiReader(strings.NewReader("half"), failingReader{})); err == nil {
		t.Fatal("a failed write was reported as stored")
	}
	if _, err := d.Open(ctx, key2); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("partial object visible: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("shard holds %d entries, want only the first object", len(entries))
	}

	if err := d.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, key); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if _, err := d.Open(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("deleted object opens: %v", err)
	}

	// Keys of any other shape are refused before touching the disk.
	for _, bad := range []string{"", "../../etc/passwd", "3f/a2/../../../../etc/passwd", "/etc/passwd",
		"3f/a2/3fa2000000000000000000000000beeF", "ab/cd/3fa2000000000000000000000000beef", "3f/a2/3fa2000000000000000000000000bee", `3f\a2\3fa2000000000000000000000000beef`} {
		if err := d.Put(ctx, bad, strings.NewReader("x")); err == nil {
			t.Errorf("Put accepted key %q", bad)
		}
		if _, err := d.Open(ctx, bad); err == nil {
			t.Errorf("Open accepted key %q", bad)
		}
		if err := d.Delete(ctx, bad); err == nil {
			t.Errorf("Delete accepted key %q", bad)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
