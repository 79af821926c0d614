-- Disputes (售后): tickets on users' bills, their timelines, and the
-- images on them. A bill has at most one open ticket at a time. due_at is
-- the deadline of whoever the ticket waits for (0 once decided or
-- withdrawn); version counts the ticket's writes (each names the one it
-- read). Flags are 0 or 1.

-- +goose Up
CREATE TABLE disputes (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    transfer_id      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    merchant_id      TEXT NOT NULL DEFAULT '',
    order_id         TEXT NOT NULL DEFAULT '',
    payee_id         TEXT NOT NULL DEFAULT '',
    amount           BIGINT NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    reason           TEXT NOT NULL,
    description      TEXT NOT NULL,
    status           TEXT NOT NULL,
    due_at           BIGINT NOT NULL DEFAULT 0,
    overdue          BIGINT NOT NULL DEFAULT 0,
    merchant_overdue BIGINT NOT NULL DEFAULT 0,
    reminded         BIGINT NOT NULL DEFAULT 0,
    decision         TEXT NOT NULL DEFAULT '',
    decision_note    TEXT NOT NULL DEFAULT '',
    paid             BIGINT NOT NULL DEFAULT 0 CHECK (paid >= 0),
    refund_attempt   BIGINT NOT NULL DEFAULT 0,
    claim_id         TEXT NOT NULL DEFAULT '',
    decided_by       TEXT NOT NULL DEFAULT '',
    attachments      BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    decided_at       BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL
);
CREATE UNIQUE INDEX disputes_open_bill ON disputes (transfer_id) WHERE status IN ('awaiting_merchant', 'awaiting_operator');
CREATE INDEX disputes_user ON disputes (user_id, created_at);
CREATE INDEX disputes_merchant ON disputes (merchant_id, created_at) WHERE merchant_id <> '';
CREATE INDEX disputes_due ON disputes (status, due_at);

CREATE TABLE dispute_entries (
    id         TEXT PRIMARY KEY,
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    author     TEXT NOT NULL,
    author_id  TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dispute_entries_dispute ON dispute_entries (dispute_id, created_at);

CREATE TABLE dispute_attachments (
    id           TEXT PRIMARY KEY,
    dispute_id   TEXT NOT NULL REFERENCES disputes (id),
    entry_id     TEXT NOT NULL REFERENCES dispute_entries (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    size         BIGINT NOT NULL,
    data         BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX dispute_attachments_dispute ON dispute_attachments (dispute_id);

-- +goose Down
DROP TABLE dispute_attachments;
DROP TABLE dispute_entries;
DROP TABLE disputes;
