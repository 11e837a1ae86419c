-- +goose Up
-- Electronic licences (电子证照, issue 6). Seal makers (制章者, the CA the
-- verifiers trust) and department seal keys: certificates and seals in
-- DER, private keys PKCS#8 sealed with the data key (never in clear).
CREATE TABLE seal_makers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    algorithm   TEXT NOT NULL CHECK (algorithm IN ('sm2', 'p256')),
    cert_der    BLOB NOT NULL,
    key_enc     TEXT NOT NULL,
    not_after   TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- One row per department seal (电子证照专用章); the newest active one
-- signs. Retired seals stay so that what they signed still verifies.
CREATE TABLE seal_keys (
    id            TEXT PRIMARY KEY,
    department_id TEXT NOT NULL REFERENCES departments(id),
    maker_id      TEXT NOT NULL REFERENCES seal_makers(id),
    seal_code     TEXT NOT NULL UNIQUE,
    seal_name     TEXT NOT NULL,
    algorithm     TEXT NOT NULL CHECK (algorithm IN ('sm2', 'p256')),
    cert_der      BLOB NOT NULL,
    fingerprint   TEXT NOT NULL UNIQUE,
    seal_der      BLOB NOT NULL,
    key_enc       TEXT NOT NULL,
    valid_from    TIMESTAMP NOT NULL,
    valid_to      TIMESTAMP NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX seal_keys_department ON seal_keys(department_id, active, created_at);

-- Licence types as data: the body that defined it, the fields, how long
-- it is valid, how it is printed. Items name the type (catalogue
-- result.licenceType, material.licenceType) by name.
CREATE TABLE licence_types (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    definition  TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- Issued licences. Display columns in clear (type, number, holder name,
-- masked holder id, validity, status); the full data, which holds the
-- holder's id number, sealed. data_hash is SM3 of the canonical data.
CREATE TABLE licences (
    id              TEXT PRIMARY KEY,
    identifier      TEXT NOT NULL UNIQUE,
    type_code       TEXT NOT NULL REFERENCES licence_types(code),
    type_name       TEXT NOT NULL,
    number          TEXT NOT NULL,
    holder_kind     TEXT NOT NULL CHECK (holder_kind IN ('person', 'company')),
    holder_person_id  TEXT REFERENCES people(id),
    holder_company_id TEXT REFERENCES companies(id),
    holder_name     TEXT NOT NULL,
    holder_id_type  TEXT NOT NULL,
    holder_id_masked TEXT NOT NULL,
    issuer_id       TEXT NOT NULL REFERENCES departments(id),
    issuer_name     TEXT NOT NULL,
    issuer_code     TEXT NOT NULL,
    seal_key_id     TEXT NOT NULL REFERENCES seal_keys(id),
    case_id         TEXT REFERENCES cases(id),
    case_no         TEXT NOT NULL DEFAULT '',
    item_code       TEXT NOT NULL DEFAULT '',
    issued_on       TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_to        TEXT NOT NULL DEFAULT '',
    data_enc        TEXT NOT NULL,
    data_hash       TEXT NOT NULL,
    qr_payload      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    revoked_at      TIMESTAMP,
    revoked_by      TEXT NOT NULL DEFAULT '',
    revoke_reason   TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (type_code, number)
);
CREATE INDEX licences_person ON licences(holder_person_id, created_at) WHERE holder_person_id IS NOT NULL;
CREATE INDEX licences_company ON licences(holder_company_id, created_at) WHERE holder_company_id IS NOT NULL;
CREATE INDEX licences_case ON licences(case_id) WHERE case_id IS NOT NULL;
CREATE INDEX licences_issuer ON licences(issuer_id, created_at);

-- The sealed PDF of the licence, newest rendering (re-made on 加注);
-- pdf_enc is the whole signed file, sealed (it shows the full id number).
CREATE TABLE licence_documents (
    licence_id  TEXT PRIMARY KEY REFERENCES licences(id),
    pdf_enc     TEXT NOT NULL,
    pdf_sm3     TEXT NOT NULL,
    made_at     TIMESTAMP NOT NULL
);

-- 加注: notes added to a licence after issue, by a department, with reason.
CREATE TABLE licence_annotations (
    id          TEXT PRIMARY KEY,
    licence_id  TEXT NOT NULL REFERENCES licences(id),
    text        TEXT NOT NULL,
    by_account  TEXT NOT NULL,
    by_name     TEXT NOT NULL,
    by_org      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX licence_annotations_licence ON licence_annotations(licence_id, created_at);

-- Serials per type, issuer and year (证照编号 and the identifier's 流水号).
CREATE TABLE licence_counters (
    type_code   TEXT NOT NULL,
    issuer_id   TEXT NOT NULL,
    year        INTEGER NOT NULL,
    last        INTEGER NOT NULL,
    PRIMARY KEY (type_code, issuer_id, year)
);

-- 用证记录: every use of a licence instead of paper (免提交), with the
-- holder's consent and the stated cause (用证事由).
CREATE TABLE licence_uses (
    id          TEXT PRIMARY KEY,
    licence_id  TEXT NOT NULL REFERENCES licences(id),
    case_id     TEXT NOT NULL REFERENCES cases(id),
    case_no     TEXT NOT NULL DEFAULT '',
    material_id TEXT NOT NULL,
    material_name TEXT NOT NULL,
    cause       TEXT NOT NULL,
    user_org    TEXT NOT NULL,
    used_by     TEXT NOT NULL,
    used_by_name TEXT NOT NULL,
    consent     TEXT NOT NULL,
    used_at     TIMESTAMP NOT NULL,
    UNIQUE (case_id, material_id, licence_id)
);
CREATE INDEX licence_uses_licence ON licence_uses(licence_id, used_at);
CREATE INDEX licence_uses_case ON licence_uses(case_id);

-- +goose Down
DROP TABLE licence_uses;
DROP TABLE licence_counters;
DROP TABLE licence_annotations;
DROP TABLE licence_documents;
DROP TABLE licences;
DROP TABLE licence_types;
DROP TABLE seal_keys;
DROP TABLE seal_makers;
