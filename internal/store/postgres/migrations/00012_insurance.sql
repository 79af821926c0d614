-- Account-security insurance (账户安全险): a user's policies (one in force
-- at a time), and claims on unauthorised transactions, at most one per
-- transaction.

-- +goose Up
CREATE TABLE insurance_policies (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    status      TEXT NOT NULL,
    premium     BIGINT NOT NULL,
    cover       BIGINT NOT NULL,
    paid_out    BIGINT NOT NULL DEFAULT 0 CHECK (paid_out >= 0 AND paid_out <= cover),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX insurance_policies_live ON insurance_policies (user_id) WHERE status IN ('pending', 'active');
CREATE INDEX insurance_policies_user ON insurance_policies (user_id, starts_at);

CREATE TABLE insurance_claims (
    id          TEXT PRIMARY KEY,
    policy_id   TEXT NOT NULL REFERENCES insurance_policies (id),
    user_id     TEXT NOT NULL,
    transfer_id TEXT NOT NULL UNIQUE,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    description TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    decided_by  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    decided_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX insurance_claims_status ON insurance_claims (status, created_at);
CREATE INDEX insurance_claims_user ON insurance_claims (user_id, created_at);

-- +goose Down
DROP TABLE insurance_claims;
DROP TABLE insurance_policies;
