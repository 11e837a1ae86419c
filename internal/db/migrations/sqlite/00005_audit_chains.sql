-- +goose Up
-- The audit trail becomes sixteen hash chains instead of one. With a single
-- head row every writing transaction of the platform queued on one lock
-- (on PostgreSQL about a thousand commits a second on this hardware); with
-- sixteen, transactions on different objects append in parallel. Each entry
-- keeps the hash of the previous entry of its chain; link numbers each
-- chain's entries 1, 2, 3… so a deleted entry shows as a gap. seq stays the
-- global order of writing (for listing), assigned by the database.
-- Existing entries form chain 0 with link = seq, and hash exactly as before.
ALTER TABLE audit_log ADD COLUMN chain INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN link INTEGER NOT NULL DEFAULT 0;
UPDATE audit_log SET link = seq;
CREATE UNIQUE INDEX audit_log_chain_link ON audit_log(chain, link);

CREATE TABLE audit_chains (
    chain INTEGER PRIMARY KEY CHECK (chain BETWEEN 0 AND 15),
    link  INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_chains (chain, link, hash) SELECT 0, seq, hash FROM audit_head WHERE id = 1;
INSERT INTO audit_chains (chain, link, hash) VALUES
    (1, 0, ''), (2, 0, ''), (3, 0, ''), (4, 0, ''), (5, 0, ''), (6, 0, ''), (7, 0, ''), (8, 0, ''),
    (9, 0, ''), (10, 0, ''), (11, 0, ''), (12, 0, ''), (13, 0, ''), (14, 0, ''), (15, 0, '');
DROP TABLE audit_head;

-- +goose Down
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) SELECT 1, link, hash FROM audit_chains WHERE chain = 0;
DROP TABLE audit_chains;
DROP INDEX audit_log_chain_link;
ALTER TABLE audit_log DROP COLUMN link;
ALTER TABLE audit_log DROP COLUMN chain;
