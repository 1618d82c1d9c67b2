/** Shared helpers for the native Gemini API tests on Node: suite setup, pool state and usage rows via the admin API. */
import { GoogleGenAI } from '@google/genai';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { KeyEntry, UsageRow } from '../../admin-ui/src/lib/types.js';
import { startMockGemini, type MockGemini, type MockOptions } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';

/** An `@google/genai` program pointed at the gateway: only the base URL and the key differ from Google's. */
export function genai(gw: TestGateway, apiKey = gw.accessToken): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: gw.url } });
}

export async function keyByMask(gw: TestGateway, masked: string): Promise<KeyEntry> {
  const res = await gw.admin('GET', '/keys?page_size=500');
  const key = (res.body.keys as KeyEntry[]).find((k) => k.key === masked);
  if (!key) throw new Error(`no key ${masked}`);
  return key;
}

/** Usage rows, newest first (the admin API flushes the write buffer before answering). */
export async function usageRows(gw: TestGateway, query: string): Promise<UsageRow[]> {
  const res = await gw.admin('GET', `/usage?${query}`);
  if (res.status !== 200) throw new Error(`usage: HTTP ${res.status}`);
  return res.body.usage as UsageRow[];
}

/** Replaces every key of the pool with `keys`, all enabled and without errors. */
export async function replaceKeys(gw: TestGateway, keys: string[]): Promise<void> {
  const list = await gw.admin('GET', '/keys?page_size=500');
  const ids = (list.body.keys as KeyEntry[]).map((k) => k.id);
  if (ids.length > 0) await gw.admin('POST', '/keys/bulk', { action: 'delete', ids });
  const added = await gw.admin('POST', '/keys', { text: keys.join('\n') });
  if (added.body?.added !== keys.length) throw new Error(`keys not added: ${JSON.stringify(added.body)}`);
}

/**
 * Registers the suite's hooks (call once at the top level of a test file): a mock upstream and a
 * gateway with `keys` for the whole file, the mock reset after every test. Returns both.
 */
export function useNativeSuite(
  keys: string[],
  mockOptions?: Partial<MockOptions>,
): { mock(): MockGemini; gw(): TestGateway } {
  let mock: MockGemini;
  let gw: TestGateway;

  beforeAll(async () => {
    mock = await startMockGemini(mockOptions);
    gw = await startNodeGateway({ upstreamUrl: mock.url, keys });
  });

  afterAll(async () => {
    await gw?.close();
    await mock?.close();
  });

  afterEach(() => {
    mock.reset();
  });

  return { mock: () => mock, gw: () => gw };
}
