/** Opening postgres.js clients the way the storage needs them. */
import postgres, { type Sql } from 'postgres';

/** A connection attempt that gets no answer fails after this long (postgres.js waits 30 s by default). */
export const CONNECT_TIMEOUT_SECONDS = 5;

/** int8 (counts, epoch milliseconds) and numeric (sums) as JS numbers: every value the stores keep fits. */
const NUMBERS = {
  to: 20,
  from: [20, 1700],
  serialize: (x: unknown) => String(x),
  parse: (x: string) => Number(x),
};

export interface ClientOptions {
  /** Connections in the pool. */
  max?: number;
  /** Shown in `pg_stat_activity`, and names the writer in change notifications. */
  applicationName: string;
  onnotify?: (channel: string, payload: string) => void;
  onclose?: () => void;
}

/** A postgres.js client: numbers as numbers, bounded connect time, notices muted. */
export function openPostgresClient(url: string, opts: ClientOptions): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
    fetch_types: false,
    onnotice: () => {},
    types: { numbers: NUMBERS },
    connection: { application_name: opts.applicationName },
    ...(opts.onnotify ? { onnotify: opts.onnotify } : {}),
    ...(opts.onclose ? { onclose: opts.onclose } : {}),
  }) as unknown as Sql;
}
