-- Payees users reported as fraudsters: others paying them are warned.

-- +goose Up
CREATE TABLE payee_reports (
    payee_id    TEXT NOT NULL,
    reporter_id TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (payee_id, reporter_id)
);

-- +goose Down
DROP TABLE payee_reports;
