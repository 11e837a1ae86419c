-- +goose Up
-- Workflows (办理流程) as data. data is the whole definition (JSON) of the
-- current revision; every revision ever saved stays in workflow_revisions,
-- and a case names the revision it was submitted under.
CREATE TABLE workflows (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    data       TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE workflow_revisions (
    workflow_id TEXT NOT NULL REFERENCES workflows(id),
    revision    INTEGER NOT NULL,
    data        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (workflow_id, revision)
);

-- Cases (办件). case_no is given at submission (drafts have none). form_enc
-- holds the form values sealed like other personal data; the query
-- password (for lookups by phone or kiosk) is sealed too. Due instants are
-- the first moment a case is late: for limits in days, the start of the
-- day after the due date in Beijing time.
CREATE TABLE cases (
    id                   TEXT PRIMARY KEY,
    case_no              TEXT UNIQUE,
    item_id              TEXT NOT NULL REFERENCES catalog_items(id),
    item_code            TEXT NOT NULL,
    item_version         INTEGER NOT NULL,
    item_name            TEXT NOT NULL,
    department_id        TEXT NOT NULL REFERENCES departments(id),
    region_code          TEXT NOT NULL,
    item_type            TEXT NOT NULL DEFAULT '',
    workflow_id          TEXT NOT NULL,
    workflow_rev         INTEGER NOT NULL DEFAULT 0,
    status               TEXT NOT NULL,
    result               TEXT NOT NULL DEFAULT '',
    result_code          TEXT NOT NULL DEFAULT '',
    channel              TEXT NOT NULL,
    applicant_kind       TEXT NOT NULL CHECK (applicant_kind IN ('person', 'company')),
    applicant_person_id  TEXT REFERENCES people(id),
    applicant_company_id TEXT REFERENCES companies(id),
    applicant_name       TEXT NOT NULL,
    applicant_id_masked  TEXT NOT NULL DEFAULT '',
    agent_person_id      TEXT REFERENCES people(id),
    agent_name           TEXT NOT NULL DEFAULT '',
    created_by           TEXT NOT NULL REFERENCES accounts(id),
    situation            TEXT NOT NULL DEFAULT '{}',
    form_enc             TEXT NOT NULL DEFAULT '',
    query_password_enc   TEXT NOT NULL DEFAULT '',
    promised_amount      INTEGER NOT NULL DEFAULT 0,
    promised_unit        TEXT NOT NULL DEFAULT '1',
    legal_amount         INTEGER NOT NULL DEFAULT 0,
    legal_unit           TEXT NOT NULL DEFAULT '1',
    submitted_at         TIMESTAMPTZ,
    accepted_at          TIMESTAMPTZ,
    decided_at           TIMESTAMPTZ,
    finished_at          TIMESTAMPTZ,
    promised_due_at      TIMESTAMPTZ,
    legal_due_at         TIMESTAMPTZ,
    due_provisional      BOOLEAN NOT NULL DEFAULT FALSE,
    revision             INTEGER NOT NULL DEFAULT 0,
    listed_at            TIMESTAMPTZ NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    CHECK ((applicant_kind = 'person' AND applicant_person_id IS NOT NULL)
        OR (applicant_kind = 'company' AND applicant_company_id IS NOT NULL))
);
-- The lists a page asks for, newest first by listed_at (the moment of
-- submission; of creation for drafts): an applicant's own cases, a
-- department's, a region's (window clerks, supervisors), by status and
-- item; and open cases by due date (overdue).
CREATE INDEX cases_person ON cases(applicant_person_id, listed_at);
CREATE INDEX cases_company ON cases(applicant_company_id, listed_at);
CREATE INDEX cases_department ON cases(department_id, listed_at);
CREATE INDEX cases_department_status ON cases(department_id, status, listed_at);
CREATE INDEX cases_region ON cases(region_code, listed_at);
CREATE INDEX cases_status ON cases(status, listed_at);
CREATE INDEX cases_listed ON cases(listed_at);
CREATE INDEX cases_item ON cases(item_id, listed_at);
CREATE INDEX cases_due ON cases(promised_due_at) WHERE decided_at IS NULL AND promised_due_at IS NOT NULL;

-- Materials submitted with a case: files (uploads).
CREATE TABLE case_materials (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    material_id TEXT NOT NULL,
    file_id     TEXT NOT NULL REFERENCES files(id),
    added_at    TIMESTAMPTZ NOT NULL,
    added_by    TEXT NOT NULL,
    PRIMARY KEY (case_id, material_id, file_id)
);
CREATE INDEX case_materials_file ON case_materials(file_id);

-- Tasks: a case waiting in a step. queue is who may take it: 'dept:<id>'
-- or 'window:<region code>'. Parallel branches share a fork id.
CREATE TABLE case_tasks (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases(id),
    step_id    TEXT NOT NULL,
    step_name  TEXT NOT NULL,
    queue      TEXT NOT NULL,
    roles      TEXT NOT NULL,
    fork_id    TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    created_at TIMESTAMPTZ NOT NULL,
    due_at     TIMESTAMPTZ,
    done_at    TIMESTAMPTZ,
    done_by    TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_tasks_case ON case_tasks(case_id, created_at);
-- An inbox is answered from this index alone: the open tasks of a queue
-- by due date, with what the page shows and filters on.
CREATE INDEX case_tasks_open ON case_tasks(queue, due_at, created_at, roles, step_id, step_name, case_id, id) WHERE status = 'open';

-- The timeline of a case: every step it took, shown to the applicant.
CREATE TABLE case_events (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    at          TIMESTAMPTZ NOT NULL,
    actor_id    TEXT NOT NULL DEFAULT '',
    actor_name  TEXT NOT NULL DEFAULT '',
    actor_org   TEXT NOT NULL DEFAULT '',
    step_id     TEXT NOT NULL DEFAULT '',
    step_name   TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    action_name TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events(case_id, at, id);

-- Retried submissions (Idempotency-Key) return the case first made.
CREATE TABLE case_idempotency (
    account_id  TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);

-- Case numbers: region (6) + date (8) + sequence; each process reserves
-- blocks of numbers so submissions do not queue on one counter row.
CREATE TABLE case_counters (
    prefix TEXT PRIMARY KEY,
    last   BIGINT NOT NULL
);

-- Outbox: events written in the same transaction as the change, for
-- notices and department systems; delivered by a worker.
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    topic        TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    attempts     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox(created_at) WHERE delivered_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE case_counters;
DROP TABLE case_idempotency;
DROP TABLE case_events;
DROP TABLE case_tasks;
DROP TABLE case_materials;
DROP TABLE cases;
DROP TABLE workflow_revisions;
DROP TABLE workflows;
