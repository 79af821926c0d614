-- Merchants, their API keys and the nonces those keys have used, and
-- merchant orders. Times are nanoseconds since the Unix epoch (nonces:
-- seconds). Money stays in the ledger: a merchant's balance is its ledger
-- account.

-- +goose Up
CREATE TABLE merchants (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    mcc           TEXT NOT NULL,
    country       TEXT NOT NULL,
    city          TEXT NOT NULL,
    fee_bps       INTEGER NOT NULL CHECK (fee_bps >= 0 AND fee_bps <= 10000),
    status        TEXT NOT NULL,
    account_id    TEXT NOT NULL DEFAULT '',
    settlement_card TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE INDEX merchants_owner ON merchants (owner_id);

-- Stores and their tills (terminals).
CREATE TABLE merchant_stores (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE merchant_terminals (
    id          TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES merchant_stores (id),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Staff: users who work for a merchant, with their role (cashier …).
CREATE TABLE merchant_staff (
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, user_id)
);

CREATE TABLE merchant_keys (
    id          TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    kind        TEXT NOT NULL DEFAULT 'hmac',
    secret      TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE merchant_nonces (
    key_id TEXT NOT NULL,
    nonce  TEXT NOT NULL,
    ts     INTEGER NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX merchant_nonces_ts ON merchant_nonces (ts);

CREATE TABLE merchant_orders (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    out_trade_no TEXT NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    fee          INTEGER NOT NULL,
    refunded     INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    currency     TEXT NOT NULL,
    description  TEXT NOT NULL,
    status       TEXT NOT NULL,
    payer_id     TEXT NOT NULL DEFAULT '',
    terminal_id  TEXT NOT NULL DEFAULT '',
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (merchant_id, out_trade_no)
);

-- Refunds: the merchant's out_refund_no is the idempotency key.
CREATE TABLE merchant_refunds (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    order_id      TEXT NOT NULL REFERENCES merchant_orders (id),
    out_refund_no TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    fee_back      INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (merchant_id, out_refund_no)
);

-- +goose Down
DROP TABLE merchant_refunds;
DROP TABLE merchant_orders;
DROP TABLE merchant_nonces;
DROP TABLE merchant_keys;
DROP TABLE merchant_staff;
DROP TABLE merchant_terminals;
DROP TABLE merchant_stores;
DROP TABLE merchants;
