-- +goose Up
-- The exceptions of a case (issue 5): 补正, 容缺受理, 告知承诺制, special
-- procedures, extensions, withdrawal and 作废, and how the result reaches
-- the applicant.
--
-- mode: '' (ordinary) or 'pledge' (告知承诺制). delivery_method: window,
-- post or online; delivery_enc the sealed address for post (recipient,
-- phone, address) and delivery_masked what screens show. While a case
-- waits for a supplement or a special procedure its clocks stop: paused_at
-- says since when, pause_kind why, resume_status what it returns to.
-- deferred_open counts 容缺 materials still missing.
ALTER TABLE cases ADD COLUMN mode TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN delivery_method TEXT NOT NULL DEFAULT 'window';
ALTER TABLE cases ADD COLUMN delivery_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN delivery_masked TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN paused_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN pause_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN resume_status TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN supplement_due_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN deferred_open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extended_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN revoked_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
-- extras says which of the tables below hold rows for the case (1
-- procedures, 2 容缺 materials and their pledge, 4 a 告知承诺 pledge), so a
-- case page reads only those that do.
ALTER TABLE cases ADD COLUMN extras INTEGER NOT NULL DEFAULT 0;
-- The sweeper's questions: which supplements ran out.
CREATE INDEX cases_supplement_due ON cases(supplement_due_at) WHERE status = 'supplement';

-- Procedures: a 补正 request (data: the materials asked for, with the
-- reason for each), a special procedure (name, expected days), an
-- extension request (days), a delivery (data: collector or post details,
-- sealed). excluded_days: working days that did not count.
CREATE TABLE case_procedures (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases(id),
    kind          TEXT NOT NULL CHECK (kind IN ('supplement', 'special', 'extension', 'delivery')),
    name          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('open', 'done', 'approved', 'rejected', 'lapsed', 'cancelled')),
    reason        TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL DEFAULT '{}',
    step_id       TEXT NOT NULL DEFAULT '',
    days          INTEGER NOT NULL DEFAULT 0,
    due_at        TIMESTAMPTZ,
    started_at    TIMESTAMPTZ NOT NULL,
    started_by    TEXT NOT NULL,
    started_name  TEXT NOT NULL DEFAULT '',
    ended_at      TIMESTAMPTZ,
    ended_by      TEXT NOT NULL DEFAULT '',
    ended_name    TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT '',
    excluded_days INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX case_procedures_case ON case_procedures(case_id, started_at, id);
-- Open extension requests of a department wait for its head.
CREATE INDEX case_procedures_open ON case_procedures(kind, started_at) WHERE status = 'open';

-- 容缺 materials: accepted without them on a pledge to bring each by due_at.
CREATE TABLE case_deferred (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    material_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    due_date    TEXT NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    arrived_at  TIMESTAMPTZ,
    reminded_at TIMESTAMPTZ,
    PRIMARY KEY (case_id, material_id)
);
CREATE INDEX case_deferred_due ON case_deferred(due_at) WHERE arrived_at IS NULL;

-- Pledges (承诺书): for 容缺 (the missing materials and dates) and for
-- 告知承诺制 (the conditions). digest is the SHA-256 of the text signed;
-- how: online (e-signed by the applicant's logged-in account) or paper
-- (signed at the window, recorded by the clerk). A failed post-check
-- breaks the pledge: the applicant's record (credit) reads broken_at.
CREATE TABLE case_pledges (
    id                   TEXT PRIMARY KEY,
    case_id              TEXT NOT NULL REFERENCES cases(id),
    kind                 TEXT NOT NULL CHECK (kind IN ('tolerance', 'pledge')),
    text                 TEXT NOT NULL,
    digest               TEXT NOT NULL,
    how                  TEXT NOT NULL CHECK (how IN ('online', 'paper')),
    signed_at            TIMESTAMPTZ NOT NULL,
    signed_by            TEXT NOT NULL,
    signer_name          TEXT NOT NULL,
    applicant_person_id  TEXT REFERENCES people(id),
    applicant_company_id TEXT REFERENCES companies(id),
    broken_at            TIMESTAMPTZ,
    broken_reason        TEXT NOT NULL DEFAULT '',
    UNIQUE (case_id, kind)
);
CREATE INDEX case_pledges_person_broken ON case_pledges(applicant_person_id, broken_at) WHERE broken_at IS NOT NULL;
CREATE INDEX case_pledges_company_broken ON case_pledges(applicant_company_id, broken_at) WHERE broken_at IS NOT NULL;

-- +goose Down
DROP TABLE case_pledges;
DROP TABLE case_deferred;
DROP TABLE case_procedures;
DROP INDEX cases_supplement_due;
ALTER TABLE cases DROP COLUMN extras;
ALTER TABLE cases DROP COLUMN revoke_reason;
ALTER TABLE cases DROP COLUMN revoked_at;
ALTER TABLE cases DROP COLUMN extended_days;
ALTER TABLE cases DROP COLUMN deferred_open;
ALTER TABLE cases DROP COLUMN supplement_due_at;
ALTER TABLE cases DROP COLUMN resume_status;
ALTER TABLE cases DROP COLUMN pause_kind;
ALTER TABLE cases DROP COLUMN paused_at;
ALTER TABLE cases DROP COLUMN delivery_masked;
ALTER TABLE cases DROP COLUMN delivery_enc;
ALTER TABLE cases DROP COLUMN delivery_method;
ALTER TABLE cases DROP COLUMN mode;
