-- +goose Up
-- E-mail for notices, sealed and masked like the phone number. No lookup
-- hash: nobody is found by e-mail.
ALTER TABLE people ADD COLUMN email_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN email_masked TEXT NOT NULL DEFAULT '';

-- In-app notices (站内消息): one per outbox event and account, so an event
-- handled twice never shows twice. created_at is when the event happened.
CREATE TABLE notices (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    event_id   TEXT NOT NULL,
    case_id    TEXT NOT NULL REFERENCES cases(id),
    case_no    TEXT NOT NULL DEFAULT '',
    topic      TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP,
    UNIQUE (event_id, account_id)
);
CREATE INDEX notices_account ON notices(account_id, created_at, id);
CREATE INDEX notices_unread ON notices(account_id) WHERE read_at IS NULL;

-- SMS and e-mail: one row per event, channel and person, so retries and
-- concurrent workers can never make a second message. The text is fixed
-- when the row is made; the address is read (and audited) at each attempt.
-- next_try_at is when the row is due: for pending rows after the backoff,
-- for sending rows when the lease runs out (lease_until).
CREATE TABLE notice_deliveries (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    person_id   TEXT NOT NULL REFERENCES people(id),
    case_id     TEXT NOT NULL REFERENCES cases(id),
    case_no     TEXT NOT NULL DEFAULT '',
    topic       TEXT NOT NULL,
    idem_key    TEXT NOT NULL UNIQUE,
    to_masked   TEXT NOT NULL,
    to_name     TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_until TIMESTAMP,
    next_try_at TIMESTAMP NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP,
    UNIQUE (event_id, channel, person_id)
);
CREATE INDEX notice_deliveries_due ON notice_deliveries(next_try_at) WHERE state IN ('pending', 'sending');
CREATE INDEX notice_deliveries_person ON notice_deliveries(person_id, created_at);

-- +goose Down
DROP TABLE notice_deliveries;
DROP TABLE notices;
ALTER TABLE people DROP COLUMN email_masked;
ALTER TABLE people DROP COLUMN email_enc;
