-- The merchant portal and the operator console: a user may be frozen by
-- an operator (no money out while frozen), and indexes for the portal's
-- order search, an order's refunds, a merchant's keys and settlements,
-- and the console's search of merchants by status.

-- +goose Up
ALTER TABLE users ADD COLUMN frozen_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX merchant_orders_merchant_created ON merchant_orders (merchant_id, created_at);
CREATE INDEX merchant_refunds_order ON merchant_refunds (order_id);
CREATE INDEX merchant_keys_merchant ON merchant_keys (merchant_id);
CREATE INDEX merchant_staff_user ON merchant_staff (user_id);
CREATE INDEX merchants_status ON merchants (status, created_at);
CREATE INDEX bank_orders_merchant ON bank_orders (merchant_id, created_at);

-- +goose Down
DROP INDEX bank_orders_merchant;
DROP INDEX merchants_status;
DROP INDEX merchant_staff_user;
DROP INDEX merchant_keys_merchant;
DROP INDEX merchant_refunds_order;
DROP INDEX merchant_orders_merchant_created;
ALTER TABLE users DROP COLUMN frozen_at;
