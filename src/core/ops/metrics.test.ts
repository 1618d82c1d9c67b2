import { describe, expect, it } from 'vitest';
import { GatewayMetrics, type AttemptSample } from './metrics.js';

const gauges = {
  keys: { active: 2, cooling: 1, disabled: 0 },
  usableKeys: 2,
  pendingWrites: 5,
  usageRowsDropped: 0,
};

function sample(over: Partial<AttemptSample> = {}): AttemptSample {
  return {
    endpoint: 'chat.completions',
    model: 'gemini-2.5-flash',
    status: 200,
    outcome: 'ok',
    latencyMs: 300,
    attempt: 1,
    tokens: { prompt: 10, completion: 4 },
    ...over,
  };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('GatewayMetrics', () => {
  it('counts attempts by endpoint, model, status and outcome, and retries', () => {
    const m = new GatewayMetrics();
    m.recordAttempt(sample({ status: 429, outcome: 'rate-limited', tokens: { prompt: 0, completion: 0 } }));
    m.recordAttempt(sample({ attempt: 2 }));
    m.recordAttempt(sample({ attempt: 3 }));
    const text = m.render(gauges);
    expect(lines(text)).toEqual(
      expect.arrayContaining([
        'gkp_upstream_requests_total{endpoint="chat.completions",model="gemini-2.5-flash",status="429",outcome="rate-limited"} 1',
        'gkp_upstream_requests_total{endpoint="chat.completions",model="gemini-2.5-flash",status="200",outcome="ok"} 2',
        'gkp_retries_total{endpoint="chat.completions"} 2',
        'gkp_tokens_total{model="gemini-2.5-flash",kind="prompt"} 20',
        'gkp_tokens_total{model="gemini-2.5-flash",kind="completion"} 8',
        'gkp_keys{state="cooling"} 1',
        'gkp_usable_keys 2',
        'gkp_pending_writes 5',
      ]),
    );
    expect(text.endsWith('\n')).toBe(true);
  });

  it('puts each latency in every bucket at or above it, with sum and count', () => {
    const m = new GatewayMetrics();
    m.recordAttempt(sample({ latencyMs: 40 }));
    m.recordAttempt(sample({ latencyMs: 700 }));
    m.recordAttempt(sample({ latencyMs: 200_000 }));
    // Attempts with no response (status 0) or cut by the client say nothing about Gemini's latency.
    m.recordAttempt(sample({ status: 0, outcome: 'upstream-fault', latencyMs: 5 }));
    m.recordAttempt(sample({ status: 499, outcome: 'client-abort', latencyMs: 5 }));
    const got = lines(m.render(gauges)).filter((l) => l.startsWith('gkp_upstream_latency_seconds'));
    const value = (le: string) => got.find((l) => l.includes(`le="${le}"`))?.split(' ')[1];
    expect(value('0.05')).toBe('1');
    expect(value('0.5')).toBe('1');
    expect(value('1')).toBe('2');
    expect(value('120')).toBe('2');
    expect(value('+Inf')).toBe('3');
    expect(got).toContain('gkp_upstream_latency_seconds_count{endpoint="chat.completions"} 3');
    expect(got).toContain('gkp_upstream_latency_seconds_sum{endpoint="chat.completions"} 200.74');
  });

  it('escapes label values and records a missing model as an empty label', () => {
    const m = new GatewayMetrics();
    m.recordAttempt(sample({ model: 'a"b\\c\nd' }));
    m.recordAttempt(sample({ model: null, endpoint: 'models.list' }));
    const text = m.render(gauges);
    expect(text).toContain('model="a\\"b\\\\c\\nd"');
    expect(text).toContain(
      'gkp_upstream_requests_total{endpoint="models.list",model="",status="200",outcome="ok"} 1',
    );
  });

  it('folds client-chosen model names into "other" past its series cap', () => {
    const m = new GatewayMetrics();
    const none = { prompt: 0, completion: 0 };
    for (let i = 0; i < 2100; i++) m.recordAttempt(sample({ model: `m${i}`, tokens: none }));
    // Counted again: a model with its own series keeps it, one folded into "other" stays there.
    m.recordAttempt(sample({ model: 'm5', tokens: none }));
    m.recordAttempt(sample({ model: 'm2050', tokens: none }));
    const series = lines(m.render(gauges)).filter((l) => l.startsWith('gkp_upstream_requests_total'));
    expect(series).toHaveLength(2001);
    expect(series).toEqual(
      expect.arrayContaining([
        'gkp_upstream_requests_total{endpoint="chat.completions",model="other",status="200",outcome="ok"} 101',
        'gkp_upstream_requests_total{endpoint="chat.completions",model="m5",status="200",outcome="ok"} 2',
      ]),
    );
  });

  it('counts an endpoint and model into the same series, each listed once it has counted something', () => {
    const m = new GatewayMetrics();
    const failed = sample({ status: 0, outcome: 'upstream-fault', tokens: { prompt: 0, completion: 0 } });
    m.recordAttempt(failed);
    const first = m.render(gauges);
    expect(first).not.toContain('gkp_tokens_total{');
    expect(first).not.toContain('gkp_upstream_latency_seconds_count{');
    m.recordAttempt(sample());
    m.recordAttempt(sample({ tokens: { prompt: 10, completion: 0 } }));
    m.recordAttempt(failed);
    const prefix = 'gkp_upstream_requests_total{endpoint="chat.completions",model="gemini-2.5-flash"';
    expect(lines(m.render(gauges))).toEqual(
      expect.arrayContaining([
        `${prefix},status="0",outcome="upstream-fault"} 2`,
        `${prefix},status="200",outcome="ok"} 2`,
        'gkp_tokens_total{model="gemini-2.5-flash",kind="prompt"} 20',
        'gkp_tokens_total{model="gemini-2.5-flash",kind="completion"} 4',
        'gkp_upstream_latency_seconds_count{endpoint="chat.completions"} 2',
      ]),
    );
  });

  it('counts key checks by result', () => {
    const m = new GatewayMetrics();
    m.recordValidation('valid');
    m.recordValidation('valid');
    m.recordValidation('invalid');
    expect(lines(m.render(gauges))).toEqual(
      expect.arrayContaining([
        'gkp_key_validations_total{result="valid"} 2',
        'gkp_key_validations_total{result="invalid"} 1',
      ]),
    );
  });
});
