/** A `ChunkSource` a test drives by hand, recording what its consumer asks of it. */
import type { ChunkFlow, ChunkSink, ChunkSource } from '../../src/core/chunk-flow.js';

export class HandSource implements ChunkSource {
  sink: ChunkSink | null = null;
  resumes = 0;
  cancelled: Error | null = null;

  pipe(sink: ChunkSink): ChunkFlow {
    this.sink = sink;
    return { resume: () => (this.resumes += 1), cancel: (reason) => (this.cancelled = reason) };
  }

  /** Sends a chunk; returns whether the consumer wants more. */
  send(text: string): boolean {
    if (!this.sink) throw new Error('nothing is connected to this source yet');
    return this.sink.write(new TextEncoder().encode(text));
  }
}
