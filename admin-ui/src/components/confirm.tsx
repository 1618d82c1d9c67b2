import type { VNode } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { useI18n } from '../i18n/index.js';
import { Dialog } from './dialog.js';

export interface ConfirmOptions {
  title: string;
  message: string;
  /** A consequence to weigh before confirming, shown apart from the question. */
  warning?: string;
  confirmLabel: string;
  danger?: boolean;
}

interface Pending extends ConfirmOptions {
  resolve: (ok: boolean) => void;
}

/** A confirmation dialog: render the returned element, await `ask(...)`. */
export function useConfirm(): [VNode | null, (options: ConfirmOptions) => Promise<boolean>] {
  const { t } = useI18n();
  const [pending, setPending] = useState<Pending | null>(null);

  const ask = useCallback(
    (options: ConfirmOptions) => new Promise<boolean>((resolve) => setPending({ ...options, resolve })),
    [],
  );
  const finish = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };

  const element = pending ? (
    <Dialog title={pending.title} onClose={() => finish(false)} testId="confirm-dialog">
      <p class="dialog-body" data-testid="confirm-message">
        {pending.message}
      </p>
      {pending.warning && (
        <p class="notice confirm-warning" data-testid="confirm-warning">
          {pending.warning}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" data-testid="confirm-cancel" onClick={() => finish(false)} autoFocus>
          {t('common.cancel')}
        </button>
        <button
          type="button"
          class={pending.danger ? 'danger' : 'primary'}
          data-testid="confirm-ok"
          onClick={() => finish(true)}
        >
          {pending.confirmLabel}
        </button>
      </div>
    </Dialog>
  ) : null;

  return [element, ask];
}
