-- The wallet's records: users, sessions, wallets (each a ledger account),
-- notifications and payment requests. Balances live in the ledger only.
-- Times are nanoseconds since the Unix epoch. The SQLite migration of the
-- same number has the same tables.

-- +goose Up
CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    phone            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL,
    tier             BIGINT NOT NULL DEFAULT 0,
    pin_hash         TEXT NOT NULL DEFAULT '',
    pin_failures     BIGINT NOT NULL DEFAULT 0,
    pin_locked_until BIGINT NOT NULL DEFAULT 0,
    nopin_per_tx     BIGINT NOT NULL DEFAULT 0,
    nopin_daily      BIGINT NOT NULL DEFAULT 0,
    nopin_version    BIGINT NOT NULL DEFAULT 0,
    real_name        TEXT NOT NULL DEFAULT '',
    id_type          TEXT NOT NULL DEFAULT '',
    id_masked        TEXT NOT NULL DEFAULT '',
    id_sealed        TEXT NOT NULL DEFAULT '',
    notifications_read_at BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    client     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE wallets (
    user_id    TEXT NOT NULL REFERENCES users (id),
    currency   TEXT NOT NULL,
    account_id TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, currency)
);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

CREATE TABLE payment_requests (
    id           TEXT PRIMARY KEY,
    requester_id TEXT NOT NULL REFERENCES users (id),
    payer_id     TEXT NOT NULL REFERENCES users (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    transfer_id  TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX payment_requests_payer ON payment_requests (payer_id, created_at);
CREATE INDEX payment_requests_requester ON payment_requests (requester_id, created_at);

-- Bank cards: the number sealed (AES-256-GCM, bound to the user), a keyed
-- hash of it to find a card linked twice, and what may be shown.
CREATE TABLE bank_cards (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id),
    pan_sealed      TEXT NOT NULL,
    pan_hash        TEXT NOT NULL,
    masked          TEXT NOT NULL,
    issuer          TEXT NOT NULL,
    network         TEXT NOT NULL,
    card_type       TEXT NOT NULL,
    holder_name     TEXT NOT NULL,
    status          TEXT NOT NULL,
    verification_id TEXT NOT NULL DEFAULT '',
    bank_token      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    UNIQUE (user_id, pan_hash)
);

-- Top-ups and withdrawals: the id is also the request id the bank sees.
CREATE TABLE bank_orders (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    merchant_id TEXT NOT NULL DEFAULT '',
    card_id    TEXT NOT NULL REFERENCES bank_cards (id),
    amount     BIGINT NOT NULL CHECK (amount > 0),
    fee        BIGINT NOT NULL DEFAULT 0,
    currency   TEXT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bank_orders_user ON bank_orders (user_id, created_at);
CREATE INDEX bank_orders_status ON bank_orders (status, updated_at);

-- +goose Down
DROP TABLE bank_orders;
DROP TABLE bank_cards;
DROP TABLE payment_requests;
DROP TABLE notifications;
DROP TABLE wallets;
DROP TABLE sessions;
DROP TABLE users;
