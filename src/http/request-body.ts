/**
 * Reads and validates a JSON request body: size limit (413), content type (415), UTF-8 and JSON
 * syntax (400). The raw bytes are kept so the body can be forwarded untouched.
 */
import type { ClientRequest } from './client-request.js';
import { GatewayError } from '../forward/gateway-error.js';

export interface JsonBody {
  bytes: Uint8Array;
  /** The bytes decoded, for a search of the body's text (e.g. `scanResources`). */
  text: string;
  json: Record<string, unknown>;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Parses a JSON object body or throws a `GatewayError` with the right 4xx. */
export async function readJsonBody(
  req: Pick<ClientRequest, 'header' | 'body'>,
  limit: number,
): Promise<JsonBody> {
  const type = req.header('content-type');
  if (type !== null && type.trim() !== '' && !/json/i.test(type)) {
    throw new GatewayError(
      415,
      `Content-Type must be application/json, not ${type.slice(0, 100)}`,
      'unsupported_media_type',
    );
  }
  const bytes = await req.body(limit);
  if (bytes.byteLength === 0)
    throw new GatewayError(400, 'Request body is empty; expected a JSON object', 'invalid_json');
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new GatewayError(400, 'Request body is not valid UTF-8', 'invalid_encoding');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${err.message.slice(0, 200)}` : '';
    throw new GatewayError(400, `Request body is not valid JSON${detail}`, 'invalid_json');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GatewayError(400, 'Request body must be a JSON object', 'invalid_json');
  }
  if (nestsDeeperThan(json, MAX_JSON_DEPTH)) {
    throw new GatewayError(
      400,
      `Request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`,
      'invalid_json',
    );
  }
  return { bytes, text, json: json as Record<string, unknown> };
}

/**
 * Deeper than Google's own JSON parsing accepts (protobuf's recursion limit is 100), so nothing
 * valid is refused; a request nested thousands deep is stopped here rather than spending a key on it.
 */
const MAX_JSON_DEPTH = 128;

/** Walks objects and arrays without recursion (strings, however long, are leaves). */
function nestsDeeperThan(root: object, max: number): boolean {
  const stack: Array<{ value: object; depth: number }> = [{ value: root, depth: 1 }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    if (item.depth > max) return true;
    const children = Array.isArray(item.value) ? item.value : Object.values(item.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: item.depth + 1 });
    }
  }
  return false;
}

const MODEL_PATTERN = /^(models\/)?[A-Za-z0-9][A-Za-z0-9._\-@]{0,127}$/;

/** A model name safe to use in a path and as a cooldown key; without the `models/` prefix. */
export function validModel(model: unknown, param = 'model'): string {
  if (typeof model !== 'string' || model.trim() === '') {
    throw new GatewayError(400, `'${param}' is required and must be a non-empty string`, 'missing_model', {
      param,
    });
  }
  if (!MODEL_PATTERN.test(model)) {
    throw new GatewayError(400, `'${param}' is not a valid model name`, 'invalid_model', { param });
  }
  return model.startsWith('models/') ? model.slice(7) : model;
}
