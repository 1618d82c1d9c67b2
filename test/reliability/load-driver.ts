/**
 * A closed-loop load generator for the gateway: `concurrency` workers send a mix of chat
 * (non-streaming and streaming) and embedding requests and check that every answer is a complete
 * 200 or a well-formed OpenAI error. Used by the reliability tests and `scripts/load-test.ts`.
 */
import { Pool } from 'undici';

export interface LoadOptions {
  url: string;
  token: string;
  total: number;
  concurrency: number;
  /** Chat models to spread requests over (cooldowns are per model). */
  models?: string[];
  /** Stop sending new requests once this signal aborts (in-flight ones still finish or fail). */
  signal?: AbortSignal;
}

export interface LoadResult {
  sent: number;
  byStatus: Record<number, number>;
  /** 200s whose body was complete and well-formed. */
  ok: number;
  /** Answers that were neither a complete 200 nor a well-formed error, with a reason each. */
  malformed: string[];
  /** Requests that failed at the transport level (connection refused or reset). */
  transportErrors: number;
  elapsedMs: number;
}

const DEFAULT_MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.0-flash', 'gemini-3-flash-preview'];
const ERROR_STATUSES = new Set([429, 500, 502, 503, 504]);

type Kind = 'chat' | 'stream' | 'embed';

function requestFor(i: number, models: string[]): { kind: Kind; path: string; body: string } {
  const kind: Kind = i % 5 === 0 ? 'stream' : i % 5 === 1 ? 'embed' : 'chat';
  if (kind === 'embed') {
    return {
      kind,
      path: '/v1/embeddings',
      body: JSON.stringify({ model: 'gemini-embedding-001', input: `load ${i}` }),
    };
  }
  const model = models[i % models.length]!;
  const body: Record<string, unknown> = { model, messages: [{ role: 'user', content: `request ${i}` }] };
  if (kind === 'stream') body.stream = true;
  return { kind, path: '/v1/chat/completions', body: JSON.stringify(body) };
}

/** Why `text` is not a well-formed answer of `kind` with `status`, or null when it is. */
export function checkAnswer(
  kind: Kind,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
): string | null {
  if (status === 200) {
    if (kind === 'stream') return text.endsWith('data: [DONE]\n\n') ? null : 'stream without [DONE]';
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return 'a 200 whose body is not JSON';
    }
    const expected = kind === 'embed' ? 'list' : 'chat.completion';
    return json.object === expected ? null : `a 200 without object ${expected}`;
  }
  if (!ERROR_STATUSES.has(status)) return `unexpected status ${status}`;
  let error: Record<string, unknown> | undefined;
  try {
    error = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
  } catch {
    return `a ${status} whose body is not JSON`;
  }
  if (!error || typeof error.message !== 'string' || typeof error.type !== 'string') {
    return `a ${status} without an OpenAI error body`;
  }
  if (!('code' in error) || !('param' in error)) return `a ${status} error without code/param`;
  if (error.code === 'all_keys_cooling' && !(Number(headers['retry-after']) >= 1)) {
    return 'all_keys_cooling without Retry-After';
  }
  return null;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const models = opts.models ?? DEFAULT_MODELS;
  const pool = new Pool(opts.url, { connections: opts.concurrency, pipelining: 1 });
  const result: LoadResult = {
    sent: 0,
    byStatus: {},
    ok: 0,
    malformed: [],
    transportErrors: 0,
    elapsedMs: 0,
  };
  const started = performance.now();
  let next = 0;

  const worker = async () => {
    while (next < opts.total && !opts.signal?.aborted) {
      const i = next++;
      const { kind, path, body } = requestFor(i, models);
      result.sent += 1;
      try {
        const res = await pool.request({
          path,
          method: 'POST',
          headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
          body,
        });
        const text = await res.body.text();
        result.byStatus[res.statusCode] = (result.byStatus[res.statusCode] ?? 0) + 1;
        const problem = checkAnswer(kind, res.statusCode, res.headers, text);
        if (problem) result.malformed.push(`#${i} ${kind}: ${problem}: ${text.slice(0, 200)}`);
        else if (res.statusCode === 200) result.ok += 1;
      } catch {
        result.transportErrors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  result.elapsedMs = performance.now() - started;
  await pool.close().catch(() => undefined);
  return result;
}
