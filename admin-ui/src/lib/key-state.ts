import type { Translate } from '../i18n/index.js';
import { formatWhen } from './format.js';
import type { KeyEntry } from './types.js';

/** The badge text for a key's state, e.g. "cooling for gemini-2.5-flash until 14:03". */
export function describeKeyState(key: KeyEntry, t: Translate): string {
  if (key.state === 'disabled' || key.disabled) {
    const d = key.disabled;
    const auto = d?.by === 'auto';
    const by = t(auto ? 'state.by_auto' : 'state.by_manual');
    // A manual disable has no reason worth showing ("disabled (manual)"); an automatic one names Google's reason.
    let text =
      auto && d?.reason ? t('state.disabled_reason', { reason: d.reason, by }) : t('state.disabled', { by });
    if (d?.until) text += ` ${t('state.until', { time: formatWhen(d.until) })}`;
    return text;
  }
  if (key.state === 'cooling' && key.cooldowns.length > 0) {
    const [first, ...rest] = [...key.cooldowns].sort((a, b) => a.until.localeCompare(b.until));
    if (first) {
      const model = first.model === '*' ? t('state.all_models') : first.model;
      const text = t('state.cooling', { model, time: formatWhen(first.until) });
      return rest.length > 0 ? `${text} ${t('state.more', { n: rest.length })}` : text;
    }
  }
  return t(key.state === 'cooling' ? 'state.cooling_plain' : 'state.active');
}
