/** `/admin/api/keys`: list, import, edit, delete and reset keys. Contract: docs/admin-api.md. */
import { Hono } from 'hono';
import {
  MAX_EMAIL_LENGTH,
  PROJECT_PATTERN,
  parseGroup,
  parseKeyList,
  parseKeyText,
} from '../../core/keys/import.js';
import type { KeyPatch, PoolKey } from '../../core/types.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { keyView, type KeyStateName } from '../key-view.js';
import { readJsonBody } from '../request-body.js';
import { webBody } from '../client-request.js';
import { intParam, parseId } from './params.js';

const SORTS = {
  id: (k: PoolKey) => k.id,
  total_requests: (k: PoolKey) => k.totalRequests,
  total_tokens: (k: PoolKey) => k.tokens.total,
  error_count: (k: PoolKey) => k.errorCount,
  last_used_at: (k: PoolKey) => k.lastUsedAt ?? 0,
} satisfies Record<string, (k: PoolKey) => number>;

const STATES = new Set<KeyStateName>(['active', 'cooling', 'disabled']);
const BULK_ACTIONS = new Set(['enable', 'disable', 'delete', 'reset-errors', 'set-group']);
const GROUP_RULE = "'group' must be 1–64 characters of letters, digits, . _ : -, or null for no group";

/** A key group from a request field: a name, or null (also for '') for no group. */
function groupField(value: unknown): string | null {
  const group = parseGroup(value);
  if (group === undefined) throw new GatewayError(400, GROUP_RULE, 'invalid_group', { param: 'group' });
  return group;
}
const MAX_BULK_IDS = 100_000;

function idList(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_BULK_IDS) {
    throw new GatewayError(
      400,
      `'ids' must be a non-empty array of at most ${MAX_BULK_IDS} key ids`,
      'invalid_ids',
      {
        param: 'ids',
      },
    );
  }
  for (const id of value) {
    if (!Number.isSafeInteger(id) || (id as number) < 1) {
      throw new GatewayError(400, "'ids' must contain positive integers only", 'invalid_ids', {
        param: 'ids',
      });
    }
  }
  return [...new Set(value as number[])];
}

