/**
 * Repeated failed admin sign-ins are slowed down per client address: after a few free failures
 * the address gets 429 with Retry-After, even for the right token, while another address signs in.
 */
import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/crypto.js';
import { AdminAuth } from '../../src/http/admin-auth.js';
import type { TestGateway } from '../support/gateway.js';
import { useMockWithGateways } from '../support/mock-gateways.js';

describe('AdminAuth with a controlled clock', () => {
  const clock = { now: () => 0 };
  const make = async () =>
    new AdminAuth({ adminTokenHash: await sha256Hex('right'), metricsTokenHash: null, clock });

  it('allows five free failures, then locks the address for a growing time', async () => {
    clock.now = () => 1_000_000;
    const auth = await make();
    for (let i = 0; i < 5; i++)
      expect(await auth.verify('wrong', '10.0.0.1')).toEqual({ ok: false, reason: 'invalid' });
    // The sixth failure starts a one-second lock.
    expect(await auth.verify('wrong', '10.0.0.1')).toEqual({ ok: false, reason: 'invalid' });
    expect(await auth.verify('right', '10.0.0.1')).toEqual({
      ok: false,
      reason: 'locked',
      retryAfterSeconds: 1,
    });
    // Each further failure doubles the wait.
    const waits: number[] = [];
    let now = 1_000_000;
    for (let i = 0; i < 12; i++) {
      now += 16 * 60_000;
      clock.now = () => now;
      expect((await auth.verify('wrong', '10.0.0.1')).ok).toBe(false);
      const locked = await auth.verify('wrong', '10.0.0.1');
      waits.push(locked.ok === false && locked.reason === 'locked' ? locked.retryAfterSeconds : -1);
    }
    expect(waits.slice(0, 5)).toEqual([2, 4, 8, 16, 32]);
    expect(Math.max(...waits)).toBe(15 * 60);
  });

  it('forgets the failures of an address that has been quiet for an hour', async () => {
    let now = 9_000_000;
    clock.now = () => now;
    const auth = await make();
    for (let i = 0; i < 6; i++) await auth.verify('wrong', '10.0.0.9');
    now += 59 * 60_000;
    expect(await auth.verify('wrong', '10.0.0.9')).toEqual({ ok: false, reason: 'invalid' });
    expect((await auth.verify('right', '10.0.0.9')).ok).toBe(false);
    now += 61 * 60_000;
    for (let i = 0; i < 5; i++) {
      expect(await auth.verify('wrong', '10.0.0.9')).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(await auth.verify('right', '10.0.0.9')).toEqual({ ok: true });
  });

  it('keeps addresses apart, and a success clears the count', async () => {
    clock.now = () => 5_000_000;
    const auth = await make();
    for (let i = 0; i < 6; i++) await auth.verify('wrong', '10.0.0.1');
    expect((await auth.verify('right', '10.0.0.1')).ok).toBe(false);
    expect(await auth.verify('right', '10.0.0.2')).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) await auth.verify('wrong', '10.0.0.3');
    expect(await auth.verify('right', '10.0.0.3')).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) expect((await auth.verify('wrong', '10.0.0.3')).ok).toBe(false);
    expect(await auth.verify('wrong', '10.0.0.3')).toEqual({ ok: false, reason: 'invalid' });
  });
  it('keeps a lockout through failures from 10,000 other addresses, forgetting the idle ones first', async () => {
    clock.now = () => 7_000_000;
    const auth = await make();
    for (let i = 0; i < 6; i++) await auth.verify('wrong', '10.9.9.9');
    const flood = async (from: number) => {
      for (let i = from; i < from + 5_000; i++) await auth.verify('wrong', `10.1.${i >> 8}.${i & 255}`);
    };
    await flood(0);
    expect(await auth.verify('right', '10.9.9.9')).toMatchObject({ ok: false, reason: 'locked' });
    await flood(5_000);
    expect(await auth.verify('right', '10.9.9.9')).toMatchObject({ ok: false, reason: 'locked' });
  });
});

describe('over HTTP, from two loopback addresses', () => {
  const suite = useMockWithGateways();
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await suite.start();
  });

  /** GET /admin/api/session from `localAddress` (127.0.0.2 reaches the 127.0.0.1 listener on Linux). */
  function session(token: string, localAddress: string) {
    return new Promise<{ status: number; retryAfter: string | undefined; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${gw.url}/admin/api/session`,
          { headers: { authorization: `Bearer ${token}` }, localAddress, agent: false },
          (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                retryAfter: res.headers['retry-after'] as string,
                body,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
  }

  it('answers 429 with Retry-After to the failing address; the right token from another address works', async () => {
    const statuses: number[] = [];
    let locked: Awaited<ReturnType<typeof session>> | undefined;
    for (let i = 0; i < 20 && !locked; i++) {
      const res = await session(`wrong-${i}`, '127.0.0.1');
      statuses.push(res.status);
      if (res.status === 429) locked = res;
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(locked).toBeDefined();
    expect(Number(locked!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(locked!.body).error).toMatchObject({
      type: 'rate_limit_error',
      code: 'too_many_attempts',
    });

    const other = await session(gw.adminToken, '127.0.0.2');
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body)).toEqual({ ok: true });
    // The failing address stays slowed down, even with the right token, until its wait is over.
    const same = await session(gw.adminToken, '127.0.0.1');
    expect([429, 200]).toContain(same.status);
    if (same.status === 429) expect(Number(same.retryAfter)).toBeGreaterThanOrEqual(1);
  });
});

describe('behind a reverse proxy', () => {
  const suite = useMockWithGateways();

  /** Fails six times as one forwarded client, then tries the right token as another. */
  async function lockOneForwardedClient(env: Record<string, string>): Promise<number> {
    const gw = await suite.start({ env });
    const session = (token: string, forwardedFor: string) =>
      fetch(`${gw.url}/admin/api/session`, {
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor },
      }).then((res) => res.status);
    for (let i = 0; i < 7; i++) await session('wrong', '203.0.113.1');
    expect(await session(gw.adminToken, '203.0.113.1')).toBe(429);
    return session(gw.adminToken, '203.0.113.2');
  }

  it('counts failures per forwarded client with TRUST_PROXY, and ignores the header without it', async () => {
    expect(await lockOneForwardedClient({ TRUST_PROXY: '1' })).toBe(200);
    expect(await lockOneForwardedClient({})).toBe(429);
  });
});
