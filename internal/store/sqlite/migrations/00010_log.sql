-- The transparency log (internal/ledgerlog): an RFC 6962 Merkle tree over
-- the committed transfers in commit (timestamp) order, and the checkpoints
-- the server signed.
--
-- log_leaves has one row per leaf: idx is the leaf index, ts the
-- transfer's commit timestamp, and hashes the leaf hash followed by the
-- hashes of the tree nodes this leaf completes (32 bytes each: levels
-- 0 … trailing-zeros(idx+1)). Node (level L, index k) is thus stored in row
-- ((k+1) << L) - 1 at byte offset 32·L.

-- +goose Up
CREATE TABLE log_leaves (
    idx    INTEGER PRIMARY KEY,
    ts     INTEGER NOT NULL UNIQUE,
    hashes BLOB    NOT NULL
);
CREATE TABLE log_checkpoints (
    size       INTEGER PRIMARY KEY,
    root       BLOB    NOT NULL,
    note       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE log_checkpoints;
DROP TABLE log_leaves;
