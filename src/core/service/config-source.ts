/** Where the pool's config comes from: `pool_config` rows, seeded with defaults on first start. */
import { defaultConfigRows } from '../config.js';
import type { Storage } from '../ports.js';

/** `pool_meta` key that a trigger bumps on every config write, so a refresh reads config only when it changed. */
export const CONFIG_VERSION_META = 'config_version';

/** The stored config values and their version, after inserting the rows that are missing. */
export async function seedAndLoadConfig(
  storage: Storage,
): Promise<{ values: Record<string, string>; version: string | null }> {
  const version = await storage.meta.getMeta(CONFIG_VERSION_META);
  const values = await storage.config.getConfigValues();
  const missing = defaultConfigRows().filter((row) => !(row.key in values));
  if (missing.length > 0) await storage.config.setConfigValues(missing);
  return { values, version };
}
