/** The bad-input corpus: HTTP cases sent with fetch and raw cases written to a socket. */
import { fakeKey } from '../support/keys.js';

export const MODEL = 'gemini-2.5-flash';
/** The gateway under test runs with `MAX_BODY_MB` set to this. */
export const BODY_LIMIT_MB = 20;
const LIMIT = BODY_LIMIT_MB * 1024 * 1024;
export const SQL = "' OR '1'='1'; DROP TABLE api_keys; --";
export const SCRIPT = '<script>alert(document.cookie)</script>';

export type Auth = 'client' | 'goog' | 'admin' | 'none';

export interface HttpCase {
  name: string;
  method?: string;
  path: string;
  /** Default: `client` under /v1, `goog` under /v1beta, `admin` under /admin/api, else none. */
  auth?: Auth;
  /** Default application/json when there is a body; null sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  status: number;
  code?: string;
  /** Response headers the answer must carry. */
  answerHeaders?: Record<string, string>;
  /** Text the error message must contain. */
  message?: string;
}

export interface RawCase {
  name: string;
  /** The request head and body; `{auth}` is replaced by a valid access token. */
  raw: string;
  status: number;
}

export const json = (value: unknown) => JSON.stringify(value);
export const chatBody = (extra: Record<string, unknown> = {}) =>
  json({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...extra });
