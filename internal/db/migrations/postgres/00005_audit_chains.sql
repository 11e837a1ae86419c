-- +goose Up
-- The audit trail becomes sixteen hash chains instead of one. With a single
-- head row every writing transaction of the platform queued on one lock
-- (on PostgreSQL about a thousand commits a second on this hardware); with
-- sixteen, transactions on different objects append in parallel. Each entry
-- keeps the hash of the previous entry of its chain; link numbers each
-- chain's entries 1, 2, 3… so a deleted entry shows as a gap. seq stays the
-- global order of writing (for listing), now from a sequence, which takes
-- no lock (a rolled-back transaction leaves a gap in seq, never in a chain).
-- Existing entries form chain 0 with link = seq, and hash exactly as before.
ALTER TABLE audit_log ADD COLUMN chain SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN link BIGINT NOT NULL DEFAULT 0;
UPDATE audit_log SET link = seq;
CREATE UNIQUE INDEX audit_log_chain_link ON audit_log(chain, link);
CREATE SEQUENCE audit_seq;
SELECT setval('audit_seq', COALESCE((SELECT max(seq) FROM audit_log), 0) + 1, false);
ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_seq');
ALTER SEQUENCE audit_seq OWNED BY audit_log.seq;

CREATE TABLE audit_chains (
    chain SMALLINT PRIMARY KEY CHECK (chain BETWEEN 0 AND 15),
    link  BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_chains (chain, link, hash) SELECT 0, seq, hash FROM audit_head WHERE id = 1;
INSERT INTO audit_chains (chain, link, hash) SELECT g, 0, '' FROM generate_series(1, 15) AS g;
DROP TABLE audit_head;

-- +goose Down
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) SELECT 1, link, hash FROM audit_chains WHERE chain = 0;
DROP TABLE audit_chains;
ALTER TABLE audit_log ALTER COLUMN seq DROP DEFAULT;
DROP SEQUENCE audit_seq;
DROP INDEX audit_log_chain_link;
ALTER TABLE audit_log DROP COLUMN link;
ALTER TABLE audit_log DROP COLUMN chain;
