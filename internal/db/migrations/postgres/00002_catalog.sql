-- +goose Up
-- Service catalogue (事项库). An item is one 业务办理项; its versions hold the
-- full service guide as JSON. A case binds to (item_id, version), so
-- publishing a new version never changes what an earlier applicant saw.
CREATE TABLE catalog_forms (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE catalog_items (
    id                TEXT PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE CHECK (length(code) = 33),
    impl_code         TEXT NOT NULL,
    base_code         TEXT NOT NULL,
    department_id     TEXT NOT NULL REFERENCES departments(id),
    published_version INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX catalog_items_department ON catalog_items(department_id);
CREATE INDEX catalog_items_impl_code ON catalog_items(impl_code);
CREATE INDEX catalog_items_base_code ON catalog_items(base_code);

CREATE TABLE catalog_versions (
    item_id        TEXT NOT NULL REFERENCES catalog_items(id),
    version        INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('published', 'superseded')),
    name           TEXT NOT NULL,
    data           TEXT NOT NULL,
    form_data      TEXT NOT NULL DEFAULT '',
    effective_from TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT NOT NULL DEFAULT '',
    published_at   TIMESTAMPTZ,
    published_by   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (item_id, version)
);
CREATE INDEX catalog_versions_status ON catalog_versions(status, item_id);

-- Drafts being edited in the browser: at most one per item; a new item's
-- draft has no item yet. Publishing validates the draft, writes a version
-- and deletes the draft.
CREATE TABLE catalog_drafts (
    id            TEXT PRIMARY KEY,
    item_id       TEXT REFERENCES catalog_items(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    name          TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL
);
CREATE UNIQUE INDEX catalog_drafts_item ON catalog_drafts(item_id);
CREATE INDEX catalog_drafts_department ON catalog_drafts(department_id, updated_at);

-- Bumped by every change that readers cache (publish, import, form edit).
CREATE TABLE catalog_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalog_revision (id, revision) VALUES (1, 0);

-- +goose Down
DROP TABLE catalog_revision;
DROP TABLE catalog_drafts;
DROP TABLE catalog_versions;
DROP TABLE catalog_items;
DROP TABLE catalog_forms;
