/**
 * `encoding_format` of OpenAI's embeddings API. The official SDKs ask for `base64` by default and
 * decode whatever comes back as base64, while Google's endpoint answers float arrays: a client that
 * asked for base64 must get base64, or it reads zeros.
 */
import { float32Base64 } from '../../core/float32-base64.js';
import { GatewayError } from '../../forward/gateway-error.js';

export type EmbeddingEncoding = 'float' | 'base64';

/** The requested encoding; anything but `float`, `base64` or absent is refused, as OpenAI does. */
export function embeddingEncoding(value: unknown): EmbeddingEncoding {
  if (value === undefined || value === null || value === 'float') return 'float';
  if (value === 'base64') return 'base64';
  throw new GatewayError(400, "'encoding_format' must be float or base64", 'invalid_value', {
    param: 'encoding_format',
  });
}

/** Rewrites each `data[].embedding` float array to base64 float32; one already in base64 is kept. */
export function embeddingsAsBase64(json: unknown): unknown {
  const data = (json as { data?: unknown }).data;
  if (!Array.isArray(data)) return json;
  for (const item of data as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const entry = item as { embedding?: unknown };
    const values = entry.embedding;
    if (Array.isArray(values) && values.every((v) => typeof v === 'number')) {
      entry.embedding = float32Base64(values as number[]);
    }
  }
  return json;
}
