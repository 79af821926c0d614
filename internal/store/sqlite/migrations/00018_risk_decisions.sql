-- Every risk decision on a money-out, beside the transaction it was about:
-- what decided (rules or a model version), the score, the reasons. The
-- operators' review outcomes and insurance claims label them for the next
-- training of the fraud model (GET /v1/operator/risk/transactions and
-- /labels).

-- +goose Up
CREATE TABLE risk_decisions (
    id           TEXT PRIMARY KEY,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,  -- p2p, payment, paycode, withdrawal
    user_id      TEXT NOT NULL,
    counterparty TEXT NOT NULL,
    ref          TEXT NOT NULL,  -- the money-out's ledger transfer, '' if unknown
    device       TEXT NOT NULL,
    mcc          TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    new_device   INTEGER NOT NULL,    -- 0/1: within an hour of a login
    action       TEXT NOT NULL,  -- allow, challenge, hold, deny
    score_ppm    INTEGER NOT NULL,    -- the model's score × 1,000,000
    model        TEXT NOT NULL,
    reasons      TEXT NOT NULL   -- JSON array
);
CREATE INDEX risk_decisions_by_time ON risk_decisions (at);
-- The review queue's evidence: accounts that share a device (its token).
CREATE INDEX devices_by_token ON devices (token_hash);

-- +goose Down
DROP INDEX devices_by_token;
DROP TABLE risk_decisions;
