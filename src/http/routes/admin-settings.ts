/** `/admin/api/config`. Contract: docs/admin-api.md. */
import { Hono } from 'hono';
import { CONFIG_FIELDS, CONFIG_KEYS, resolveConfigValues, validateConfigPatch } from '../../core/config.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { GatewayError } from '../../forward/gateway-error.js';
import { readJsonBody } from '../request-body.js';
import { webBody } from '../client-request.js';

export function adminSettingsRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { storage, service } = deps;

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

  return app;
}
