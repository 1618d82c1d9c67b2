-- A counter bumped by every write to pool_config (the admin API, the CLI, or a hand-run query), so
-- a snapshot refresh reads this one row and re-reads the whole config only when it changed.
INSERT OR IGNORE INTO pool_meta (key, value) VALUES ('config_version', '0');

CREATE TRIGGER IF NOT EXISTS pool_config_version_after_insert AFTER INSERT ON pool_config
BEGIN
  UPDATE pool_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'config_version';
END;

CREATE TRIGGER IF NOT EXISTS pool_config_version_after_update AFTER UPDATE ON pool_config
BEGIN
  UPDATE pool_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'config_version';
END;

CREATE TRIGGER IF NOT EXISTS pool_config_version_after_delete AFTER DELETE ON pool_config
BEGIN
  UPDATE pool_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'config_version';
END;