const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const nested = (depth: number) =>
  `{"model":"${MODEL}","messages":[],"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;

const CHAT = '/v1/chat/completions';
const NATIVE = `/v1beta/models/${MODEL}:generateContent`;

export const HTTP_CASES: HttpCase[] = [
  // Malformed, huge and deeply nested JSON.
  { name: 'truncated JSON', path: CHAT, body: '{"model":', status: 400, code: 'invalid_json' },
  { name: 'trailing comma', path: CHAT, body: `{"model":"${MODEL}",}`, status: 400, code: 'invalid_json' },
  { name: 'single quotes', path: CHAT, body: `{'model':'${MODEL}'}`, status: 400, code: 'invalid_json' },
  { name: 'a JSON array', path: CHAT, body: '[1,2,3]', status: 400, code: 'invalid_json' },
  { name: 'a JSON string', path: CHAT, body: '"hello"', status: 400, code: 'invalid_json' },
  { name: 'JSON null', path: CHAT, body: 'null', status: 400, code: 'invalid_json' },
  { name: 'an empty body', path: CHAT, body: '', status: 400, code: 'invalid_json' },
  { name: 'whitespace only', path: CHAT, body: ' \n\t ', status: 400, code: 'invalid_json' },
  {
    name: 'NaN literal',
    path: CHAT,
    body: `{"model":"${MODEL}","temperature":NaN}`,
    status: 400,
    code: 'invalid_json',
  },
  { name: 'array nested 100,000 deep', path: CHAT, body: '['.repeat(1e5) + ']'.repeat(1e5), status: 400 },
  { name: 'a field nested 100,000 deep', path: CHAT, body: nested(1e5), status: 400, code: 'invalid_json' },
  { name: 'a field nested 1,000 deep', path: CHAT, body: nested(1000), status: 400, code: 'invalid_json' },
  {
    name: 'native body nested 10,000 deep',
    path: NATIVE,
    body: `{"contents":${'['.repeat(1e4)}${']'.repeat(1e4)}}`,
    status: 400,
  },
  {
    name: 'a body over the size limit',
    path: CHAT,
    body: 'x'.repeat(LIMIT + 1),
    status: 413,
    code: 'request_too_large',
  },
  {
    name: 'a native body over the size limit, answered in Google’s shape',
    path: NATIVE,
    body: 'x'.repeat(LIMIT + 1),
    status: 413,
    message: 'MAX_BODY_MB',
  },
  {
    name: 'a huge object without a model',
    path: CHAT,
    body: json(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))),
    status: 400,
    code: 'missing_model',
  },
  // Wrong content types and invalid UTF-8.
  {
    name: 'text/plain',
    path: CHAT,
    contentType: 'text/plain',
    body: chatBody(),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'multipart/form-data',
    path: CHAT,
    contentType: 'multipart/form-data; boundary=x',
    body: '--x--',
    status: 415,
  },
  {
    name: 'form-urlencoded',
    path: CHAT,
    contentType: 'application/x-www-form-urlencoded',
    body: `model=${MODEL}`,
    status: 415,
  },
  { name: 'application/xml', path: CHAT, contentType: 'application/xml', body: '<model/>', status: 415 },
  { name: 'text/html on the native API', path: NATIVE, contentType: 'text/html', body: '{}', status: 415 },
  {
    name: 'an invalid UTF-8 byte',
    path: CHAT,
    body: bytes('{"model":"', [0xff, 0xfe], '"}'),
    status: 400,
    code: 'invalid_encoding',
  },
  {
    name: 'an overlong UTF-8 encoding',
    path: CHAT,
    body: bytes('{"model":"', [0xc0, 0xaf], '"}'),
    status: 400,
    code: 'invalid_encoding',
  },
  {
    name: 'a UTF-8-encoded lone surrogate',
    path: CHAT,
    body: bytes('{"model":"', [0xed, 0xa0, 0x80], '"}'),
    status: 400,
    code: 'invalid_encoding',
  },
  {
    name: 'a truncated UTF-8 sequence',
    path: CHAT,
    body: bytes('{"model":"a', [0xe2, 0x82]),
    status: 400,
    code: 'invalid_encoding',
  },
  // Wrong types and odd values in client requests.
  { name: 'no model', path: CHAT, body: json({ messages: [] }), status: 400, code: 'missing_model' },
  { name: 'model is a number', path: CHAT, body: json({ model: 42 }), status: 400, code: 'missing_model' },
  {
    name: 'model is an object',
    path: CHAT,
    body: json({ model: { $ne: null } }),
    status: 400,
    code: 'missing_model',
  },
  {
    name: 'model traverses paths',
    path: CHAT,
    body: json({ model: '../../admin/api/keys' }),
    status: 400,
    code: 'invalid_model',
  },
  {
    name: 'model with CRLF',
    path: CHAT,
    body: json({ model: 'gemini\r\nX-Injected: 1' }),
    status: 400,
    code: 'invalid_model',
  },
  {
    name: 'model 10,000 characters long',
    path: CHAT,
    body: json({ model: 'g'.repeat(10_000) }),
    status: 400,
    code: 'invalid_model',
  },
  { name: 'model with SQL', path: CHAT, body: json({ model: SQL }), status: 400, code: 'invalid_model' },
  {
    name: 'stream is a string',
    path: CHAT,
    body: chatBody({ stream: 'true' }),
    status: 400,
    code: 'invalid_type',
  },
  {
    name: 'embeddings without input',
    path: '/v1/embeddings',
    body: json({ model: 'gemini-embedding-001' }),
    status: 400,
    code: 'missing_input',
  },
  {
    // Its SDK would decode an answer in an unknown encoding as garbage: refused, never forwarded.
    name: 'embeddings in an encoding OpenAI does not have',
    path: '/v1/embeddings',
    body: json({ model: 'gemini-embedding-001', input: 'x', encoding_format: 'int8' }),
    status: 400,
    code: 'invalid_value',
    message: 'encoding_format',
  },
  {
    name: 'model id traversing in a GET',
    path: '/v1/models/..%2F..%2Fadmin%2Fapi%2Fkeys',
    status: 400,
    code: 'invalid_model',
  },
  {
    name: 'native model traversing',
    path: '/v1beta/models/..%2F..%2Fetc%2Fpasswd:generateContent',
    body: '{}',
    status: 400,
  },
  {
    name: 'native method that does not exist',
    path: `/v1beta/models/${MODEL}:deleteEverything`,
    body: '{}',
    status: 404,
  },
  {
    name: 'native model with a NUL',
    path: '/v1beta/models/gemini%00:generateContent',
    body: '{}',
    status: 400,
  },
  {
    name: 'an unknown route',
    path: '/v2/chat/completions',
    body: chatBody(),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'a wrong method',
    method: 'DELETE',
    path: CHAT,
    status: 405,
    code: 'method_not_allowed',
    answerHeaders: { allow: 'POST' },
  },
  {
    name: 'GET on a POST route',
    method: 'GET',
    path: CHAT,
    status: 405,
    code: 'method_not_allowed',
    answerHeaders: { allow: 'POST' },
  },
  {
    name: 'GET on a native POST route',
    method: 'GET',
    path: `/v1beta/models/${MODEL}:generateContent`,
    status: 405,
    answerHeaders: { allow: 'POST' },
  },
  // Header abuse.
  {
    name: 'no Authorization',
    path: CHAT,
    auth: 'none',
    body: chatBody(),
    status: 401,
    code: 'missing_token',
  },
  {
    name: 'x-goog-api-key on an OpenAI route',
    path: CHAT,
    auth: 'goog',
    body: chatBody(),
    status: 401,
    code: 'missing_token',
    message: 'x-goog-api-key and ?key= are read only on /v1beta',
  },
  {
    name: 'Basic credentials',
    path: CHAT,
    auth: 'none',
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    body: chatBody(),
    status: 401,
    code: 'missing_token',
  },
  {
    name: 'an 8 KB bearer token',
    path: CHAT,
    auth: 'none',
    headers: { authorization: `Bearer ${'a'.repeat(8192)}` },
    body: chatBody(),
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'a bearer token with SQL',
    path: CHAT,
    auth: 'none',
    headers: { authorization: `Bearer ${SQL}` },
    body: chatBody(),
    status: 401,
    code: 'invalid_token',
  },
  {
    name: 'a ?key= with SQL on the native API',
    path: `${NATIVE}?key=${encodeURIComponent(SQL)}`,
    auth: 'none',
    body: '{}',
    status: 401,
  },
  {
    name: 'an x-goog-api-key on /v1',
    path: CHAT,
    auth: 'none',
    headers: { 'x-goog-api-key': 'whatever' },
    body: chatBody(),
    status: 401,
  },
  // Admin fields with SQL- and script-looking strings, and wrong types.
  {
    name: 'PATCH is_active with SQL',
    method: 'PATCH',
    path: '/admin/api/keys/1',
    body: json({ is_active: '1 OR 1=1' }),
    status: 400,
    code: 'invalid_type',
  },
  {
    name: 'PATCH project with SQL',
    method: 'PATCH',
    path: '/admin/api/keys/1',
    body: json({ project: SQL }),
    status: 400,
    code: 'invalid_type',
  },
  {
    name: 'PATCH project with a script',
    method: 'PATCH',
    path: '/admin/api/keys/1',
    body: json({ project: SCRIPT }),
    status: 400,
  },
  {
    name: 'PATCH gmail_email as a number',
    method: 'PATCH',
    path: '/admin/api/keys/1',
    body: json({ gmail_email: 12 }),
    status: 400,
  },
  {
    name: 'PATCH gmail_email 400 characters long',
    method: 'PATCH',
    path: '/admin/api/keys/1',
    body: json({ gmail_email: 'x'.repeat(400) }),
    status: 400,
  },
  {
    name: 'PATCH api_key (not editable)',
    method: 'PATCH',
    path: '/admin/api/keys/1',
    body: json({ api_key: fakeKey('evil') }),
    status: 400,
    code: 'invalid_field',
  },
  { name: 'PATCH nothing', method: 'PATCH', path: '/admin/api/keys/1', body: '{}', status: 400 },
  {
    name: 'PATCH an id with SQL',
    method: 'PATCH',
    path: '/admin/api/keys/1%20OR%201=1',
    body: json({ is_active: false }),
    status: 400,
    code: 'invalid_id',
  },
  {
    name: 'DELETE an id with SQL',
    method: 'DELETE',
    path: '/admin/api/keys/1;DROP%20TABLE%20api_keys',
    status: 400,
    code: 'invalid_id',
  },
  {
    name: 'DELETE a negative id',
    method: 'DELETE',
    path: '/admin/api/keys/-1',
    status: 400,
    code: 'invalid_id',
  },
  {
    name: 'DELETE a 20-digit id',
    method: 'DELETE',
    path: '/admin/api/keys/99999999999999999999',
    status: 400,
    code: 'invalid_id',
  },
  {
    name: 'DELETE an unknown id',
    method: 'DELETE',
    path: '/admin/api/keys/999999',
    status: 404,
    code: 'key_not_found',
  },
  {
    name: 'reset-errors of a script id',
    method: 'POST',
    path: `/admin/api/keys/${encodeURIComponent(SCRIPT)}/reset-errors`,
    status: 400,
  },
  {
    name: 'import keys as a SQL string',
    path: '/admin/api/keys',
    body: json({ keys: SQL }),
    status: 400,
    code: 'invalid_keys',
  },
  {
    name: 'import text as a number',
    path: '/admin/api/keys',
    body: json({ text: 42 }),
    status: 400,
    code: 'invalid_keys',
  },
  {
    name: 'import both text and keys',
    path: '/admin/api/keys',
    body: json({ text: fakeKey('corpus-a'), keys: [] }),
    status: 400,
  },
  { name: 'import nothing', path: '/admin/api/keys', body: '{}', status: 400 },
  {
    name: 'bulk action with SQL',
    path: '/admin/api/keys/bulk',
    body: json({ action: `delete; ${SQL}`, ids: [1] }),
    status: 400,
    code: 'invalid_action',
  },
  {
    name: 'bulk ids with SQL',
    path: '/admin/api/keys/bulk',
    body: json({ action: 'delete', ids: ['1 OR 1=1'] }),
    status: 400,
    code: 'invalid_ids',
  },
  {
    name: 'bulk with no ids',
    path: '/admin/api/keys/bulk',
    body: json({ action: 'delete', ids: [] }),
    status: 400,
  },
  {
    name: 'bulk fractional ids',
    path: '/admin/api/keys/bulk',
    body: json({ action: 'delete', ids: [1.5] }),
    status: 400,
  },
  {
    name: 'bulk negative ids',
    path: '/admin/api/keys/bulk',
    body: json({ action: 'disable', ids: [-1] }),
    status: 400,
  },
  {
    name: 'bulk ids not an array',
    path: '/admin/api/keys/bulk',
    body: json({ action: 'disable', ids: 1 }),
    status: 400,
  },
  {
    name: 'token name empty',
    path: '/admin/api/tokens',
    body: json({ name: '' }),
    status: 400,
    code: 'invalid_name',
  },
  {
    name: 'token name 101 characters',
    path: '/admin/api/tokens',
    body: json({ name: 'n'.repeat(101) }),
    status: 400,
  },
  {
    name: 'token name an operator object',
    path: '/admin/api/tokens',
    body: json({ name: { $ne: null } }),
    status: 400,
  },
  {
    name: 'token name an array with a script',
    path: '/admin/api/tokens',
    body: json({ name: [SCRIPT] }),
    status: 400,
  },
  {
    name: 'revoke a token id with SQL',
    method: 'DELETE',
    path: '/admin/api/tokens/1%20OR%201=1',
    status: 400,
  },
  { name: 'revoke token id 0', method: 'DELETE', path: '/admin/api/tokens/0', status: 400 },
  {
    name: 'key list sort with SQL',
    path: `/admin/api/keys?sort=${encodeURIComponent('id; DROP TABLE api_keys')}`,
    status: 400,
    code: 'invalid_sort',
  },
  {
    name: 'key list state with a script',
    path: `/admin/api/keys?state=${encodeURIComponent(SCRIPT)}`,
    status: 400,
  },
  { name: 'key list order with SQL', path: '/admin/api/keys?order=asc;--', status: 400 },
  { name: 'key list page -1', path: '/admin/api/keys?page=-1', status: 400, code: 'invalid_parameter' },
  { name: 'key list page_size 1e9', path: '/admin/api/keys?page_size=1e9', status: 400 },
  { name: 'key list page NaN', path: '/admin/api/keys?page=NaN', status: 400 },
  { name: 'usage limit abc', path: '/admin/api/usage?limit=abc', status: 400 },
  {
    name: 'usage key_id with SQL',
    path: `/admin/api/usage?key_id=${encodeURIComponent('1 OR 1=1')}`,
    status: 400,
  },
  { name: 'usage status -1', path: '/admin/api/usage?status=-1', status: 400 },
  {
    name: 'stats range with a script',
    path: `/admin/api/stats?range=${encodeURIComponent(SCRIPT)}`,
    status: 400,
  },
  { name: 'an unknown admin route', path: '/admin/api/shell', status: 404 },
  {
    name: 'a wrong admin token',
    path: '/admin/api/keys',
    auth: 'none',
    headers: { authorization: 'Bearer wrong' },
    status: 401,
  },
  {
    name: 'admin config as text/plain',
    method: 'PUT',
    path: '/admin/api/config',
    contentType: 'text/plain',
    body: json({ max_retries: 1 }),
    status: 415,
  },
  // Negative, huge, NaN and wrong-type config values.
  ...(
    [
      ['max_retries -1', { max_retries: -1 }],
      ['max_retries 1e308', { max_retries: 1e308 }],
      ['max_retries "1e400" (Infinity)', { max_retries: '1e400' }],
      ['max_retries "NaN"', { max_retries: 'NaN' }],
      ['request_timeout_ms "Infinity"', { request_timeout_ms: 'Infinity' }],
      ['max_retries 2.5', { max_retries: 2.5 }],
      ['max_retries an array', { max_retries: [3] }],
      ['max_retries an object', { max_retries: { $gt: 0 } }],
      ['max_retries null', { max_retries: null }],
      ['max_retries true', { max_retries: true }],
      ['max_retries with SQL', { max_retries: `3; ${SQL}` }],
      ['request_timeout_ms 0', { request_timeout_ms: 0 }],
      ['error_reset_interval huge', { error_reset_interval: Number.MAX_SAFE_INTEGER }],
      ['rotation_strategy with SQL', { rotation_strategy: `round_robin${SQL}` }],
      ['rotation_strategy a script', { rotation_strategy: SCRIPT }],
      ['rotation_strategy a number', { rotation_strategy: 1 }],
      ['enable_usage_tracking 2', { enable_usage_tracking: 2 }],
      ['enable_usage_tracking "yes"', { enable_usage_tracking: 'yes' }],
      ['a valid and an invalid value', { max_retries: 1, request_timeout_ms: -5 }],
      ['an unknown key', { [SQL]: 1 }],
      ['no keys', {}],
    ] as Array<[string, Record<string, unknown>]>
  ).map(([name, patch]): HttpCase => ({
    name: `config: ${name}`,
    method: 'PUT',
    path: '/admin/api/config',
    body: json(patch),
    status: 400,
    code: name === 'no keys' ? undefined : 'invalid_config',
  })),
  {
    name: 'config: a __proto__ key',
    method: 'PUT',
    path: '/admin/api/config',
    body: '{"__proto__":{"max_retries":0}}',
    status: 400,
  },
  {
    name: 'config: an array',
    method: 'PUT',
    path: '/admin/api/config',
    body: '[{"max_retries":1}]',
    status: 400,
  },
];

export const RAW_CASES: RawCase[] = [
  {
    name: 'a 20 KB header',
    raw: `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    status: 431,
  },
  {
    name: 'a non-numeric Content-Length',
    raw: 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}',
    status: 400,
  },
  {
    name: 'Content-Length with Transfer-Encoding',
    raw: 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n',
    status: 400,
  },
  {
    name: 'two different Content-Lengths',
    raw: 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}',
    status: 400,
  },
  {
    name: 'a NUL in a header value',
    raw: 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\nConnection: close\r\n\r\n',
    status: 400,
  },
  {
    name: 'a space in a header name',
    raw: 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\nConnection: close\r\n\r\n',
    status: 400,
  },
  { name: 'no Host header', raw: 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', status: 400 },
  {
    name: 'a bad chunk size',
    raw: 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    status: 400,
  },
  { name: 'a garbage request line', raw: 'HELLO\r\n\r\n', status: 400 },
  {
    name: 'an unknown method',
    raw: 'FROB /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 400,
  },
  {
    name: 'header injection in a token',
    raw: 'GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\rX-Admin: 1\r\nConnection: close\r\n\r\n',
    status: 400,
  },
  {
    name: 'a malformed Host header',
    raw: 'GET /healthz HTTP/1.1\r\nHost: exa mple.com:abc\r\nConnection: close\r\n\r\n',
    status: 400,
  },
  // Path traversal: URLs are normalised before routing, so "..", encoded or not, never skips auth.
  {
    name: '/admin/../admin/api/keys without a token',
    raw: 'GET /admin/../admin/api/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 401,
  },
  {
    name: '/v1/../admin/api/keys with an access token',
    raw: 'GET /v1/../admin/api/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {auth}\r\nConnection: close\r\n\r\n',
    status: 401,
  },
  {
    name: '/healthz/../admin/api/keys',
    raw: 'GET /healthz/../admin/api/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 401,
  },
  {
    name: 'encoded dots out of the panel',
    raw: 'GET /admin/%2e%2e/%2e%2e/package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 404,
  },
  {
    name: 'encoded slashes out of the panel',
    raw: 'GET /admin/..%2f..%2fpackage.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 404,
  },
  {
    name: 'encoded slashes out of panel assets',
    raw: 'GET /admin/assets/..%2f..%2f..%2fsrc%2fruntime%2fnode%2fenv.ts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 404,
  },
  {
    name: 'a double slash to /etc/passwd',
    raw: 'GET //etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 404,
  },
  {
    name: 'a backslash traversal',
    raw: 'GET /admin/..\\..\\package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    status: 400,
  },
];