export function adminKeyRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { service, storage, clock } = deps;
  const pool = service.pool;

  /** The key by id; a key missing from the snapshot may have just been added elsewhere, so look again once. */
  const knownKey = async (id: number): Promise<PoolKey> => {
    let key = pool.get(id);
    if (!key) {
      await service.refresh();
      key = pool.get(id);
    }
    if (!key) throw new GatewayError(404, `No key with id ${id}`, 'key_not_found');
    return key;
  };

  /**
   * Writes what this process has buffered, before an admin write to the same rows: a buffered error
   * or state change from before a reset would otherwise land after it and undo it. So when the flush
   * fails, the admin write is refused (503) and nothing is changed.
   */
  const flushFirst = () =>
    service.flush().catch(() => {
      throw new GatewayError(
        503,
        'Could not write the usage buffered before this change, so nothing was changed; try again shortly',
        'flush_failed',
      );
    });

  /** A key's view with its count of owned resources: the key detail. */
  const keyDetail = async (key: PoolKey) => {
    const now = clock.now();
    return keyView(pool, key, now, await storage.resources.countForKey(key.id, now));
  };

  app.get('/', async (c) => {
    const now = clock.now();
    const q = (c.req.query('q') ?? '').trim().toLowerCase().slice(0, 200);
    const state = c.req.query('state');
    if (state !== undefined && state !== '' && !STATES.has(state as KeyStateName)) {
      throw new GatewayError(400, "'state' must be active, cooling or disabled", 'invalid_state', {
        param: 'state',
      });
    }
    const sortName = c.req.query('sort') ?? 'id';
    if (!Object.hasOwn(SORTS, sortName)) {
      throw new GatewayError(400, `'sort' must be one of ${Object.keys(SORTS).join(', ')}`, 'invalid_sort', {
        param: 'sort',
      });
    }
    const order = c.req.query('order') ?? 'asc';
    if (order !== 'asc' && order !== 'desc') {
      throw new GatewayError(400, "'order' must be asc or desc", 'invalid_order', { param: 'order' });
    }
    // `group`: a group's name, or `-` for keys of no group.
    const groupQuery = c.req.query('group');
    const group =
      groupQuery === undefined || groupQuery === ''
        ? undefined
        : groupQuery === '-'
          ? null
          : groupField(groupQuery);
    const page = intParam(c.req.query('page'), 'page', 1, 1, 1_000_000);
    const pageSize = intParam(c.req.query('page_size'), 'page_size', 50, 1, 500);

    const counts = { active: 0, cooling: 0, disabled: 0 };
    const matches: PoolKey[] = [];
    for (const key of pool.list()) {
      const s = pool.stateOf(key, now).state;
      counts[s] += 1;
      if (state && s !== state) continue;
      if (group !== undefined && key.group !== group) continue;
      if (q && !matchesQuery(key, q)) continue;
      matches.push(key);
    }
    const by = SORTS[sortName as keyof typeof SORTS];
    const dir = order === 'desc' ? -1 : 1;
    matches.sort((a, b) => (by(a) - by(b)) * dir || (a.id - b.id) * dir);
    const slice = matches.slice((page - 1) * pageSize, page * pageSize);
    // One grouped read for the whole page, skipped when the page is empty.
    const owned = slice.length > 0 ? await storage.resources.countByKey(now) : new Map<number, number>();
    return c.json({
      keys: slice.map((k) => keyView(pool, k, now, owned.get(k.id) ?? 0)),
      total: matches.length,
      page,
      page_size: pageSize,
      counts,
    });
  });

  app.post('/', async (c) => {
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    let parsed: ReturnType<typeof parseKeyText>;
    if (typeof json.text === 'string' && json.keys === undefined) parsed = parseKeyText(json.text);
    else if (Array.isArray(json.keys) && json.text === undefined) parsed = parseKeyList(json.keys);
    else {
      throw new GatewayError(
        400,
        'Send either {"keys":[{"api_key":"…","gmail_email":"…"}]} or {"text":"one key per line"}',
        'invalid_keys',
      );
    }
    const result = await storage.keys.addKeys(parsed.keys, clock.now());
    await service.refresh();
    return c.json({ added: result.added, duplicates: result.duplicates, invalid: parsed.invalid });
  });

  app.post('/bulk', async (c) => {
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    const action = json.action;
    if (typeof action !== 'string' || !BULK_ACTIONS.has(action)) {
      throw new GatewayError(
        400,
        "'action' must be enable, disable, delete, reset-errors or set-group",
        'invalid_action',
        {
          param: 'action',
        },
      );
    }
    const ids = idList(json.ids);
    const group = action === 'set-group' ? groupField(json.group) : null;
    await flushFirst();
    const now = clock.now();
    let affected: number;
    if (action === 'delete') {
      affected = await storage.keys.deleteKeys(ids);
      pool.remove(ids);
    } else if (action === 'reset-errors') {
      affected = await storage.keys.resetErrors(ids, now);
    } else if (action === 'set-group') {
      affected = (await storage.keys.setKeysGroup(ids, group, now)).length;
    } else {
      affected = (await storage.keys.setKeysActive(ids, action === 'enable', now)).length;
    }
    await service.refresh();
    return c.json({ affected });
  });

  app.get('/:id', async (c) => {
    const key = await knownKey(parseId(c.req.param('id')));
    return c.json({ key: await keyDetail(key) });
  });

  app.patch('/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    await knownKey(id);
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    const patch = keyPatch(json);
    await flushFirst();
    const updated = await storage.keys.updateKey(id, patch, clock.now());
    if (!updated) throw new GatewayError(404, `No key with id ${id}`, 'key_not_found');
    await service.refresh();
    return c.json({ key: await keyDetail(pool.get(id) ?? updated) });
  });

  app.delete('/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    const deleted = await storage.keys.deleteKeys([id]);
    if (deleted === 0) throw new GatewayError(404, `No key with id ${id}`, 'key_not_found');
    pool.remove([id]);
    await service.refresh();
    return c.json({ deleted });
  });

  app.post('/:id/reset-errors', async (c) => {
    const id = parseId(c.req.param('id'));
    const key = await knownKey(id);
    await flushFirst();
    // The refresh reloads the reset row: stored (0) plus what is buffered since the flush above.
    await storage.keys.resetErrors([id], clock.now());
    await service.refresh();
    return c.json({ key: await keyDetail(pool.get(id) ?? key) });
  });

  return app;
}

function matchesQuery(key: PoolKey, q: string): boolean {
  return (
    (key.email?.toLowerCase().includes(q) ?? false) ||
    (key.project?.toLowerCase().includes(q) ?? false) ||
    key.apiKey.slice(-4).toLowerCase() === q ||
    String(key.id) === q
  );
}

function keyPatch(json: Record<string, unknown>): KeyPatch {
  const allowed = new Set(['is_active', 'gmail_email', 'project', 'group']);
  const unknown = Object.keys(json).filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw new GatewayError(400, `Unknown field(s): ${unknown.slice(0, 5).join(', ')}`, 'invalid_field');
  }
  if (Object.keys(json).length === 0) {
    throw new GatewayError(
      400,
      'Nothing to change: send is_active, gmail_email, project or group',
      'invalid_field',
    );
  }
  const patch: KeyPatch = {};
  if (json.group !== undefined) patch.group = groupField(json.group);
  if (json.is_active !== undefined) {
    if (typeof json.is_active !== 'boolean') {
      throw new GatewayError(400, "'is_active' must be a boolean", 'invalid_type', { param: 'is_active' });
    }
    patch.isActive = json.is_active;
  }
  if (json.gmail_email !== undefined) {
    const email = json.gmail_email;
    if (email !== null && (typeof email !== 'string' || email.length > MAX_EMAIL_LENGTH)) {
      throw new GatewayError(
        400,
        `'gmail_email' must be a string of at most ${MAX_EMAIL_LENGTH} characters, or null`,
        'invalid_type',
        {
          param: 'gmail_email',
        },
      );
    }
    patch.email = email === null || email.trim() === '' ? null : email.trim();
  }
  if (json.project !== undefined) {
    const project = json.project;
    if (project !== null && (typeof project !== 'string' || !PROJECT_PATTERN.test(project))) {
      throw new GatewayError(
        400,
        "'project' must be 1–128 characters of letters, digits, . _ : -, or null",
        'invalid_type',
        {
          param: 'project',
        },
      );
    }
    patch.project = project;
  }
  return patch;
}
