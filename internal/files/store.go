package files

import (
	"context"

	"yiwang/internal/db"
)

const fileCols = `id, owner_account_id, name, content_type, size, sha256, storage_key, created_at`

func insertFile(ctx context.Context, q db.Querier, f *File) error {
	_, err := q.ExecContext(ctx, `INSERT INTO files (`+fileCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.OwnerAccountID, f.Name, f.ContentType, f.Size, f.SHA256, f.storageKey, f.CreatedAt)
	return err
}

func fileByID(ctx context.Context, q db.Querier, id string) (*File, error) {
	f := &File{}
	err := q.QueryRowContext(ctx, `SELECT `+fileCols+` FROM files WHERE id = ?`, id).
		Scan(&f.ID, &f.OwnerAccountID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.storageKey, &f.CreatedAt)
	if db.IsNoRows(err) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}
