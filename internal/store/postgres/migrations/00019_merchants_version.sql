-- The merchants' version: a number that every change to a merchant, its
-- API keys or its webhook moves on, in the same transaction (by trigger,
-- so no writer can forget it). A server's caches of them (internal/wallet,
-- cache.go) read this one number to learn that nothing changed, instead of
-- reading every cached merchant again.

-- +goose Up
CREATE TABLE versions (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO versions (name, value) VALUES ('merchants', 0);

-- +goose StatementBegin
CREATE FUNCTION merchants_version_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE versions SET value = value + 1 WHERE name = 'merchants';
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER merchants_version AFTER INSERT OR UPDATE OR DELETE ON merchants
    FOR EACH STATEMENT EXECUTE FUNCTION merchants_version_next();
CREATE TRIGGER merchant_keys_version AFTER INSERT OR UPDATE OR DELETE ON merchant_keys
    FOR EACH STATEMENT EXECUTE FUNCTION merchants_version_next();
CREATE TRIGGER merchant_webhooks_version AFTER INSERT OR UPDATE OR DELETE ON merchant_webhooks
    FOR EACH STATEMENT EXECUTE FUNCTION merchants_version_next();

-- +goose Down
DROP TRIGGER merchant_webhooks_version ON merchant_webhooks;
DROP TRIGGER merchant_keys_version ON merchant_keys;
DROP TRIGGER merchants_version ON merchants;
DROP FUNCTION merchants_version_next();
DROP TABLE versions;
