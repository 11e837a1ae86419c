package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ObjectStore keeps file contents by key. It is the seam to object storage
// (local disk by default; an S3-compatible store later): the service only
// ever puts, opens and deletes whole objects under keys it generated.
type ObjectStore interface {
	// Put stores everything r yields under key, atomically: a reader never
	// sees a partial object.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open returns the object; a missing one is an error wrapping
	// fs.ErrNotExist.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object; deleting a missing one is not an error.
	Delete(ctx context.Context, key string) error
}

// newStorageKey returns a fresh random key "ab/cd/abcd…" (128 bits). Two
// levels of 256 directories keep any one directory small; the key owes
// nothing to the uploaded name, so no name can steer where bytes land.
func newStorageKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:2] + "/" + h[2:4] + "/" + h
}

// validKey accepts exactly the shape newStorageKey makes, so even a key
// from a tampered database row cannot name a path outside the root.
func validKey(key string) bool {
	if len(key) != 2+1+2+1+32 || key[2] != '/' || key[5] != '/' || key[0:2] != key[6:8] || key[3:5] != key[8:10] {
		return false
	}
	for _, c := range key[0:2] + key[3:5] + key[6:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// LocalDisk is an ObjectStore in a directory: objects are 0600 files in
// sharded 0700 directories under Root.
type LocalDisk struct {
	Root string
}

// NewLocalDisk creates root (0700) when missing and returns a store in it.
func NewLocalDisk(root string) (*LocalDisk, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("file store %s: %w", root, err)
	}
	return &LocalDisk{Root: root}, nil
}

func (d *LocalDisk) path(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("file store: malformed key %q", key)
	}
	return filepath.Join(d.Root, filepath.FromSlash(key)), nil
}

// Put writes to a temporary file in the target directory, syncs it and
// renames it into place, so a crash leaves either the whole object or none
// (at worst a stray .tmp-* file, never a truncated object).
func (d *LocalDisk) Put(ctx context.Context, key string, r io.Reader) (err error) {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*") // created 0600
	if err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	if _, err := io.Copy(tmp, r); err != nil {
		return fmt.Errorf("file store: write: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("file store: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("file store: %w", err)
	}
	// Make the rename itself durable. Not every platform can sync a
	// directory; the object is already complete either way.
	if df, err := os.Open(dir); err == nil {
		_ = df.Sync()
		df.Close()
	}
	return nil
}

func (d *LocalDisk) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("file store: %w", err)
	}
	return f, nil
}

func (d *LocalDisk) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("file store: %w", err)
	}
	return nil
}
