-- +goose Up
-- Regions (行政区划): 12-digit statistical division codes, province → village.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY CHECK (length(code) = 12),
    name        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    parent_code TEXT REFERENCES regions(code)
);
CREATE INDEX regions_parent ON regions(parent_code, code);

CREATE TABLE departments (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    short_name  TEXT NOT NULL,
    credit_code TEXT NOT NULL UNIQUE CHECK (length(credit_code) = 18),
    region_code TEXT NOT NULL REFERENCES regions(code),
    phone       TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX departments_region ON departments(region_code, code);

CREATE TABLE service_centres (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    region_code TEXT NOT NULL REFERENCES regions(code),
    address     TEXT NOT NULL,
    hours       TEXT NOT NULL,
    phone       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_centres_region ON service_centres(region_code);

CREATE TABLE service_windows (
    id            TEXT PRIMARY KEY,
    centre_id     TEXT NOT NULL REFERENCES service_centres(id),
    number        TEXT NOT NULL,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('comprehensive', 'department', 'help')),
    department_id TEXT REFERENCES departments(id),
    UNIQUE (centre_id, number)
);
CREATE INDEX service_windows_department ON service_windows(department_id);

-- People: personal data encrypted at rest (AES-GCM), searchable through a
-- keyed hash, shown masked.
CREATE TABLE people (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    id_number_enc    TEXT NOT NULL,
    id_number_hash   TEXT NOT NULL UNIQUE,
    id_number_masked TEXT NOT NULL,
    phone_enc        TEXT NOT NULL DEFAULT '',
    phone_hash       TEXT NOT NULL DEFAULT '',
    phone_masked     TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_phone_hash ON people(phone_hash);

CREATE TABLE companies (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    credit_code    TEXT NOT NULL UNIQUE CHECK (length(credit_code) = 18),
    legal_rep_name TEXT NOT NULL,
    region_code    TEXT NOT NULL REFERENCES regions(code),
    address        TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE company_agents (
    company_id TEXT NOT NULL REFERENCES companies(id),
    person_id  TEXT NOT NULL REFERENCES people(id),
    role       TEXT NOT NULL CHECK (role IN ('legal_rep', 'agent')),
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to   TIMESTAMPTZ,
    PRIMARY KEY (company_id, person_id)
);
CREATE INDEX company_agents_person ON company_agents(person_id);

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('person', 'company', 'staff')),
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    person_id     TEXT REFERENCES people(id),
    company_id    TEXT REFERENCES companies(id),
    department_id TEXT REFERENCES departments(id),
    elder_mode    BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    CHECK ((kind = 'person' AND person_id IS NOT NULL)
        OR (kind = 'company' AND company_id IS NOT NULL AND person_id IS NOT NULL)
        OR (kind = 'staff' AND department_id IS NOT NULL))
);
CREATE INDEX accounts_person ON accounts(person_id);
CREATE INDEX accounts_company ON accounts(company_id);
CREATE INDEX accounts_department ON accounts(department_id);

CREATE TABLE staff_roles (
    account_id TEXT NOT NULL REFERENCES accounts(id),
    role       TEXT NOT NULL,
    PRIMARY KEY (account_id, role)
);

-- Data scope: the regions (with everything under them) and departments
-- whose cases a staff member may see.
CREATE TABLE staff_scopes (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    region_code   TEXT REFERENCES regions(code),
    department_id TEXT REFERENCES departments(id),
    CHECK (region_code IS NOT NULL OR department_id IS NOT NULL)
);
CREATE INDEX staff_scopes_account ON staff_scopes(account_id);

-- Sessions: only a SHA-256 of the token is stored, so a leaked table
-- cannot be replayed.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    kind         TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

-- Audit trail (全过程留痕): append-only, hash-chained. audit_head holds the
-- last link so appends serialise on one row.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    TEXT NOT NULL DEFAULT '',
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_ref  TEXT NOT NULL DEFAULT '',
    after_ref   TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id, seq);
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE staff_scopes;
DROP TABLE staff_roles;
DROP TABLE accounts;
DROP TABLE company_agents;
DROP TABLE companies;
DROP TABLE people;
DROP TABLE service_windows;
DROP TABLE service_centres;
DROP TABLE departments;
DROP TABLE regions;
