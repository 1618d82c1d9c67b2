-- Operations: hourly usage rollups (stats read these instead of raw rows) and local rate-limit counts.
-- Times are Unix epoch milliseconds. Only new tables, so sql/schema.sql can be run twice.

-- Finished hours of api_key_usage, by endpoint, model and status. `model` is '' when the request named none.
CREATE TABLE IF NOT EXISTS usage_hourly (
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
);

-- Finished hours of api_key_usage, by key. `api_key_id` is 0 for attempts without a key.
CREATE TABLE IF NOT EXISTS usage_hourly_keys (
  hour INTEGER NOT NULL,
  api_key_id INTEGER NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  total_tokens INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, api_key_id)
);

-- Requests counted against the optional local limits, per window. `subject` is `k:<key id>` or
-- `p:<project>`; `period` is `minute` or `day`; rows are added to (`count = count + ?`) by every flush.
CREATE TABLE IF NOT EXISTS local_limit_counts (
  subject TEXT NOT NULL,
  model TEXT NOT NULL,
  period TEXT NOT NULL,
  window_end INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (subject, model, period, window_end)
);
CREATE INDEX IF NOT EXISTS idx_local_limit_counts_end ON local_limit_counts (window_end);
