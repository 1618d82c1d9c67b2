/**
 * A first start that cannot listen (the port is taken) has already stored its generated
 * credentials, so it must still print them, with a hint about PORT, or the admin would be locked out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, spawnGateway, spawnServer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gkp-busy-port-'));
const databasePath = join(dir, 'pool.sqlite');
let blocker: Server | undefined;

afterAll(() => {
  blocker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a first start on a busy port', () => {
  it('exits with a hint about PORT and still prints the credentials it stored, which then work', async () => {
    const port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));

    const failed = await spawnServer(port, { DATABASE_PATH: databasePath });
    expect(await failed.exited).toBe(1);
    const output = failed.output();
    expect(output).toContain(`127.0.0.1:${port} is already in use; set PORT`);
    expect(output).not.toContain('EADDRINUSE');
    const adminToken = /Admin token[^:]*: (gkp_admin_\S+)/.exec(output)?.[1];
    const accessToken = /Access token for clients[^:]*: (\S+)/.exec(output)?.[1];
    expect(adminToken).toBeDefined();
    expect(accessToken).toBeDefined();

    const again = await spawnGateway({ DATABASE_PATH: databasePath });
    try {
      expect(again.output()).not.toContain('Admin token');
      const session = await fetch(`${again.url}/admin/api/session`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(session.status).toBe(200);
      const models = (token: string) =>
        fetch(`${again.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        );
      expect(await models('made-up-token')).toBe(401);
      expect(await models(accessToken!)).not.toBe(401);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});
