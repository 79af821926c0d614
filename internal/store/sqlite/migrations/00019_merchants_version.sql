-- The merchants' version: a number that every change to a merchant, its
-- API keys or its webhook moves on, in the same transaction (by trigger,
-- so no writer can forget it). A server's caches of them (internal/wallet,
-- cache.go) read this one number to learn that nothing changed, instead of
-- reading every cached merchant again.

-- +goose Up
CREATE TABLE versions (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO versions (name, value) VALUES ('merchants', 0);

-- +goose StatementBegin
CREATE TRIGGER merchants_version_insert AFTER INSERT ON merchants
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchants_version_update AFTER UPDATE ON merchants
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchants_version_delete AFTER DELETE ON merchants
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchant_keys_version_insert AFTER INSERT ON merchant_keys
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchant_keys_version_update AFTER UPDATE ON merchant_keys
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchant_keys_version_delete AFTER DELETE ON merchant_keys
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchant_webhooks_version_insert AFTER INSERT ON merchant_webhooks
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchant_webhooks_version_update AFTER UPDATE ON merchant_webhooks
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER merchant_webhooks_version_delete AFTER DELETE ON merchant_webhooks
BEGIN UPDATE versions SET value = value + 1 WHERE name = 'merchants'; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER merchant_webhooks_version_delete;
DROP TRIGGER merchant_webhooks_version_update;
DROP TRIGGER merchant_webhooks_version_insert;
DROP TRIGGER merchant_keys_version_delete;
DROP TRIGGER merchant_keys_version_update;
DROP TRIGGER merchant_keys_version_insert;
DROP TRIGGER merchants_version_delete;
DROP TRIGGER merchants_version_update;
DROP TRIGGER merchants_version_insert;
DROP TABLE versions;
