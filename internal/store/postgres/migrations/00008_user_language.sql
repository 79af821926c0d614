-- The language a user chose for the app and for what the wallet tells
-- them ("" until they choose: the request's language is used).

-- +goose Up
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN language;
