-- The change feed: every committed change other gateways must see is announced on the channel
-- `gkp_changes` (LISTEN/NOTIFY), so they refresh at once instead of at their next poll. The payload
-- is `<kind>:<application_name of the writer>`, kind being `keys`, `config` or `tokens`; a gateway
-- skips its own. PostgreSQL sends identical payloads of one transaction once.

CREATE OR REPLACE FUNCTION gkp_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gkp_changes', TG_ARGV[0] || ':' || current_setting('application_name'));
  RETURN NULL;
END $$;

-- Keys: added, deleted, or a state change (each bumps updated_at). The counter updates every
-- request makes leave updated_at alone and notify nothing.
CREATE OR REPLACE TRIGGER api_keys_notify_insert_delete AFTER INSERT OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION gkp_notify_change('keys');
CREATE OR REPLACE TRIGGER api_keys_notify_update AFTER UPDATE ON api_keys
  FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at OR OLD.is_active IS DISTINCT FROM NEW.is_active)
  EXECUTE FUNCTION gkp_notify_change('keys');
CREATE OR REPLACE TRIGGER key_cooldowns_notify AFTER INSERT OR UPDATE OR DELETE ON key_cooldowns
  FOR EACH ROW EXECUTE FUNCTION gkp_notify_change('keys');
CREATE OR REPLACE TRIGGER api_key_groups_notify AFTER INSERT OR UPDATE OR DELETE ON api_key_groups
  FOR EACH ROW EXECUTE FUNCTION gkp_notify_change('keys');

-- Config: the version row every pool_config write bumps.
CREATE OR REPLACE TRIGGER pool_meta_notify_config AFTER INSERT OR UPDATE ON pool_meta
  FOR EACH ROW WHEN (NEW.key = 'config_version') EXECUTE FUNCTION gkp_notify_change('config');

-- Tokens and their rules; not the last-use stamp a request writes at most once a minute.
CREATE OR REPLACE TRIGGER access_tokens_notify_insert_delete AFTER INSERT OR DELETE ON access_tokens
  FOR EACH ROW EXECUTE FUNCTION gkp_notify_change('tokens');
CREATE OR REPLACE TRIGGER access_tokens_notify_update AFTER UPDATE ON access_tokens
  FOR EACH ROW WHEN (
    OLD.name IS DISTINCT FROM NEW.name OR OLD.token_hash IS DISTINCT FROM NEW.token_hash OR
    OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
  )
  EXECUTE FUNCTION gkp_notify_change('tokens');
CREATE OR REPLACE TRIGGER access_token_rules_notify AFTER INSERT OR UPDATE OR DELETE ON access_token_rules
  FOR EACH ROW EXECUTE FUNCTION gkp_notify_change('tokens');
