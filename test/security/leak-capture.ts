/**
 * What the key-leak tests search: every response status line, header and body a client saw, log
 * lines and the database's text, for any full key or any 12 characters of its secret middle.
 */
import { randomBytes } from 'node:crypto';
import { readDb } from '../reliability/helpers.js';

/** Random keys in Google's shape, so any 12-character slice of one is unmistakable. */
export function randomKey(): string {
  return `AIza${randomBytes(30).toString('base64url').slice(0, 35)}`;
}

/** Every 12-character window of the part of a key its mask (`AIza…wxyz`) hides. */
function secretSlices(key: string): string[] {
  const middle = key.slice(4, -4);
  return Array.from({ length: middle.length - 11 }, (_, i) => middle.slice(i, i + 12));
}

/** Everything a client or an operator could see. */
export class Capture {
  readonly parts: string[] = [];

  async fetch(url: string, init: RequestInit = {}): Promise<{ status: number; text: string }> {
    const res = await fetch(url, init);
    const text = await res.text().catch((err: unknown) => `(body failed: ${String(err)})`);
    this.record(res, url, text);
    return { status: res.status, text };
  }

  /** A `fetch` for an SDK's options: each response is recorded whole and handed on unread. */
  readonly sdkFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    this.record(res, url, await res.clone().text());
    return res;
  };

  private record(res: Response, url: string, text: string): void {
    this.parts.push(`${res.status} ${url}`, ...[...res.headers].map(([n, v]) => `${n}: ${v}`), text);
  }

  leaks(keys: string[]): string[] {
    const haystack = this.parts.join('\n');
    const found: string[] = [];
    for (const key of keys) {
      if (haystack.includes(key)) found.push(`full key ${key.slice(0, 4)}…${key.slice(-4)}`);
      for (const slice of secretSlices(key))
        if (haystack.includes(slice)) found.push(`part of ${key.slice(-4)}`);
    }
    return found;
  }
}

/** The database's text, minus the one column that stores keys by design (`api_keys.api_key`). */
export function databaseText(path: string): string {
  return readDb(path, (db) => {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
      name: string;
    }>;
    const out: string[] = [];
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name}"`).all() as Array<Record<string, unknown>>;
      for (const row of rows) {
        if (name === 'api_keys') delete row.api_key;
        out.push(JSON.stringify(row));
      }
    }
    return out.join('\n');
  });
}
