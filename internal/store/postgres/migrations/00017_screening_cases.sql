-- Sanctions and PEP screening lists (loaded with slt screening load) and
-- the compliance review queue: cases from screening hits, AML alerts and
-- risk holds, each decided by an operator; the AML monitor's cursor.

-- +goose Up
CREATE TABLE screening_lists (
    source    TEXT PRIMARY KEY,
    entries   BIGINT NOT NULL,
    sha256    TEXT NOT NULL,
    loaded_at BIGINT NOT NULL
);
CREATE TABLE screening_entries (
    source   TEXT NOT NULL,
    ref      TEXT NOT NULL,
    kind     TEXT NOT NULL,
    names    TEXT NOT NULL, -- JSON array, the primary name first
    programs TEXT NOT NULL,
    remarks  TEXT NOT NULL,
    PRIMARY KEY (source, ref)
);
CREATE TABLE cases (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,        -- screening, aml, risk
    dedupe       TEXT NOT NULL UNIQUE, -- one case per subject and reason
    subject_kind TEXT NOT NULL,        -- user, merchant
    subject_id   TEXT NOT NULL,
    subject_name TEXT NOT NULL,
    score        BIGINT NOT NULL,          -- 0..1000
    summary      TEXT NOT NULL,
    evidence     TEXT NOT NULL,        -- JSON
    status       TEXT NOT NULL,        -- open, cleared, confirmed
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT NOT NULL,
    decided_by   TEXT NOT NULL,
    note         TEXT NOT NULL
);
CREATE INDEX cases_by_status ON cases (status, created_at);
CREATE INDEX cases_by_subject ON cases (subject_kind, subject_id);
-- How far background monitors (AML) have read the ledger.
CREATE TABLE monitor_cursors (
    name TEXT PRIMARY KEY,
    ts   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE monitor_cursors;
DROP TABLE cases;
DROP TABLE screening_entries;
DROP TABLE screening_lists;
