-- The ledger: the chain of commits, accounts, their balances, transfers,
-- and pending timeouts. See internal/ledger and docs/ledger.md.

-- +goose Up
-- Every committed batch, chained: prev_ts is the head the batch was built
-- on, ts the head after it (its newest timestamp). The constraints keep the
-- chain linear, also with several writers: two batches built on the same
-- head can not both commit (prev_ts is unique), and a batch built on a head
-- that never committed can not commit (prev_ts references ts). The row with
-- the greatest ts is the head.
CREATE TABLE ledger_commits (
    ts               INTEGER PRIMARY KEY,
    prev_ts          INTEGER UNIQUE REFERENCES ledger_commits (ts),
    last_account_key INTEGER NOT NULL,
    checkpoint_ts    INTEGER NOT NULL
);
INSERT INTO ledger_commits (ts, prev_ts, last_account_key, checkpoint_ts) VALUES (0, NULL, 0, 0);

-- The fixed fields of an account; key is the internal key transfers use.
CREATE TABLE accounts (
    key      INTEGER PRIMARY KEY,
    id       BLOB    NOT NULL UNIQUE CHECK (length(id) = 16),
    currency TEXT    NOT NULL,
    code     INTEGER NOT NULL,
    flags    INTEGER NOT NULL,
    owner    TEXT    NOT NULL,
    ts       INTEGER NOT NULL
);

-- An account's balances and chain position as of head_ts; written lazily
-- (transfers after the head's checkpoint_ts may be newer). No row: no
-- transfer yet.
CREATE TABLE account_balances (
    key             INTEGER PRIMARY KEY,
    debits_pending  INTEGER NOT NULL,
    debits_posted   INTEGER NOT NULL,
    credits_pending INTEGER NOT NULL,
    credits_posted  INTEGER NOT NULL,
    head_ts         INTEGER NOT NULL,
    height          INTEGER NOT NULL,
    levels          BLOB    NOT NULL
);

-- Transfers, append-only, keyed by their commit timestamp. debit_prev and
-- credit_prev link each account's transfers newest to oldest; sides holds
-- the skip pointers, heights and both accounts' balances after the transfer.
CREATE TABLE transfers (
    ts             INTEGER PRIMARY KEY,
    id             BLOB    NOT NULL UNIQUE,
    debit_account  INTEGER NOT NULL,
    credit_account INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    code           INTEGER NOT NULL,
    flags          INTEGER NOT NULL,
    pending_ts     INTEGER,
    timeout        INTEGER NOT NULL,
    reference      TEXT    NOT NULL,
    debit_prev     INTEGER NOT NULL,
    credit_prev    INTEGER NOT NULL,
    sides          BLOB    NOT NULL
);
-- A pending transfer is posted or voided at most once.
CREATE UNIQUE INDEX transfers_pending_ts ON transfers (pending_ts) WHERE pending_ts IS NOT NULL;

-- Pending transfers with a timeout that are still pending.
CREATE TABLE pending_timeouts (
    pending_ts INTEGER PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX pending_timeouts_expires_at ON pending_timeouts (expires_at);

-- +goose Down
DROP TABLE pending_timeouts;
DROP TABLE transfers;
DROP TABLE account_balances;
DROP TABLE accounts;
DROP TABLE ledger_commits;
