import { describe, expect, it } from 'vitest';
import { bearer, sseEvents, until } from './helpers.js';
import { useMockGemini } from './suite.js';

const mock = useMockGemini();

const CHAT = '/v1beta/openai/chat/completions';
const chat = (stream = false, signal?: AbortSignal) =>
  fetch(mock().url + CHAT, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer() },
    body: JSON.stringify({ model: 'gemini-2.5-flash', stream, messages: [{ content: 'hello' }] }),
    signal,
  });

describe('mock gemini: faults', () => {
  it('reset-before-headers destroys the connection on arrival', async () => {
    mock().configure({ fault: 'reset-before-headers' });
    await expect(chat()).rejects.toThrow();
    const stats = mock().stats();
    expect(stats.requests).toBe(1);
    expect(stats.byStatus).toEqual({});
    expect(stats.aborted).toBe(0);
  });

  it('reset-mid-body sends headers and part of the body, then destroys', async () => {
    mock().configure({ fault: 'reset-mid-body' });
    const res = await chat();
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();

    const stream = await chat(true);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: \{/);
    await expect(
      (async () => {
        while (!(await reader.read()).done);
      })(),
    ).rejects.toThrow();
    expect(mock().stats().ok).toBe(0);
    expect(mock().stats().aborted).toBe(0);
  });

  it('stall-mid-stream sends some chunks, then holds the socket open until the client leaves', async () => {
    mock().configure({ fault: 'stall-mid-stream', streamChunks: 4 });
    const controller = new AbortController();
    const res = await chat(true, controller.signal);
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const events = sseEvents(new TextDecoder().decode(value), '\n\n');
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(5);
    expect(events).not.toContain('[DONE]');
    expect(mock().stats().aborted).toBe(0);
    controller.abort();
    await until(() => mock().stats().aborted === 1, 'the abort to be counted');
    expect(mock().stats().ok).toBe(0);
  });

  it('empty-200 and garbage-200', async () => {
    mock().configure({ fault: 'empty-200', faultCount: 1 });
    const empty = await chat();
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    mock().configure({ fault: 'garbage-200', faultCount: 1 });
    const garbage = await chat();
    expect(garbage.status).toBe(200);
    expect(await garbage.text()).toBe('{"choi');
  });

  it('hang never answers; the client leaving counts as aborted', async () => {
    mock().configure({ fault: 'hang' });
    const controller = new AbortController();
    const pending = chat(false, controller.signal);
    await until(() => mock().stats().requests === 1, 'the request to arrive');
    controller.abort();
    await expect(pending).rejects.toThrow();
    await until(() => mock().stats().aborted === 1, 'the abort to be counted');
    expect(mock().stats().byStatus).toEqual({});
  });

  it('faultCount limits how many requests get the fault', async () => {
    mock().configure({ fault: 'garbage-200', faultCount: 2 });
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push(await (await chat()).text());
    expect(bodies.slice(0, 2)).toEqual(['{"choi', '{"choi']);
    expect(JSON.parse(bodies[2] as string).object).toBe('chat.completion');
  });

  it('a fault without a count lasts until cleared', async () => {
    mock().configure({ fault: 'empty-200' });
    for (let i = 0; i < 3; i++) expect(await (await chat()).text()).toBe('');
    mock().configure({ fault: null });
    expect((await chat()).status).toBe(200);
    expect(mock().stats().ok).toBe(4);
  });

  it('pacing chunks with chunkIntervalMs keeps the same stream', async () => {
    const plain = sseEvents(await (await chat(true)).text(), '\n\n').length;
    mock().configure({ chunkIntervalMs: 5, latencyMs: 5 });
    const paced = await (await chat(true)).text();
    expect(sseEvents(paced, '\n\n')).toHaveLength(plain);
    expect(paced.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('mock gemini: injected error rates', () => {
  it('rate500 / rate503 / rate429 answer Google’s bodies (array-wrapped on OpenAI paths)', async () => {
    mock().configure({ rate500: 1 });
    const internal = await chat();
    expect(internal.status).toBe(500);
    expect((await internal.json())[0].error.status).toBe('INTERNAL');

    mock().configure({ rate500: 0, rate503: 1 });
    const unavailable = await chat();
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toEqual([
      {
        error: {
          code: 503,
          message: 'The model is overloaded. Please try again later.',
          status: 'UNAVAILABLE',
        },
      },
    ]);

    mock().configure({ rate503: 0, rate429: 1 });
    const limited = await chat();
    expect(limited.status).toBe(429);
    const error = (await limited.json())[0].error;
    const quota = error.details.find((d: { '@type': string }) => d['@type'].endsWith('QuotaFailure'));
    expect(quota.violations[0].quotaId).toBe('GenerateRequestsPerMinutePerProjectPerModel-FreeTier');
    expect(quota.violations[0].quotaDimensions.model).toBe('gemini-2.5-flash');
  });

  it('the same seed gives the same sequence of injected errors', async () => {
    const run = async () => {
      mock().configure({ rate503: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) statuses.push((await chat()).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(200);
    expect(first).toContain(503);
    expect(await run()).toEqual(first);
  });

  it('does not inject errors into model listing', async () => {
    mock().configure({ rate500: 1 });
    const res = await fetch(mock().url + '/v1beta/openai/models', { headers: bearer() });
    expect(res.status).toBe(200);
  });
});
