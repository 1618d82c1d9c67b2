import type {
  AccessToken,
  TokenRules,
  AddKeysResult,
  BulkAction,
  ConfigEntry,
  KeyEntry,
  KeyList,
  KeyPatch,
  KeyQuery,
  Stats,
  StatsRange,
  UsageFilters,
  UsagePage,
  ValidateResult,
} from './types.js';

const API_BASE = `${import.meta.env.BASE_URL}api`;

/** A failed admin API call. `status` 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly details: Record<string, string> | null = null,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | null | undefined>;

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(name, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** `error.details` when it maps field names to messages (as `invalid_config` does), else null. */
function fieldMessages(details: unknown): Record<string, string> | null {
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return null;
  const entries = Object.entries(details).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const retry = Number(res.headers.get('retry-after'));
  let message = `HTTP ${res.status}`;
  let code: string | null = null;
  let details: Record<string, string> | null = null;
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: string; details?: unknown } };
    message = body.error?.message ?? message;
    code = body.error?.code ?? null;
    details = fieldMessages(body.error?.details);
  } catch {
    // Not JSON (a proxy's error page, say): keep the status line.
  }
  return new ApiError(res.status, message, code, details, Number.isFinite(retry) && retry > 0 ? retry : null);
}

/** Calls the admin API with the token in the Authorization header (never in the URL). */
export async function request<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (err) {
    throw new ApiError(0, err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

export interface AdminApi {
  listKeys(query: KeyQuery): Promise<KeyList>;
  addKeys(text: string): Promise<AddKeysResult>;
  patchKey(id: number, patch: KeyPatch): Promise<{ key: KeyEntry }>;
  deleteKey(id: number): Promise<{ deleted: number }>;
  resetErrors(id: number): Promise<{ key: KeyEntry }>;
  bulk(action: BulkAction, ids: number[]): Promise<{ affected: number }>;
  validateKeys(ids: number[]): Promise<ValidateResult>;
  getConfig(): Promise<{ config: ConfigEntry[] }>;
  putConfig(patch: Record<string, string>): Promise<{ config: ConfigEntry[] }>;
  listTokens(): Promise<{ tokens: AccessToken[] }>;
  createToken(name: string, rules?: Partial<TokenRules>): Promise<{ token: AccessToken; secret: string }>;
  updateToken(id: number, patch: Partial<TokenRules> & { name?: string }): Promise<{ token: AccessToken }>;
  revokeToken(id: number): Promise<{ revoked: number }>;
  stats(range: StatsRange): Promise<Stats>;
  usage(filters: UsageFilters, before: number | null, limit: number): Promise<UsagePage>;
}

/** Checks an admin token; resolves when it is accepted. */
export function checkSession(token: string): Promise<{ ok: boolean }> {
  return request(token, 'GET', '/session');
}

/** The admin API bound to one token. `onUnauthorized` runs when the server stops accepting it. */
export function createAdminApi(token: string, onUnauthorized: () => void): AdminApi {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    try {
      return await request<T>(token, method, path, body);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onUnauthorized();
      throw err;
    }
  };
  return {
    listKeys: (q) => call('GET', `/keys${queryString({ ...q })}`),
    addKeys: (text) => call('POST', '/keys', { text }),
    patchKey: (id, patch) => call('PATCH', `/keys/${id}`, patch),
    deleteKey: (id) => call('DELETE', `/keys/${id}`),
    resetErrors: (id) => call('POST', `/keys/${id}/reset-errors`),
    bulk: (action, ids) => call('POST', '/keys/bulk', { action, ids }),
    validateKeys: (ids) => call('POST', '/keys/validate', { ids }),
    getConfig: () => call('GET', '/config'),
    putConfig: (patch) => call('PUT', '/config', patch),
    listTokens: () => call('GET', '/tokens'),
    createToken: (name, rules = {}) => call('POST', '/tokens', { name, ...rules }),
    updateToken: (id, patch) => call('PATCH', `/tokens/${id}`, patch),
    revokeToken: (id) => call('DELETE', `/tokens/${id}`),
    stats: (range) => call('GET', `/stats${queryString({ range })}`),
    usage: (filters, before, limit) => call('GET', `/usage${queryString({ ...filters, before, limit })}`),
  };
}
