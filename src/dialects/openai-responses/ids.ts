/** Item and response ids in OpenAI's style (`resp_…`, `msg_…`, `fc_…`): a prefix and 24 random hex digits. */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return `${prefix}_${hex}`;
}
