import type { Translate } from '../i18n/index.js';
import { ApiError } from './api.js';

/** A message for a failed call, in the user's language where the cause is known. */
export function errorText(err: unknown, t: Translate): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return t('error.network');
    if (err.status === 429) return t('error.rate_limited', { s: err.retryAfter ?? 1 });
    return t('error.server', { status: err.status, message: err.message });
  }
  return err instanceof Error ? err.message : String(err);
}
