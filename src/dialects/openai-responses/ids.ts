/**
 * Item and response ids in OpenAI's style (`resp_…`, `msg_…`, `fc_…`): a prefix and 24 hex digits.
 * Ids need to be unique, not secret: 16 random digits drawn once per isolate (lazily, since Workers
 * refuse random values at startup) and an 8-digit counter, which costs far less than a random draw
 * per id.
 */
let base: string | null = null;
let counter = 0;

export function randomId(prefix: string): string {
  if (base === null) {
    base = '';
    for (const b of crypto.getRandomValues(new Uint8Array(8))) base += b.toString(16).padStart(2, '0');
  }
  counter = (counter + 1) >>> 0;
  return `${prefix}_${base}${counter.toString(16).padStart(8, '0')}`;
}
