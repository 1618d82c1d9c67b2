/**
 * Float vectors as base64 of their float32 little-endian bytes, the `encoding_format: "base64"`
 * form of OpenAI's embeddings API. Portable (no Node `Buffer`): the numbers are written once into a
 * Float32Array, and its bytes are encoded in one pass into one string.
 * Spec: https://platform.openai.com/docs/api-reference/embeddings/create#embeddings-create-encoding_format
 */

const CODES = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) =>
  c.charCodeAt(0),
);
const PAD = 61; // '='
const ascii = new TextDecoder();
/** Float32Array uses the platform's byte order; every platform this runs on is little-endian, but check. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Standard base64 (with padding) of `bytes`. */
export function base64Of(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = CODES[n >> 18]!;
    out[o++] = CODES[(n >> 12) & 63]!;
    out[o++] = CODES[(n >> 6) & 63]!;
    out[o++] = CODES[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o] = CODES[n >> 18]!;
    out[o + 1] = CODES[(n >> 12) & 63]!;
    out[o + 2] = rest === 2 ? CODES[(n >> 6) & 63]! : PAD;
    out[o + 3] = PAD;
  }
  return ascii.decode(out);
}

/** The base64 of `values` as float32, little-endian. */
export function float32Base64(values: readonly number[]): string {
  const floats = Float32Array.from(values);
  const bytes = new Uint8Array(floats.buffer);
  if (!LITTLE_ENDIAN) {
    const view = new DataView(floats.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  }
  return base64Of(bytes);
}
