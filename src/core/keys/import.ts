/**
 * Parsing keys to import: pasted text (`key[,email[,project]]` per line, or a comma-separated list
 * of bare keys as in `GEMINI_API_KEYS`) and the admin API's JSON list.
 */
import type { NewKey } from '../types.js';

const KEY_PATTERN = /^[A-Za-z0-9_.-]{20,256}$/;
const PROJECT_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const EMAIL_MAX_LENGTH = 320;

export interface ParsedKeys {
  keys: NewKey[];
  invalid: number;
}

/** 20–256 characters of letters, digits, `_`, `.` and `-`: every Gemini key format seen so far. */
export function isPlausibleKey(s: string): boolean {
  return KEY_PATTERN.test(s);
}

/** A project label: 1–128 characters of letters, digits, `.`, `_`, `:` and `-`. */
export function isValidProject(s: string): boolean {
  return PROJECT_PATTERN.test(s);
}

export function isValidEmail(s: string): boolean {
  return s.length <= EMAIL_MAX_LENGTH && !/[\u0000-\u001f]/.test(s);
}

function entry(apiKey: string, email: string | null, project: string | null): NewKey | null {
  if (!isPlausibleKey(apiKey)) return null;
  if (email !== null && !isValidEmail(email)) return null;
  if (project !== null && !isValidProject(project)) return null;
  return { apiKey, email, project };
}

function collect(candidates: Array<NewKey | null>): ParsedKeys {
  const seen = new Set<string>();
  const keys: NewKey[] = [];
  let invalid = 0;
  for (const c of candidates) {
    if (c === null) invalid += 1;
    else if (!seen.has(c.apiKey)) {
      seen.add(c.apiKey);
      keys.push(c);
    }
  }
  return { keys, invalid };
}

/**
 * One key per line, optionally followed by an email and a project, separated by commas or tabs.
 * A line whose fields all look like keys (e.g. `key1,key2,key3`) is read as a list of bare keys.
 * Blank lines and lines starting with `#` are skipped; a key repeated in the input counts once.
 */
export function parseKeyText(text: string): ParsedKeys {
  const candidates: Array<NewKey | null> = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/[,\t]/).map((f) => f.trim());
    if (fields.length > 1 && fields.every((f) => f === '' || isPlausibleKey(f))) {
      for (const f of fields) if (f !== '') candidates.push(entry(f, null, null));
      continue;
    }
    const [apiKey = '', email = '', project = '', ...rest] = fields;
    candidates.push(rest.length > 0 ? null : entry(apiKey, email || null, project || null));
  }
  return collect(candidates);
}

/** `[{api_key, gmail_email?, project?}]` from the admin API; anything malformed counts as invalid. */
export function parseKeyList(list: unknown[]): ParsedKeys {
  return collect(
    list.map((item) => {
      if (typeof item !== 'object' || item === null) return null;
      const { api_key: apiKey, gmail_email: email, project } = item as Record<string, unknown>;
      if (typeof apiKey !== 'string') return null;
      if (email !== undefined && email !== null && typeof email !== 'string') return null;
      if (project !== undefined && project !== null && typeof project !== 'string') return null;
      return entry(
        apiKey.trim(),
        (email as string | null | undefined)?.trim() || null,
        (project as string | null | undefined)?.trim() || null,
      );
    }),
  );
}
