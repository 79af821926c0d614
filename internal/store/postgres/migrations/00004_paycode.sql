-- Devices enrolled for payment codes (付款码): the secret sealed, and the
-- newest time step a code was used at (codes are single use).

-- +goose Up
CREATE TABLE paycode_devices (
    number       BIGINT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    secret       TEXT NOT NULL,
    status       TEXT NOT NULL,
    last_counter BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);
CREATE INDEX paycode_devices_user ON paycode_devices (user_id);

-- +goose Down
DROP TABLE paycode_devices;
