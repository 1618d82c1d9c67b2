/**
 * The README's "two gateways behind nginx" as written: its nginx config, taken from the README (the
 * same block in both languages), in front of two gateway processes on one PostgreSQL database. Both
 * gateways serve, streams pass, and when one is killed nginx sends everything to the other.
 * Runs when nginx is installed (Debian's `nginx`), skipped otherwise.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { findNginx, nginxMainConfig, runNginx, type RunningNginx } from '../../bench/nginx.js';
import { chat, freePort, ROOT } from '../reliability/helpers.js';
import {
  CLUSTER_ACCESS_TOKEN,
  CLUSTER_ADMIN_TOKEN,
  startGatewayCluster,
  type GatewayCluster,
} from '../support/gateway-cluster.js';
import { fakeKey } from '../support/keys.js';
import { createTestDatabase, postgresMissing } from '../support/postgres-server.js';

const nginxBinary = findNginx();

/** The nginx config between `<<'NGINX'` and `NGINX` in a README. */
function readmeNginxBlock(file: string): string {
  const text = readFileSync(`${ROOT}/${file}`, 'utf8');
  const match = /<<'NGINX'\n([\s\S]*?)\nNGINX\n/.exec(text);
  if (!match) throw new Error(`${file} has no nginx config block`);
  return match[1]!;
}

let cluster: GatewayCluster | undefined;
let nginx: RunningNginx | undefined;

afterAll(async () => {
  await nginx?.stop();
  await cluster?.close();
});

/** How many upstream requests gateway `url` made, from its own /metrics. */
async function upstreamRequests(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}` } });
  const text = await res.text();
  return [...text.matchAll(/^gkp_upstream_requests_total\{[^}]*\} (\d+)$/gm)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
}

describe.skipIf(postgresMissing() || nginxBinary === null)("the README's two gateways behind nginx", () => {
  it('serves through both gateways, streams, and goes on through one when the other is killed', async () => {
    const block = readmeNginxBlock('README.md');
    expect(readmeNginxBlock('README.zh-CN.md')).toBe(block);
    cluster = await startGatewayCluster({
      count: 2,
      database: { DATABASE_URL: await createTestDatabase() },
      env: { TRUST_PROXY: '1' },
    });
    const port = await freePort();
    const [one, two] = [new URL(cluster.url(0)).host, new URL(cluster.url(1)).host];
    const http = block
      .replace('listen 8080;', `listen 127.0.0.1:${port};`)
      .replace('127.0.0.1:8787', one)
      .replace('127.0.0.1:8788', two);
    expect(http).not.toMatch(/8080|8787|8788/);
    nginx = await runNginx(nginxBinary!, port, (prefix) => nginxMainConfig(prefix, '1', http));

    const added = await fetch(`${nginx.url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLUSTER_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: [fakeKey('nginx-a'), fakeKey('nginx-b')].join('\n') }),
    });
    expect(added.status).toBe(200);
    expect(((await added.json()) as { added: number }).added).toBe(2);
    expect((await fetch(`${nginx.url}/healthz`)).status).toBe(200);

    // Each gateway learns of the keys from the other within a second; poll through nginx until both serve.
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await chat(nginx.url, CLUSTER_ACCESS_TOKEN);
      await res.arrayBuffer();
      statuses.push(res.status);
      if (i >= 10 && statuses.slice(-10).every((s) => s === 200)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(statuses.slice(-10)).toEqual(Array(10).fill(200));
    expect(await upstreamRequests(cluster.url(0))).toBeGreaterThan(0);
    expect(await upstreamRequests(cluster.url(1))).toBeGreaterThan(0);

    const stream = await chat(nginx.url, CLUSTER_ACCESS_TOKEN, { stream: true });
    expect(stream.status).toBe(200);
    expect(await stream.text()).toMatch(/data: \[DONE\]\n\n$/);

    await cluster.kill(1);
    const after = await Promise.all(
      Array.from({ length: 20 }, () => chat(nginx!.url, CLUSTER_ACCESS_TOKEN).then((r) => r.status)),
    );
    expect(after).toEqual(Array(20).fill(200));
  }, 90_000);
});
