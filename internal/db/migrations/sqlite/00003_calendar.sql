-- +goose Up
-- Working-day calendar (工作日). A working day is a per-date table, never a
-- weekday rule: a year listed in calendar_years has an official arrangement
-- (the State Council notice), and its effective table is Monday–Friday
-- overridden by every calendar_days row of that year. Only the exceptions
-- are stored: holidays (on weekdays, and on weekends for their names) and
-- weekends that are working days (调休上班). Years without a row fall back
-- to Monday–Friday and every deadline in them is provisional.
CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY CHECK (year BETWEEN 1949 AND 2200),
    source     TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

-- day is YYYY-MM-DD, so the primary key also serves the range scans of one
-- year (day >= '2026-01-01' AND day < '2027-01-01').
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY CHECK (length(day) = 10),
    is_workday BOOLEAN NOT NULL,
    name       TEXT NOT NULL
);

-- Bumped by every change, so other processes reload their cached table.
CREATE TABLE calendar_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO calendar_revision (id, revision) VALUES (1, 0);

-- +goose Down
DROP TABLE calendar_revision;
DROP TABLE calendar_days;
DROP TABLE calendar_years;
