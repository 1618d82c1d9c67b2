-- Access-token rules (allow-list, limits, expiry, key group, pause) and key groups.
-- Times are Unix epoch milliseconds. Only new tables, triggers and indexes, so sql/schema.sql can be run twice.

-- One row per token that has rules; a token without a row may do everything, like before.
-- `models` is a JSON array of names where `*` is a wildcard; '[]' allows every model.
-- `key_group`: NULL = keys of no group, '*' = any key, else the keys of that group.
CREATE TABLE IF NOT EXISTS access_token_rules (
  token_id INTEGER PRIMARY KEY,
  models TEXT NOT NULL DEFAULT '[]',
  rpm INTEGER,
  rpd INTEGER,
  tpm INTEGER,
  tpd INTEGER,
  expires_at INTEGER,
  key_group TEXT,
  enabled INTEGER NOT NULL DEFAULT 1
);

-- The group of a key, for keys that have one.
CREATE TABLE IF NOT EXISTS api_key_groups (
  api_key_id INTEGER PRIMARY KEY,
  key_group TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_api_key_groups_group ON api_key_groups (key_group);

CREATE TRIGGER IF NOT EXISTS api_key_groups_after_key_delete AFTER DELETE ON api_keys
BEGIN
  DELETE FROM api_key_groups WHERE api_key_id = old.id;
END;

-- Token limits count in local_limit_counts too: subject `t:<token id>`, model `requests` or `tokens`.
