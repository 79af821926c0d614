-- The audit trail: operators' and security actions, append-only and
-- hash-chained (each entry's hash covers the one before it), so that a
-- change to any stored entry, or one taken out, breaks the chain.

-- +goose Up
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    ip        TEXT    NOT NULL,
    client    TEXT    NOT NULL,
    details   TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

-- +goose Down
DROP TABLE audit_log;
