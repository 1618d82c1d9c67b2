/** Parsing keys to add, from the CLI, the admin API and `GEMINI_API_KEYS`. */
import type { NewKey } from '../types.js';
import { isPlausibleKey } from './mask.js';

export interface ParsedKeys {
  keys: NewKey[];
  /** Entries rejected: a bad key, email or project, or an entry of the wrong type. */
  invalid: number;
}

/** What a key's project may be: a Google Cloud project id or number. Shared by the API, the CLI and the panel. */
export const PROJECT_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** What a key group's name may be (`*`, meaning any key, is for tokens only). Shared by the API, the CLI and the panel. */
export const GROUP_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** The longest email stored with a key. */
export const MAX_EMAIL_LENGTH = 320;

type Field<T> = { ok: true; value: T } | { ok: false };

/** `undefined`, `null` or blank → null; otherwise a string of at most 320 characters. */
function email(v: unknown): Field<string | null> {
  if (v === undefined || v === null) return { ok: true, value: null };
  if (typeof v !== 'string') return { ok: false };
  const s = v.trim();
  if (s === '') return { ok: true, value: null };
  return s.length <= MAX_EMAIL_LENGTH ? { ok: true, value: s } : { ok: false };
}

/** `undefined`, `null` or blank → null; otherwise a string matching `pattern`. */
function named(v: unknown, pattern: RegExp): Field<string | null> {
  if (v === undefined || v === null) return { ok: true, value: null };
  if (typeof v !== 'string') return { ok: false };
  const s = v.trim();
  if (s === '') return { ok: true, value: null };
  return pattern.test(s) ? { ok: true, value: s } : { ok: false };
}

/** A key group from user input: null for none, the trimmed name, or undefined when it is not a valid name. */
export function parseGroup(v: unknown): string | null | undefined {
  const g = named(v, GROUP_PATTERN);
  return g.ok ? g.value : undefined;
}

/** Collects entries, keeping the first of each key. */
class Collector {
  readonly #seen = new Map<string, NewKey>();
  invalid = 0;

  add(apiKey: unknown, rawEmail: unknown, rawProject: unknown, rawGroup?: unknown): void {
    const key = typeof apiKey === 'string' ? apiKey.trim() : '';
    const e = email(rawEmail);
    const p = named(rawProject, PROJECT_PATTERN);
    const g = named(rawGroup, GROUP_PATTERN);
    if (!isPlausibleKey(key) || !e.ok || !p.ok || !g.ok) {
      this.invalid++;
      return;
    }
    if (!this.#seen.has(key)) {
      this.#seen.set(key, {
        apiKey: key,
        email: e.value,
        project: p.value,
        ...(g.value ? { group: g.value } : {}),
      });
    }
  }

  result(): ParsedKeys {
    return { keys: [...this.#seen.values()], invalid: this.invalid };
  }
}

/**
 * Keys from text, one entry per line: `key[,email[,project[,group]]]`, fields separated by a tab when the
 * line has one, else by commas, each trimmed. Blank lines and lines starting with `#` are ignored.
 *
 * A line whose second field is itself a plausible key is a list of keys instead (the
 * `GEMINI_API_KEYS` format: keys separated by commas or newlines). This cannot misread an entry:
 * an email contains `@`, which a key never does, and a project stands third, after the email.
 * Each field of such a line is one key; a field that is not a plausible key counts as invalid.
 *
 * Duplicates within the input collapse to their first occurrence.
 */
export function parseKeyText(text: string): ParsedKeys {
  const out = new Collector();
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(line.includes('\t') ? '\t' : ',').map((f) => f.trim());
    if (fields.length >= 2 && isPlausibleKey(fields[1] ?? '')) {
      for (const f of fields) if (f !== '') out.add(f, null, null);
      continue;
    }
    if (fields.length > 4) {
      out.invalid++;
      continue;
    }
    out.add(fields[0], fields[1], fields[2], fields[3]);
  }
  return out.result();
}

/**
 * Keys from the admin API's `[{api_key, gmail_email?, project?, group?}]`. An entry that is not an object,
 * or has a field of the wrong type or shape, counts as invalid; a `list` that is not an array is
 * one invalid entry. Duplicates collapse to their first occurrence.
 */
export function parseKeyList(list: unknown): ParsedKeys {
  const out = new Collector();
  if (!Array.isArray(list)) return { keys: [], invalid: 1 };
  for (const item of list) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      out.invalid++;
      continue;
    }
    const entry = item as Record<string, unknown>;
    out.add(entry.api_key, entry.gmail_email, entry.project, entry.group);
  }
  return out.result();
}
