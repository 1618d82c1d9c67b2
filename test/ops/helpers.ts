/** Small helpers the ops tests share. */
import type { TestGateway } from '../support/gateway.js';

/** One chat completion through the gateway's OpenAI route; returns status, headers and body. */
export async function chat(
  gw: TestGateway,
  model = 'gemini-2.5-flash',
): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

/** The admin API's key entries, by masked key. */
export async function keysByMask(gw: TestGateway): Promise<Map<string, any>> {
  const res = await gw.admin('GET', '/keys?page_size=500');
  if (res.status !== 200) throw new Error(`GET /keys: ${res.status}`);
  return new Map((res.body.keys as any[]).map((k) => [k.key as string, k]));
}

/** Polls `check` every 50 ms until it holds, up to `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
