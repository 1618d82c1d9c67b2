import { useI18n } from '../i18n/index.js';
import { formatDateTime } from '../lib/format.js';
import { describeKeyState } from '../lib/key-state.js';
import type { KeyEntry } from '../lib/types.js';

/** The key's state as a coloured badge; the title lists every running cooldown. */
export function StateBadge({ entry }: { entry: KeyEntry }) {
  const { t } = useI18n();
  const title = entry.cooldowns
    .map(
      (c) => `${c.model === '*' ? t('state.all_models') : c.model}: ${c.reason} → ${formatDateTime(c.until)}`,
    )
    .join('\n');
  return (
    <span
      class={`badge badge-${entry.state}`}
      data-testid={`key-state-${entry.id}`}
      data-state={entry.state}
      title={title || undefined}
    >
      {describeKeyState(entry, t)}
    </span>
  );
}
