-- Devices (a browser or an app install a user logs in from), the history
-- of login attempts, authenticator-app (TOTP) secrets and the step-up
-- tickets of logins from new devices.
--
-- A device is known by a random token the client keeps (the web app's
-- device cookie, the API's device_token); only the token's hash is
-- stored. Every session, and every payment-code enrolment made from a
-- session, names its device: revoking the device ends both.

-- +goose Up
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    token_hash  TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    last_ip     TEXT NOT NULL DEFAULT '',
    trusted     INTEGER NOT NULL DEFAULT 0,
    revoked_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX devices_user ON devices (user_id);
CREATE INDEX devices_token ON devices (user_id, token_hash);

ALTER TABLE sessions ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_device ON sessions (device_id);
ALTER TABLE paycode_devices ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
CREATE INDEX paycode_devices_device ON paycode_devices (device_id);

CREATE TABLE login_events (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    method     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    device_id  TEXT NOT NULL DEFAULT '',
    client     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_events_user ON login_events (user_id, at);

CREATE TABLE user_totp (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    secret       TEXT NOT NULL,
    status       TEXT NOT NULL,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE step_ups (
    token_hash TEXT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id),
    device_id  TEXT NOT NULL,
    client     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX step_ups_expiry ON step_ups (expires_at);

-- +goose Down
DROP TABLE step_ups;
DROP TABLE user_totp;
DROP TABLE login_events;
DROP INDEX paycode_devices_device;
ALTER TABLE paycode_devices DROP COLUMN device_id;
DROP INDEX sessions_device;
ALTER TABLE sessions DROP COLUMN device_id;
DROP TABLE devices;
