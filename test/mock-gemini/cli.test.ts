import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bearer } from './helpers.js';

const MAIN = fileURLToPath(new URL('../fixtures/mock-gemini/main.ts', import.meta.url));

describe('mock gemini: CLI', () => {
  it('starts on the given options, prints its URL and serves requests', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--stream-chunks', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const url = line.toString().trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/v1beta/openai/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer() },
        body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ content: 'x' }] }),
      });
      expect((await res.text()).match(/^data: \{/gm)).toHaveLength(2);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  });
});
