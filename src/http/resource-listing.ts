/**
 * `GET /v1beta/files` and `GET /v1beta/cachedContents` merged over every key that owns such
 * resources: one project after another (keys of one project see the same list, so one key per
 * project is asked), each paged by Google. The client's page token names the key being listed and
 * that key's own token, so every page is one upstream call.
 */
import type { KeyPool } from '../core/pool/pool.js';
import type { ResourceStore } from '../core/ports.js';
import type { ForwardPlan } from '../forward/forward-plan.js';
import { JSON_CONTENT_TYPE, jsonReply, type Reply } from '../forward/reply.js';
import { GatewayError } from '../forward/gateway-error.js';
import { publicBody } from '../forward/resource-exchange.js';

interface PageToken {
  /** The key being listed. */
  k: number;
  /** That key's own page token; absent for its first page. */
  t?: string;
}

const decoder = new TextDecoder();

function encodeToken(token: PageToken): string {
  const bytes = new TextEncoder().encode(JSON.stringify(token));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeToken(text: string): PageToken {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const json = JSON.parse(decoder.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as unknown;
    const { k, t } = json as Partial<PageToken>;
    if (Number.isSafeInteger(k) && (t === undefined || typeof t === 'string')) return { k: k!, t };
  } catch {
    // reported below
  }
  throw new GatewayError(400, 'Invalid page token', 'invalid_page_token');
}

/** One key per project among `keyIds`, ascending by id; keys no longer in the pool are left out. */
function onePerProject(keyIds: readonly number[], pool: KeyPool): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  for (const id of keyIds) {
    const key = pool.get(id);
    if (!key) continue;
    const group = key.project === null ? `key:${id}` : `project:${key.project}`;
    if (seen.has(group)) continue;
    seen.add(group);
    out.push(id);
  }
  return out;
}

/**
 * The plan for one page of a merged list, or the answer itself when no key owns any such resource
 * (an empty list, as Google answers it: `{}`). One read of the ownership table.
 */
export async function planListing(
  plan: ForwardPlan,
  store: ResourceStore,
  pool: KeyPool,
  now: number,
): Promise<ForwardPlan | Reply> {
  const { kind, query } = plan.listing!;
  const params = new URLSearchParams(query);
  const token = params.get('pageToken') ? decodeToken(params.get('pageToken')!) : null;
  const size = params.get('pageSize');
  if (size !== null && !/^\d{1,4}$/.test(size)) {
    throw new GatewayError(400, 'pageSize must be a whole number', 'invalid_page_size');
  }
  const owners = onePerProject(await store.ownerKeyIds(`${kind}/`, now), pool);
  const index = token ? owners.findIndex((id) => id >= token.k) : 0;
  if (index === -1 || owners.length === 0) return jsonReply(200, {});
  const keyId = owners[index]!;
  const upstreamToken = token && token.k === keyId ? token.t : undefined;
  const upstream = new URLSearchParams();
  if (size !== null) upstream.set('pageSize', size);
  if (upstreamToken) upstream.set('pageToken', upstreamToken);
  const search = upstream.toString();
  const next = owners[index + 1];
  return {
    ...plan,
    path: `/v1beta/${kind}${search ? `?${search}` : ''}`,
    owner: { keyId, project: pool.get(keyId)?.project ?? null },
    exchange: {
      async answer(res, _key, ctx) {
        let page: Record<string, unknown>;
        try {
          page = JSON.parse(decoder.decode(publicBody(res.body, ctx))) as Record<string, unknown>;
        } catch {
          page = {};
        }
        const more = typeof page.nextPageToken === 'string' && page.nextPageToken !== '';
        if (more) page.nextPageToken = encodeToken({ k: keyId, t: page.nextPageToken as string });
        else if (next !== undefined) page.nextPageToken = encodeToken({ k: next });
        else delete page.nextPageToken;
        const reply: Reply = {
          status: 200,
          headers: { 'content-type': JSON_CONTENT_TYPE },
          body: JSON.stringify(page),
        };
        return reply;
      },
    },
  };
}
