-- Passkeys (WebAuthn credentials: fingerprint or face pay) and the
-- challenges of their ceremonies. A challenge is single use (used_at set
-- by a compare-and-set) and short-lived; it is kept in the database so
-- that any server process may finish a ceremony another began.

-- +goose Up
CREATE TABLE passkeys (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id),
    public_key       BYTEA NOT NULL,
    sign_count       BIGINT NOT NULL DEFAULT 0,
    transports       TEXT NOT NULL DEFAULT '',
    aaguid           TEXT NOT NULL DEFAULT '',
    flags            INTEGER NOT NULL DEFAULT 0,
    attestation_type TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    last_used_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE passkey_challenges (
    challenge    TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL,
    user_id      TEXT NOT NULL DEFAULT '',
    session_id   TEXT NOT NULL DEFAULT '',
    binding      TEXT NOT NULL DEFAULT '',
    nonce        TEXT NOT NULL DEFAULT '',
    session_data TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);

-- +goose Down
DROP TABLE passkey_challenges;
DROP TABLE passkeys;
