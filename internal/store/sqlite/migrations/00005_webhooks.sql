-- Webhooks: where each merchant wants its events, and the transactional
-- outbox of events, written in the same transaction as the state change
-- they tell of, delivered with back-off.

-- +goose Up
CREATE TABLE merchant_webhooks (
    merchant_id TEXT PRIMARY KEY REFERENCES merchants (id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE webhook_events (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    type            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_events_due ON webhook_events (status, next_attempt_at);
CREATE INDEX webhook_events_merchant ON webhook_events (merchant_id, created_at);

-- +goose Down
DROP TABLE webhook_events;
DROP TABLE merchant_webhooks;
