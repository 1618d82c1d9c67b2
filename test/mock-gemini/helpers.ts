/** Small fetch helpers shared by the mock-gemini tests. */
export const KEY = 'AIzaSyTEST0000000000000000000000000Xy12';

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function bearer(key = KEY): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export function googKey(key = KEY): Record<string, string> {
  return { 'x-goog-api-key': key };
}

/** The JSON payloads of `data: …` SSE events, split on `separator`. */
export function sseEvents(text: string, separator: string): string[] {
  return text
    .split(separator)
    .filter((event) => event !== '')
    .map((event) => {
      if (!event.startsWith('data: ')) throw new Error(`not an SSE data event: ${JSON.stringify(event)}`);
      return event.slice(6);
    });
}

/** Polls `check` until it returns true (the mock updates counters asynchronously on socket close). */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
