/**
 * A streaming upstream for the chunk-delay measure: `POST /v1beta/openai/chat/completions` answers
 * the mock's own SSE frames (test/fixtures/mock-gemini), paced, with each chunk's content replaced by
 * `sent:<ns>`, the system-wide monotonic clock (`process.hrtime.bigint()`) just before the write.
 * Every process on the machine reads the same clock, so the client subtracts it from its receive time.
 *
 * CLI: `node --import tsx bench/stamp-upstream.ts --port N [--chunks 20] [--interval-ms 10]`
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { chatFrames } from '../test/fixtures/mock-gemini/streams.js';
import { listenAndAnnounce } from './announce.js';

const STAMP = '__SENT_AT__';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    chunks: { type: 'string', default: '20' },
    'interval-ms': { type: 'string', default: '10' },
  },
});
const chunks = Number(values.chunks);
const intervalMs = Number(values['interval-ms']);

/** Content frames with a placeholder where the send time goes; [DONE] stays as it is. */
const templates = chatFrames('gemini-2.5-flash', 5, chunks, null).map((frame) => {
  if (!frame.startsWith('data: {')) return frame;
  const chunk = JSON.parse(frame.slice(6)) as { choices: { delta: { content?: string } }[] };
  const delta = chunk.choices[0]?.delta;
  if (delta?.content !== undefined) delta.content = STAMP;
  return `data: ${JSON.stringify(chunk)}\n\n`;
});

const server = createServer({ keepAlive: true }, (req, res) => {
  req.resume();
  req.once('end', () => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1beta/openai/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('[{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}]');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      const frame = templates[i++] as string;
      res.write(frame.replace(STAMP, `sent:${process.hrtime.bigint()}`));
      if (i < templates.length) setTimeout(next, intervalMs);
      else res.end();
    };
    next();
  });
});
listenAndAnnounce(server, Number(values.port));
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
