/** `/admin/api/tokens`: access tokens, their rules and their use against their limits. Contract: docs/admin-api.md. */
import { Hono } from 'hono';
import { accessTokenView, issueAccessToken, TOKEN_NAME_MAX_LENGTH } from '../../core/access-tokens.js';
import { DayWindow, minuteEndAt } from '../../core/ops/limit-windows.js';
import type { TokenWindowCounts } from '../../core/ports.js';
import { parseTokenRules } from '../../core/tokens/token-rules.js';
import type { TokenRules } from '../../core/types.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { readJsonBody } from '../request-body.js';
import { webBody } from '../client-request.js';
import { parseId } from './params.js';

const NO_USE: TokenWindowCounts = { minuteRequests: 0, dayRequests: 0, minuteTokens: 0, dayTokens: 0 };

function readRules(json: Record<string, unknown>): Partial<TokenRules> {
  const result = parseTokenRules(json);
  if (!result.ok)
    throw new GatewayError(400, result.message, `invalid_${result.param}`, { param: result.param });
  return result.rules;
}

function readName(json: Record<string, unknown>, required: boolean): string | undefined {
  if (json.name === undefined && !required) return undefined;
  const name = typeof json.name === 'string' ? json.name.trim() : '';
  if (name === '' || name.length > TOKEN_NAME_MAX_LENGTH) {
    throw new GatewayError(
      400,
      `'name' must be a non-empty string of at most ${TOKEN_NAME_MAX_LENGTH} characters`,
      'invalid_name',
      { param: 'name' },
    );
  }
  return name;
}

export function adminTokenRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { storage, clock } = deps;
  const day = new DayWindow();

  app.get('/tokens', async (c) => {
    const now = clock.now();
    const minuteEnd = minuteEndAt(now);
    const dayEnd = day.endAt(now);
    const [tokens, counts] = await Promise.all([
      storage.tokens.listTokens(),
      storage.limits.tokenWindowCounts(minuteEnd, dayEnd),
    ]);
    return c.json({
      tokens: tokens.map((t) => {
        const use = counts.get(t.id) ?? NO_USE;
        return {
          ...accessTokenView(t),
          // Counted for tokens that have a limit; a token without one is not counted (see the README).
          usage: {
            minute: {
              requests: use.minuteRequests,
              tokens: use.minuteTokens,
              resets_at: new Date(minuteEnd).toISOString(),
            },
            day: {
              requests: use.dayRequests,
              tokens: use.dayTokens,
              resets_at: new Date(dayEnd).toISOString(),
            },
          },
        };
      }),
    });
  });

  app.post('/tokens', async (c) => {
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    const name = readName(json, true)!;
    const rules = readRules(json);
    const { token, secret } = await issueAccessToken(storage.tokens, name, clock.now(), rules);
    return c.json({ token: accessTokenView(token), secret }, 201);
  });

  app.patch('/tokens/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    const name = readName(json, false);
    const rules = readRules(json);
    if (name === undefined && Object.keys(rules).length === 0) {
      throw new GatewayError(400, 'Nothing to change: send name or a rule field', 'empty_patch');
    }
    const token = await storage.tokens.updateToken(id, rules, name);
    if (!token) throw new GatewayError(404, `No live token with id ${id}`, 'token_not_found');
    deps.clientAuth.invalidate();
    return c.json({ token: accessTokenView(token) });
  });

  app.delete('/tokens/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    const revoked = await storage.tokens.revokeToken(id, clock.now());
    if (!revoked) throw new GatewayError(404, `No live token with id ${id}`, 'token_not_found');
    deps.clientAuth.invalidate();
    return c.json({ revoked: 1 });
  });

  return app;
}
