-- D1 bills every row written, index entries and the AUTOINCREMENT counter included. A usage row cost 4
-- (the row, two index entries, the sqlite_sequence row); from here it costs 1. A cooldown: 2, now 1.
--
-- api_key_usage keeps its columns, in the same order, but becomes a plain rowid table without
-- indexes: ids are still assigned in insertion order (largest id + 1), and because retention never
-- deletes the newest row, an id is never handed out twice. Reads find time ranges through the id
-- (ids grow with time) and per-key or per-model pages through the hourly rollups.
--
-- SQLite cannot drop AUTOINCREMENT in place, so the table is rebuilt; ids are kept. No foreign key or
-- trigger refers to api_key_usage, so the rebuild runs inside D1's migration transaction as is.
-- Every existing usage row is written once more (on D1 that counts against the plan's rows written).
CREATE TABLE api_key_usage_rebuilt (
  id INTEGER PRIMARY KEY,
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
INSERT INTO api_key_usage_rebuilt (
  id, api_key_id, endpoint, response_status, tokens_used, request_timestamp, model, prompt_tokens,
  completion_tokens, latency_ms, outcome, access_token_id, attempt, error
)
SELECT
  id, api_key_id, endpoint, response_status, tokens_used, request_timestamp, model, prompt_tokens,
  completion_tokens, latency_ms, outcome, access_token_id, attempt, error
FROM api_key_usage ORDER BY id;
-- Also drops idx_usage_timestamp, idx_usage_key and the table's sqlite_sequence row.
DROP TABLE api_key_usage;
ALTER TABLE api_key_usage_rebuilt RENAME TO api_key_usage;


-- A cooldown after a 429 cost 2 rows written (the row and its primary key index). As a WITHOUT ROWID
-- table the primary key is the table: 1 row. The trigger that names key_cooldowns is dropped while
-- the table is rebuilt (a rename checks every trigger), then created again unchanged.
DROP TRIGGER IF EXISTS api_keys_after_delete;
CREATE TABLE key_cooldowns_rebuilt (
  api_key_id INTEGER NOT NULL,
  model TEXT NOT NULL,
  until_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (api_key_id, model)
) WITHOUT ROWID;
INSERT INTO key_cooldowns_rebuilt (api_key_id, model, until_ms, reason)
SELECT api_key_id, model, until_ms, reason FROM key_cooldowns;
DROP TABLE key_cooldowns;
ALTER TABLE key_cooldowns_rebuilt RENAME TO key_cooldowns;
CREATE TRIGGER IF NOT EXISTS api_keys_after_delete AFTER DELETE ON api_keys
BEGIN
  DELETE FROM key_cooldowns WHERE api_key_id = old.id;
  INSERT OR REPLACE INTO key_tombstones (id, deleted_at)
  VALUES (old.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

-- The hourly rollups as WITHOUT ROWID tables, clustered by hour: a week's stats read a range of
-- each table instead of an index range plus one table lookup per row, and a folded row is 1 row
-- written instead of 2.
CREATE TABLE usage_hourly_rebuilt (
  hour INTEGER NOT NULL,
  endpoint TEXT NOT NULL,
  model TEXT NOT NULL,
  response_status INTEGER NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, endpoint, model, response_status)
) WITHOUT ROWID;
INSERT INTO usage_hourly_rebuilt SELECT
  hour, endpoint, model, response_status, requests, errors, prompt_tokens, completion_tokens, total_tokens
FROM usage_hourly;
DROP TABLE usage_hourly;
ALTER TABLE usage_hourly_rebuilt RENAME TO usage_hourly;

CREATE TABLE usage_hourly_keys_rebuilt (
  hour INTEGER NOT NULL,
  api_key_id INTEGER NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, api_key_id)
) WITHOUT ROWID;
INSERT INTO usage_hourly_keys_rebuilt SELECT
  hour, api_key_id, requests, errors, prompt_tokens, completion_tokens, total_tokens
FROM usage_hourly_keys;
DROP TABLE usage_hourly_keys;
ALTER TABLE usage_hourly_keys_rebuilt RENAME TO usage_hourly_keys;
-- A key's rolled-up hours, newest first: the usage page filtered by key reads only those hours' ids.
-- Written by the hourly rollup, not by requests.
CREATE INDEX IF NOT EXISTS idx_usage_hourly_keys_key ON usage_hourly_keys (api_key_id, hour);
