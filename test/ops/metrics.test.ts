/** `GET /metrics`: auth, and Prometheus text that a strict parser accepts, with the right numbers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { chat } from './helpers.js';
import { parsePrometheus } from './prometheus.js';

const LIMITED = fakeKey('metrics-limited');
const GOOD_A = fakeKey('metrics-good-a');
const GOOD_B = fakeKey('metrics-good-b');
const METRICS_TOKEN = 'metrics-token-0123456789';

let mock: MockGemini;
let gw: TestGateway;

const scrape = (token?: string) =>
  fetch(`${gw.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  mock = await startMockGemini();
  gw = await startNodeGateway({
    upstreamUrl: mock.url,
    keys: [LIMITED, GOOD_A, GOOD_B],
    env: { METRICS_TOKEN },
  });
});

afterAll(async () => {
  await gw?.close();
  await mock?.close();
});

describe('GET /metrics', () => {
  it('needs the admin token or METRICS_TOKEN, and the metrics token opens nothing else', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('wrong-token-0123456789')).status).toBe(401);
    expect((await scrape(METRICS_TOKEN)).status).toBe(200);
    expect((await scrape(gw.adminToken)).status).toBe(200);
    const admin = await fetch(`${gw.url}/admin/api/keys`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(admin.status).toBe(401);
  });

  it('parses as Prometheus text and counts attempts, retries, latency and keys by state', async () => {
    mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'], retryDelay: '58s' });
    for (let i = 0; i < 4; i++) expect((await chat(gw)).status).toBe(200);
    expect((await chat(gw, 'gemini-2.5-pro')).status).toBe(200);

    const res = await scrape(METRICS_TOKEN);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const m = parsePrometheus(text);

    const attempts = (model: string, status: string, outcome: string) =>
      m.value('gkp_upstream_requests_total', { endpoint: 'chat.completions', model, status, outcome });
    // The limited key was tried once for flash (then cooled); the retry and the rest went to good keys.
    expect(attempts('gemini-2.5-flash', '429', 'rate-limited')).toBe(1);
    expect(attempts('gemini-2.5-flash', '200', 'ok')).toBe(4);
    expect(attempts('gemini-2.5-pro', '200', 'ok')).toBe(1);
    expect(m.value('gkp_retries_total', { endpoint: 'chat.completions' })).toBe(1);
    expect(mock.stats().byKey[maskKey(LIMITED)]).toBe(2);

    expect(m.types.get('gkp_upstream_latency_seconds')).toBe('histogram');
    expect(m.value('gkp_upstream_latency_seconds_count', { endpoint: 'chat.completions' })).toBe(6);
    expect(m.value('gkp_upstream_latency_seconds_bucket', { endpoint: 'chat.completions', le: '+Inf' })).toBe(
      6,
    );

    expect(m.value('gkp_keys', { state: 'cooling' })).toBe(1);
    expect(m.value('gkp_keys', { state: 'active' })).toBe(2);
    expect(m.value('gkp_keys', { state: 'disabled' })).toBe(0);
    expect(m.value('gkp_usable_keys')).toBe(3);
    expect(m.value('gkp_tokens_total', { model: 'gemini-2.5-flash', kind: 'prompt' })).toBeGreaterThan(0);
    for (const key of [LIMITED, GOOD_A, GOOD_B]) expect(text).not.toContain(key);
  });

  it('the strict parser rejects what a scraper would reject', () => {
    const ok = '# TYPE a counter\na{x="1"} 2\n';
    expect(parsePrometheus(ok).value('a', { x: '1' })).toBe(2);
    for (const bad of [
      'a 1\n',
      '# TYPE a counter\na{x="1} 2\n',
      '# TYPE a counter\na{x="1"} two\n',
      '# TYPE a counter\na 1\na 2\n',
      '# TYPE a counter\na{x="\\q"} 1\n',
      '# TYPE a counter\na 1',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n',
    ]) {
      expect(() => parsePrometheus(bad), bad).toThrow();
    }
  });
});
