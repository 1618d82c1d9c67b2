/**
 * Stream reading shared by the Node and the workerd tests: web APIs only, no `node:*` imports,
 * since test/worker runs inside workerd.
 */

/** Reads `body` to its end or its first error: the text received before, and that error (null if it ended). */
export async function readUntilFailure(
  body: ReadableStream<Uint8Array>,
): Promise<{ text: string; failure: unknown }> {
  const reader = body.getReader();
  let text = '';
  const failure = await (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return null;
      text += new TextDecoder().decode(value);
    }
  })().catch((e: unknown) => e);
  return { text, failure };
}
