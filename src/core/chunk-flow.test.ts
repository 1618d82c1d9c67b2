import { describe, expect, it } from 'vitest';
import { HandSource } from '../../test/support/hand-source.js';
import { readableFrom, sourceFrom } from './chunk-flow.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk);

describe('readableFrom', () => {
  it('asks the source to pause once its queue is full, and resumes it as the reader pulls', async () => {
    const source = new HandSource();
    const reader = readableFrom(source, 2).getReader();
    await Promise.resolve();
    expect(source.send('a')).toBe(true);
    expect(source.send('b')).toBe(false);
    const resumesBefore = source.resumes;
    expect(text((await reader.read()).value)).toBe('a');
    expect(source.resumes).toBeGreaterThan(resumesBefore);
  });

  it('hands over the chunks queued before a failure, then fails', async () => {
    const source = new HandSource();
    const reader = readableFrom(source).getReader();
    await Promise.resolve();
    source.send('first');
    source.send('second');
    source.sink?.fail(new Error('reset'));
    expect(text((await reader.read()).value)).toBe('first');
    expect(text((await reader.read()).value)).toBe('second');
    await expect(reader.read()).rejects.toThrow('reset');
  });

  it('cancels the source when the reader cancels', async () => {
    const source = new HandSource();
    const reader = readableFrom(source).getReader();
    await reader.cancel(new Error('gone'));
    expect(source.cancelled?.message).toBe('gone');
  });
});

describe('sourceFrom', () => {
  it('stops reading while the sink refuses chunks, and reads on after resume()', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls += 1;
          if (pulls <= 3) controller.enqueue(bytes(String(pulls)));
          else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const seen: string[] = [];
    let taking = false;
    let ended = false;
    const flow = sourceFrom(stream).pipe({
      write(chunk) {
        seen.push(text(chunk));
        return taking;
      },
      end: () => (ended = true),
      fail: (err) => {
        throw err;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(['1']);
    taking = true;
    flow.resume();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual(['1', '2', '3']);
    expect(ended).toBe(true);
  });

  it('cancels the stream and tells its owner on cancel(), and then delivers nothing', async () => {
    let cancelledWith: unknown = null;
    const stream = new ReadableStream<Uint8Array>({
      cancel: (reason) => {
        cancelledWith = reason;
      },
    });
    const owner: Error[] = [];
    const calls: string[] = [];
    const flow = sourceFrom(stream, (reason) => owner.push(reason)).pipe({
      write: () => (calls.push('write'), true),
      end: () => calls.push('end'),
      fail: () => calls.push('fail'),
    });
    flow.cancel(new Error('client left'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(owner.map((e) => e.message)).toEqual(['client left']);
    expect((cancelledWith as Error).message).toBe('client left');
    expect(calls).toEqual([]);
  });
});
