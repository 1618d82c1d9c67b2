import { createContext } from 'preact';
import type { ComponentChildren } from 'preact';
import { useCallback, useContext, useState } from 'preact/hooks';

type Kind = 'ok' | 'error';
interface Toast {
  id: number;
  kind: Kind;
  text: string;
}

export type Notify = (kind: Kind, text: string) => void;

const NotifyContext = createContext<Notify>(() => {});

export function useNotify(): Notify {
  return useContext(NotifyContext);
}

let nextId = 1;

/** Short-lived messages announced to screen readers through a live region. */
export function ToastProvider({ children }: { children: ComponentChildren }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const notify = useCallback<Notify>((kind, text) => {
    const id = nextId++;
    setToasts((list) => [...list.slice(-3), { id, kind, text }]);
    setTimeout(() => setToasts((list) => list.filter((x) => x.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);

  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <div class="toasts" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} class={`toast toast-${toast.kind}`} data-testid="toast">
            {toast.text}
          </div>
        ))}
      </div>
    </NotifyContext.Provider>
  );
}
