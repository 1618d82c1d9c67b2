-- The seed's three tables keep their names and columns; everything this design adds is extra columns and tables.
-- Times are Unix epoch milliseconds.

CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key TEXT NOT NULL UNIQUE,
  gmail_email TEXT,
  is_active INTEGER NOT NULL DEFAULT 1,
  total_requests INTEGER NOT NULL DEFAULT 0,
  error_count INTEGER NOT NULL DEFAULT 0,
  last_used_at INTEGER,
  -- additions
  -- SHA-256 of the key: finds duplicates even when api_key is stored encrypted.
  key_hash TEXT NOT NULL UNIQUE,
  key_hint TEXT NOT NULL DEFAULT '',
  project TEXT,
  disabled_by TEXT,
  disabled_reason TEXT,
  disabled_until INTEGER,
  consecutive_errors INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_error_at INTEGER,
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS idx_api_keys_updated_at ON api_keys (updated_at);
CREATE INDEX IF NOT EXISTS idx_api_keys_project ON api_keys (project);

-- Deleted key ids, so an incremental snapshot refresh can drop them.
CREATE TABLE IF NOT EXISTS key_tombstones (
  id INTEGER PRIMARY KEY,
  deleted_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_key_tombstones_deleted_at ON key_tombstones (deleted_at);

-- A key cooling down for one model after a 429.
CREATE TABLE IF NOT EXISTS key_cooldowns (
  api_key_id INTEGER NOT NULL,
  model TEXT NOT NULL,
  until_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (api_key_id, model)
);

CREATE TABLE IF NOT EXISTS api_key_usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  api_key_id INTEGER,
  endpoint TEXT NOT NULL,
  response_status INTEGER NOT NULL,
  tokens_used INTEGER NOT NULL DEFAULT 0,
  request_timestamp INTEGER NOT NULL,
  -- additions
  model TEXT,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  latency_ms INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT 'ok',
  access_token_id INTEGER,
  attempt INTEGER NOT NULL DEFAULT 1,
  error TEXT
);
CREATE INDEX IF NOT EXISTS idx_usage_timestamp ON api_key_usage (request_timestamp);
CREATE INDEX IF NOT EXISTS idx_usage_key ON api_key_usage (api_key_id, request_timestamp);

CREATE TABLE IF NOT EXISTS pool_config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS access_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  token_hint TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT 'api',
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

-- Instance settings that are not user config, such as the generated admin token's hash.
CREATE TABLE IF NOT EXISTS pool_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS api_keys_after_delete AFTER DELETE ON api_keys
BEGIN
  DELETE FROM key_cooldowns WHERE api_key_id = old.id;
  INSERT OR REPLACE INTO key_tombstones (id, deleted_at)
  VALUES (old.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
