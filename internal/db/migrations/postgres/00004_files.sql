-- +goose Up
-- Uploaded files (case materials). The bytes live in the object store under
-- storage_key, which the server generates and never derives from the
-- uploaded name; name is the cleaned display name. content_type is what the
-- content was detected to be, not what the client claimed.
CREATE TABLE files (
    id               TEXT PRIMARY KEY,
    owner_account_id TEXT NOT NULL REFERENCES accounts(id),
    name             TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    size             BIGINT NOT NULL CHECK (size > 0),
    sha256           TEXT NOT NULL CHECK (length(sha256) = 64),
    storage_key      TEXT NOT NULL UNIQUE,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX files_owner ON files(owner_account_id, created_at);

-- +goose Down
DROP TABLE files;
