/**
 * A push-based byte stream for the streaming request path. A source calls its sink once per
 * chunk, so a chunk from the upstream reaches the client's socket in the same tick it arrived:
 * no web stream queue, read promise or timer per chunk (on Node those cost more than the chunk's
 * own handling). Web streams are made from it only where an API asks for one (`readableFrom`).
 */

/** Receives a body chunk by chunk. After `end` or `fail` it hears nothing more. */
export interface ChunkSink {
  /**
   * Takes a chunk. Returning false asks the source to pause until `ChunkFlow.resume()`. A source
   * may still deliver what it had already read (for undici, the rest of one socket read), which
   * the sink keeps.
   */
  write(chunk: Uint8Array): boolean;
  end(): void;
  fail(err: Error): void;
}

/** The sink's hold on a source it is connected to. */
export interface ChunkFlow {
  /** Continues after a `write` returned false; does nothing if the source is not paused. */
  resume(): void;
  /** Stops the source and releases what it holds; the sink hears nothing more. */
  cancel(reason: Error): void;
}

export interface ChunkSource {
  /**
   * Starts delivering to `sink`; call at most once. Chunks the source already holds may be
   * delivered before this returns, so a sink must not need the returned flow inside `write`.
   */
  pipe(sink: ChunkSink): ChunkFlow;
}

/** A web stream over `source`, for APIs that want one (a `Response` body). Pulls drive `resume`. */
export function readableFrom(source: ChunkSource, highWaterMark = 4): ReadableStream<Uint8Array> {
  let flow: ChunkFlow | null = null;
  // Erroring a web stream drops the chunks still queued, so a failure waits for the reader to take them.
  let failure: Error | null = null;
  const drained = (controller: ReadableStreamDefaultController<Uint8Array>) =>
    controller.desiredSize === highWaterMark;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        flow = source.pipe({
          write(chunk) {
            controller.enqueue(chunk);
            return (controller.desiredSize ?? 1) > 0;
          },
          end: () => controller.close(),
          fail: (err) => {
            if (drained(controller)) controller.error(err);
            else failure = err;
          },
        });
      },
      pull(controller) {
        if (failure) {
          if (drained(controller)) controller.error(failure);
          return;
        }
        flow?.resume();
      },
      cancel(reason) {
        flow?.cancel(reason instanceof Error ? reason : new Error('stream cancelled'));
      },
    },
    { highWaterMark },
  );
}

/** A source over a web stream: reads while the sink takes chunks, stops reading while it is paused. */
export function sourceFrom(
  stream: ReadableStream<Uint8Array>,
  onCancel?: (reason: Error) => void,
): ChunkSource {
  return {
    pipe(sink) {
      const reader = stream.getReader();
      let paused = false;
      let stopped = false;
      const pump = async (): Promise<void> => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (stopped) return;
            if (done) {
              stopped = true;
              sink.end();
              return;
            }
            if (!sink.write(value)) {
              paused = true;
              return;
            }
          }
        } catch (err) {
          if (stopped) return;
          stopped = true;
          sink.fail(err instanceof Error ? err : new Error(String(err)));
        }
      };
      void pump();
      return {
        resume() {
          if (!paused || stopped) return;
          paused = false;
          void pump();
        },
        cancel(reason) {
          if (stopped) return;
          stopped = true;
          onCancel?.(reason);
          reader.cancel(reason).catch(() => undefined);
        },
      };
    },
  };
}
