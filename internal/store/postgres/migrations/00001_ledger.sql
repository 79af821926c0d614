-- The ledger: accounts, their balances, transfers, pending timeouts, and
-- the head row that orders every commit. See internal/ledger.

-- +goose Up
CREATE TABLE ledger_head (
    id               SMALLINT PRIMARY KEY CHECK (id = 1),
    last_ts          BIGINT  NOT NULL,
    last_account_key BIGINT  NOT NULL,
    checkpoint_ts    BIGINT  NOT NULL
);
INSERT INTO ledger_head (id, last_ts, last_account_key, checkpoint_ts) VALUES (1, 0, 0, 0);

-- The fixed fields of an account; key is the internal key transfers use.
CREATE TABLE accounts (
    key      BIGINT  PRIMARY KEY,
    id       BYTEA   NOT NULL UNIQUE CHECK (length(id) = 16),
    currency TEXT    NOT NULL,
    code     INTEGER NOT NULL,
    flags    INTEGER NOT NULL,
    owner    TEXT    NOT NULL,
    ts       BIGINT  NOT NULL
);

-- An account's balances and chain position as of head_ts; written lazily
-- (transfers after ledger_head.checkpoint_ts may be newer). No row: no
-- transfer yet.
CREATE TABLE account_balances (
    key             BIGINT  PRIMARY KEY,
    debits_pending  BIGINT  NOT NULL,
    debits_posted   BIGINT  NOT NULL,
    credits_pending BIGINT  NOT NULL,
    credits_posted  BIGINT  NOT NULL,
    head_ts         BIGINT  NOT NULL,
    height          BIGINT  NOT NULL,
    levels          BYTEA   NOT NULL
) WITH (fillfactor = 70); -- room for HOT updates: rows are rewritten often

-- Transfers, append-only, keyed by their commit timestamp. debit_prev and
-- credit_prev link each account's transfers newest to oldest; sides holds
-- the skip pointers, heights and both accounts' balances after the transfer.
CREATE TABLE transfers (
    ts             BIGINT  PRIMARY KEY,
    id             BYTEA   NOT NULL UNIQUE,
    debit_account  BIGINT  NOT NULL,
    credit_account BIGINT  NOT NULL,
    amount         BIGINT  NOT NULL,
    currency       TEXT    NOT NULL,
    code           INTEGER NOT NULL,
    flags          INTEGER NOT NULL,
    pending_ts     BIGINT,
    timeout        INTEGER NOT NULL,
    reference      TEXT    NOT NULL,
    debit_prev     BIGINT  NOT NULL,
    credit_prev    BIGINT  NOT NULL,
    sides          BYTEA   NOT NULL
);
-- A pending transfer is posted or voided at most once.
CREATE UNIQUE INDEX transfers_pending_ts ON transfers (pending_ts) WHERE pending_ts IS NOT NULL;

-- Pending transfers with a timeout that are still pending.
CREATE TABLE pending_timeouts (
    pending_ts BIGINT  PRIMARY KEY,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX pending_timeouts_expires_at ON pending_timeouts (expires_at);

-- +goose Down
DROP TABLE pending_timeouts;
DROP TABLE transfers;
DROP TABLE account_balances;
DROP TABLE accounts;
DROP TABLE ledger_head;
