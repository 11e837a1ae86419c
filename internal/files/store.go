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

func filesByID(ctx context.Context, q db.Querier, ids []string) (map[string]*File, error) {
	out := map[string]*File{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT `+fileCols+` FROM files WHERE id IN (`+db.Placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		f := &File{}
		if err := rows.Scan(&f.ID, &f.OwnerAccountID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.storageKey, &f.CreatedAt); err != nil {
			return nil, err
		}
		out[f.ID] = f
	}
	return out, rows.Err()
}
