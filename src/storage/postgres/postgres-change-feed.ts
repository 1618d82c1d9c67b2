/**
 * `ChangeFeed` over LISTEN/NOTIFY: one connection listens on `gkp_changes`, where the triggers of
 * migrations-postgres/0002_change_feed.sql announce committed changes as `<kind>:<writer>`. Notices
 * from this storage's own writer name are skipped: it already knows its changes.
 *
 * When the connection drops, `connected` turns false (callers poll meanwhile) and LISTEN is tried
 * again with backoff; once it is back, every kind is announced once, since changes made while it
 * was down were missed.
 */
import type { Sql } from 'postgres';
import type { ChangeFeed, StorageChange } from '../../core/ports.js';
import { openPostgresClient } from './postgres-client.js';

export const CHANGE_CHANNEL = 'gkp_changes';

const KINDS: readonly StorageChange[] = ['keys', 'config', 'tokens'];
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;

export interface PostgresChangeFeed extends ChangeFeed {
  /** Resolves once the first LISTEN succeeded (or failed: the feed then keeps retrying). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export function openPostgresChangeFeed(url: string, writer: string): PostgresChangeFeed {
  const listeners = new Set<(change: StorageChange) => void>();
  let connected = false;
  let closed = false;
  let everConnected = false;
  let retryMs = RETRY_MIN_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const emit = (change: StorageChange) => {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the others still hear of the change.
      }
    }
  };

  const sql: Sql = openPostgresClient(url, {
    max: 1,
    applicationName: `${writer}-feed`,
    onnotify: (channel, payload) => {
      if (channel !== CHANGE_CHANNEL) return;
      const split = payload.indexOf(':');
      const kind = (split < 0 ? payload : payload.slice(0, split)) as StorageChange;
      if (split >= 0 && payload.slice(split + 1) === writer) return;
      if (KINDS.includes(kind)) emit(kind);
    },
    onclose: () => {
      if (closed || !connected) return;
      connected = false;
      schedule();
    },
  });

  const listen = async (): Promise<void> => {
    try {
      await sql.unsafe(`LISTEN ${CHANGE_CHANNEL}`);
      connected = true;
      retryMs = RETRY_MIN_MS;
      if (everConnected) for (const kind of KINDS) emit(kind);
      everConnected = true;
    } catch {
      schedule();
    }
  };

  function schedule(): void {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void listen();
    }, retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  }

  return {
    ready: listen(),
    get connected() {
      return connected;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      connected = false;
      if (timer) clearTimeout(timer);
      listeners.clear();
      await sql.end({ timeout: 1 });
    },
  };
}
