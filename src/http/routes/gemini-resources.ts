/**
 * Gemini's project-bound resources, each served by the key that owns it:
 * - the resumable upload (https://ai.google.dev/api/files#method:-media.upload): the start answer's
 *   `X-Goog-Upload-URL` is replaced by the gateway's own, so chunks come back through the gateway,
 *   and the upload session (which key, which upstream URL) is kept in the database;
 * - files (`GET`/`DELETE /v1beta/files/{id}`, `GET /v1beta/files` merged over every owning key);
 * - cached contents (https://ai.google.dev/api/caching);
 * - batches (https://ai.google.dev/api/batch-mode) and long-running operations.
 * Upload bytes stream through, never held whole, and are never parsed.
 */
import { expiryOf, resourceName, type ResourceKind } from '../../core/resources/resource-names.js';
import { scanResources } from '../../core/resources/reference-scan.js';
import type { PoolKey } from '../../core/types.js';
import {
  publicBody,
  type ExchangeResponse,
  type ResourceContext,
  type ResourceExchange,
} from '../../forward/resource-exchange.js';
import { JSON_CONTENT_TYPE, type Reply } from '../../forward/reply.js';
import type { ClientRequest } from '../client-request.js';
import { decodePathSegment, type ClientRoute, type RoutePlan, type RouteEntry } from '../client-route.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { GEMINI_NATIVE } from '../../dialects/gemini-native/dialect.js';
import { GEMINI_NATIVE_API } from '../../forward/upstream-api.js';
import { readJsonBody, validModel, type JsonBody } from '../request-body.js';

/** Google keeps a resumable upload session for a week. */
const UPLOAD_SESSION_MS = 7 * 86_400_000;
const decoder = new TextDecoder();

