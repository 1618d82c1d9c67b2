/** `/admin/api/config` and `/admin/api/tokens`. Contract: docs/admin-api.md. */
import { Hono } from 'hono';
import { CONFIG_FIELDS, CONFIG_KEYS, resolveConfigValues, validateConfigPatch } from '../../core/config.js';
import { accessTokenView, issueAccessToken, TOKEN_NAME_MAX_LENGTH } from '../../core/access-tokens.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { readJsonBody } from '../request-body.js';
import { webBody } from '../client-request.js';
import { parseId } from './params.js';

export function adminSettingsRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { storage, service, clock } = deps;

  const configView = async () => {
    const values = resolveConfigValues(await storage.config.getConfigValues());
    return {
      config: CONFIG_KEYS.map((key) => ({
        key,
        value: values[key],
        default: CONFIG_FIELDS[key].default,
        description: CONFIG_FIELDS[key].description,
        input: CONFIG_FIELDS[key].input,
      })),
    };
  };

  app.get('/config', async (c) => c.json(await configView()));

  app.put('/config', async (c) => {
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    const result = validateConfigPatch(json);
    if (!result.ok) {
      const summary = Object.entries(result.errors)
        .map(([k, v]) => (k === '_' ? v : `${k} ${v}`))
        .join('; ');
      throw new GatewayError(400, `Invalid config: ${summary}`, 'invalid_config', { details: result.errors });
    }
    const entries = Object.entries(result.values).map(([key, value]) => ({
      key,
      value,
      description: CONFIG_FIELDS[key as keyof typeof CONFIG_FIELDS].description,
    }));
    await storage.config.setConfigValues(entries);
    service.applyConfig(await storage.config.getConfigValues());
    return c.json(await configView());
  });

  app.get('/tokens', async (c) =>
    c.json({ tokens: (await storage.tokens.listTokens()).map(accessTokenView) }),
  );

  app.post('/tokens', async (c) => {
    const { json } = await readJsonBody(webBody(c.req.raw), deps.maxBodyBytes);
    const name = typeof json.name === 'string' ? json.name.trim() : '';
    if (name === '' || name.length > TOKEN_NAME_MAX_LENGTH) {
      throw new GatewayError(
        400,
        `'name' must be a non-empty string of at most ${TOKEN_NAME_MAX_LENGTH} characters`,
        'invalid_name',
        {
          param: 'name',
        },
      );
    }
    const { token, secret } = await issueAccessToken(storage.tokens, name, clock.now());
    return c.json({ token: accessTokenView(token), secret }, 201);
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
