import type { Lang, Translate } from '../../i18n/index.js';
import { formatNumber } from '../../lib/format.js';

/**
 * The warning before deleting or disabling `keys` keys that own `resources` files, cached contents,
 * batches and operations: those stay with the keys' project, out of the pool's reach. Undefined
 * when they own none.
 */
export function ownedWarning(t: Translate, lang: Lang, keys: number, resources: number): string | undefined {
  if (resources === 0) return undefined;
  const base = keys === 1 ? 'keys.owned_warning' : 'bulk.owned_warning';
  return t(resources === 1 ? `${base}_one` : base, { n: formatNumber(lang, resources) });
}