function parseJson(body: Uint8Array): Record<string, unknown> | null {
  if (body.byteLength === 0) return null;
  try {
    const json: unknown = JSON.parse(decoder.decode(body));
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function nameParam(kind: ResourceKind, raw: string): string {
  const name = resourceName(kind, decodePathSegment(raw));
  if (!name) throw new GatewayError(400, `Not a valid ${kind} name`, 'invalid_resource_name');
  return name;
}

/** Records the key that created a resource (`json.name`), with its expiry. */
async function recordCreated(
  json: Record<string, unknown> | null,
  key: PoolKey,
  ctx: ResourceContext,
): Promise<void> {
  const name = json?.name;
  if (typeof name !== 'string' || name === '') return;
  await ctx.ownership.record({
    name,
    keyId: key.id,
    project: key.project,
    accessTokenId: ctx.accessTokenId,
    upstream: null,
    createdAt: ctx.now,
    expiresAt: expiryOf(json!),
  });
}

/** The upstream JSON body, with Gemini's URLs in it (file URIs) made the gateway's own. */
const passJson = (res: ExchangeResponse, ctx: ResourceContext): Reply => ({
  status: res.status,
  headers: { 'content-type': JSON_CONTENT_TYPE },
  body: res.body.byteLength > 0 ? publicBody(res.body, ctx) : '{}',
});

const PASS: ResourceExchange = { answer: async (res, _key, ctx) => passJson(res, ctx) };

/** Answers with the upstream body and records the resource it created. */
const CREATE: ResourceExchange = {
  async answer(res, key, ctx) {
    await recordCreated(parseJson(res.body), key, ctx);
    return passJson(res, ctx);
  },
};

/** Answers with the upstream body and forgets the resource deleted. */
function deleting(name: string): ResourceExchange {
  return {
    async answer(res, _key, ctx) {
      await ctx.ownership.forget([name]);
      return passJson(res, ctx);
    },
  };
}

function plan(
  endpoint: string,
  method: RoutePlan['method'],
  path: string,
  over: Partial<RoutePlan>,
): RoutePlan {
  return {
    endpoint,
    model: null,
    path,
    method,
    upstream: GEMINI_NATIVE_API,
    stream: null,
    usage: null,
    exchange: PASS,
    ...over,
  };
}

// --- uploads -----------------------------------------------------------------------------------

/** Upload protocol headers passed upstream as they came; nothing else of the client's goes. */
const UPLOAD_HEADERS = [
  'x-goog-upload-protocol',
  'x-goog-upload-command',
  'x-goog-upload-offset',
  'x-goog-upload-header-content-length',
  'x-goog-upload-header-content-type',
  'x-goog-upload-file-name',
];

function uploadHeaders(req: ClientRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of UPLOAD_HEADERS) {
    const value = req.header(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

function sizeHeader(req: ClientRequest, name: string): number | null {
  const value = req.header(name);
  if (value === null || value.trim() === '') return null;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new GatewayError(400, `${name} must be a byte count`, 'invalid_upload');
  return n;
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(413, `An upload may hold at most ${limit} bytes`, 'upload_too_large');
}

/** The client's chunk, counted as it passes: more than `room` bytes fails the upload. */
async function* limited(source: AsyncIterable<Uint8Array>, room: number): AsyncIterable<Uint8Array> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > room) throw tooLarge(room);
    yield chunk;
  }
}

/** The start answer: the upload URL becomes the gateway's own, its session recorded for every process. */
const START_UPLOAD: ResourceExchange = {
  async answer(res, key, ctx) {
    const upstream = res.headers['x-goog-upload-url'];
    if (!upstream) return passJson(res, ctx);
    const url = new URL(upstream);
    const id = randomId();
    await ctx.ownership.record({
      name: `uploads/${id}`,
      keyId: key.id,
      project: key.project,
      accessTokenId: ctx.accessTokenId,
      upstream: url.pathname + url.search,
      createdAt: ctx.now,
      expiresAt: ctx.now + UPLOAD_SESSION_MS,
    });
    const headers: Record<string, string> = {
      'x-goog-upload-url': `${ctx.publicBase}/upload/v1beta/files?upload_id=${id}&upload_protocol=resumable`,
      'x-goog-upload-status': res.headers['x-goog-upload-status'] ?? 'active',
    };
    const granularity = res.headers['x-goog-upload-chunk-granularity'];
    if (granularity) headers['x-goog-upload-chunk-granularity'] = granularity;
    return { status: res.status, headers, body: '' };
  },
};

function uploadChunkExchange(session: string, headers: Record<string, string>): ResourceExchange {
  return {
    headers,
    async answer(res, key, ctx) {
      const status = res.headers['x-goog-upload-status'] ?? 'active';
      const out: Record<string, string> = { 'x-goog-upload-status': status };
      const received = res.headers['x-goog-upload-size-received'];
      if (received) out['x-goog-upload-size-received'] = received;
      if (status !== 'final') return { status: res.status, headers: out, body: '' };
      const json = parseJson(res.body);
      const file = json?.file;
      if (typeof file === 'object' && file !== null) {
        await recordCreated(file as Record<string, unknown>, key, ctx);
      }
      await ctx.ownership.forget([session]);
      return {
        status: res.status,
        headers: { ...out, 'content-type': JSON_CONTENT_TYPE },
        body: publicBody(res.body, ctx),
      };
    },
  };
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** `POST /upload/v1beta/files` (start, or a chunk of a session) and `PUT` (a chunk). */
const upload: ClientRoute = async (req, env) => {
  const { maxUploadBytes, maxBodyBytes } = env;
  const params = new URLSearchParams(req.query);
  const sessionId = params.get('upload_id');
  const headers = uploadHeaders(req);
  if (sessionId === null) {
    if (req.method !== 'POST' || !/\bstart\b/.test(headers['x-goog-upload-command'] ?? '')) {
      throw new GatewayError(
        400,
        'Start an upload with X-Goog-Upload-Protocol: resumable and X-Goog-Upload-Command: start',
        'invalid_upload',
      );
    }
    const declared = sizeHeader(req, 'x-goog-upload-header-content-length');
    if (declared !== null && declared > maxUploadBytes) throw tooLarge(maxUploadBytes);
    const body = await req.body(maxBodyBytes);
    return plan('files.upload.start', 'POST', '/upload/v1beta/files', {
      body,
      exchange: { ...START_UPLOAD, headers: { ...headers, 'content-type': 'application/json' } },
      affinity: 'files/',
    });
  }
  const session = nameParam('uploads', sessionId);
  const offset = sizeHeader(req, 'x-goog-upload-offset') ?? 0;
  const length = sizeHeader(req, 'content-length');
  if (offset + (length ?? 0) > maxUploadBytes) throw tooLarge(maxUploadBytes);
  if (length !== null) headers['content-length'] = String(length);
  headers['content-type'] = req.header('content-type') ?? 'application/octet-stream';
  return plan('files.upload', req.method === 'PUT' ? 'PUT' : 'POST', '', {
    body: limited(req.stream(), maxUploadBytes - offset),
    resources: [session],
    ownerRequired: true,
    exchange: uploadChunkExchange(session, headers),
  });
};

// --- files, caches, batches, operations --------------------------------------------------------

const getFile: ClientRoute = (_req, _limit, raw) => {
  const name = nameParam('files', raw);
  return plan('files.get', 'GET', `/v1beta/${name}`, { resources: [name] });
};

const deleteFile: ClientRoute = (_req, _limit, raw) => {
  const name = nameParam('files', raw);
  return plan('files.delete', 'DELETE', `/v1beta/${name}`, { resources: [name], exchange: deleting(name) });
};

const listOf =
  (kind: 'files' | 'cachedContents'): ClientRoute =>
  (req) =>
    plan(`${kind}.list`, 'GET', `/v1beta/${kind}`, { listing: { kind, query: req.query } });

/** Creating a cache spends its model's quota: the key is picked (or the owner checked) for that model. */
const createCache: ClientRoute = async (req, env) => {
  const { bytes, text, json } = await readJsonBody(req, env.maxBodyBytes);
  return plan('cachedContents.create', 'POST', '/v1beta/cachedContents', {
    model: validModel(json.model),
    body: bytes,
    resources: scanResources(text, json),
    exchange: CREATE,
  });
};

const getCache: ClientRoute = (_req, _limit, raw) => {
  const name = nameParam('cachedContents', raw);
  return plan('cachedContents.get', 'GET', `/v1beta/${name}`, { resources: [name] });
};

const patchCache: ClientRoute = async (req, env, raw) => {
  const name = nameParam('cachedContents', raw);
  const { bytes } = await readJsonBody(req, env.maxBodyBytes);
  const mask = new URLSearchParams(req.query).get('updateMask');
  const query = mask === null ? '' : `?updateMask=${encodeURIComponent(mask)}`;
  return plan('cachedContents.update', 'PATCH', `/v1beta/${name}${query}`, {
    body: bytes,
    resources: [name],
    exchange: CREATE,
  });
};

const deleteCache: ClientRoute = (_req, _limit, raw) => {
  const name = nameParam('cachedContents', raw);
  return plan('cachedContents.delete', 'DELETE', `/v1beta/${name}`, {
    resources: [name],
    exchange: deleting(name),
  });
};

const getBatch: ClientRoute = (_req, _limit, raw) => {
  const name = nameParam('batches', raw);
  return plan('batches.get', 'GET', `/v1beta/${name}`, { resources: [name] });
};

const deleteBatch: ClientRoute = (_req, _limit, raw) => {
  const name = nameParam('batches', raw);
  return plan('batches.delete', 'DELETE', `/v1beta/${name}`, { resources: [name], exchange: deleting(name) });
};

const batchAction: ClientRoute = (_req, _limit, raw) => {
  const call = decodePathSegment(raw);
  const colon = call.indexOf(':');
  if (colon <= 0 || call.slice(colon + 1) !== 'cancel') {
    throw new GatewayError(404, `${call.slice(0, 100)} is not a supported Gemini API method`, 'not_found');
  }
  const name = nameParam('batches', call.slice(0, colon));
  return plan('batches.cancel', 'POST', `/v1beta/${name}:cancel`, {
    resources: [name],
    body: new Uint8Array(),
  });
};

const getOperation: ClientRoute = (_req, _limit, raw) => {
  const name = nameParam('operations', raw);
  return plan('operations.get', 'GET', `/v1beta/${name}`, { resources: [name] });
};

/** `models/{m}:batchGenerateContent` and `:predictLongRunning`: create a batch or an operation. */
export function longRunningPlan(
  action: 'batchGenerateContent' | 'predictLongRunning',
  model: string,
  path: string,
  { bytes, text, json }: JsonBody,
): RoutePlan {
  return plan(action, 'POST', path, {
    model,
    body: bytes,
    resources: scanResources(text, json),
    exchange: CREATE,
  });
}

/** `GET models/{m}/operations/{id}`: a long-running operation named under its model. */
export const getModelOperation: ClientRoute = (_req, _limit, raw) => {
  const [rawModel, word, id, ...rest] = decodePathSegment(raw).split('/');
  if (word !== 'operations' || !id || rest.length > 0 || !resourceName('operations', id)) {
    throw new GatewayError(404, 'Not a long-running operation name', 'not_found');
  }
  const name = `models/${validModel(rawModel)}/operations/${id}`;
  return plan('operations.get', 'GET', `/v1beta/${name}`, { resources: [name] });
};

/** Routes below `/v1beta/` for files, caches, batches and operations. */
export const GEMINI_RESOURCE_ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: 'files', dialect: GEMINI_NATIVE, route: listOf('files') },
  { method: 'GET', path: 'files/:id', param: /^[^/:]+$/, dialect: GEMINI_NATIVE, route: getFile },
  { method: 'DELETE', path: 'files/:id', param: /^[^/:]+$/, dialect: GEMINI_NATIVE, route: deleteFile },
  { method: 'GET', path: 'cachedContents', dialect: GEMINI_NATIVE, route: listOf('cachedContents') },
  { method: 'POST', path: 'cachedContents', dialect: GEMINI_NATIVE, route: createCache },
  { method: 'GET', path: 'cachedContents/:id', param: /^[^/:]+$/, dialect: GEMINI_NATIVE, route: getCache },
  {
    method: 'PATCH',
    path: 'cachedContents/:id',
    param: /^[^/:]+$/,
    dialect: GEMINI_NATIVE,
    route: patchCache,
  },
  {
    method: 'DELETE',
    path: 'cachedContents/:id',
    param: /^[^/:]+$/,
    dialect: GEMINI_NATIVE,
    route: deleteCache,
  },
  { method: 'GET', path: 'batches/:id', param: /^[^/:]+$/, dialect: GEMINI_NATIVE, route: getBatch },
  { method: 'DELETE', path: 'batches/:id', param: /^[^/:]+$/, dialect: GEMINI_NATIVE, route: deleteBatch },
  {
    method: 'POST',
    path: 'batches/:call',
    param: /^[^/]+:[^/]+$/,
    dialect: GEMINI_NATIVE,
    route: batchAction,
  },
  { method: 'GET', path: 'operations/:id', param: /^[^/:]+$/, dialect: GEMINI_NATIVE, route: getOperation },
];

/** Routes below `/upload/v1beta/`. */
export const UPLOAD_ROUTES: readonly RouteEntry[] = [
  { method: 'POST', path: 'files', dialect: GEMINI_NATIVE, route: upload },
  { method: 'PUT', path: 'files', dialect: GEMINI_NATIVE, route: upload },
];
