/** `keys validate`: the same upstream check as `POST /admin/api/keys/validate`, on the same database. */
import { DEFAULT_CHECK_CONCURRENCY, KeyChecker, summarize } from '../../core/ops/validate.js';
import { PoolService } from '../../core/pool-service.js';
import type { Command } from '../command.js';
import { json, parseIds, table } from '../format.js';
import { UsageError } from '../io.js';

export const keysValidate: Command = {
  name: 'keys validate',
  summary: 'Check keys upstream (every key when no id is given) and update their state',
  args: '[ID...]',
  details: [
    'Each key lists one model on UPSTREAM_BASE_URL (x-goog-api-key), through HTTPS_PROXY when set.',
    'A rejected key is disabled with its reason; an auto-disabled key that passes is enabled again.',
    'Keys disabled by hand are skipped and never sent upstream. A running gateway picks the changes',
    'up at its next snapshot refresh.',
  ],
  options: {
    concurrency: {
      type: 'string',
      value: 'N',
      description: `Parallel checks, 1–32 (default ${DEFAULT_CHECK_CONCURRENCY})`,
    },
  },
  async run(ctx, values, args) {
    const ids = args.length > 0 ? parseIds(args) : null;
    const raw = values.concurrency as string | undefined;
    const concurrency = raw === undefined ? DEFAULT_CHECK_CONCURRENCY : Number(raw);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
      throw new UsageError('--concurrency must be a whole number from 1 to 32');
    }
    const { settings } = ctx;
    const { checks, missing } = await ctx.withStorage(async (storage) => {
      const service = new PoolService({
        storage,
        clock: { now: () => Date.now() },
        random: { next: () => Math.random() },
        logger: () => {},
      });
      await service.init();
      // Loaded here: undici takes a noticeable part of a second to import, which other commands need not pay.
      const { createUndiciUpstream } = await import('../../upstream/undici.js');
      const upstream = createUndiciUpstream({
        origin: settings.upstreamBaseUrl,
        proxy: settings.proxy,
        connectTimeoutMs: settings.upstreamConnectTimeoutMs,
      });
      try {
        const checker = new KeyChecker({ service, upstream, upstreamBaseUrl: settings.upstreamBaseUrl });
        const notFound = (ids ?? []).filter((id) => service.pool.get(id) === undefined);
        return { checks: await checker.check(ids, { concurrency }), missing: notFound };
      } finally {
        await upstream.close();
      }
    });
    const summary = summarize(checks);
    if (ctx.json) {
      ctx.io.out(json({ results: checks, summary, not_found: missing }));
    } else {
      if (checks.length > 0) {
        const rows = checks.map((c) => [
          String(c.id),
          c.key,
          c.result,
          c.status === null ? '-' : String(c.status),
          c.reason ?? '-',
          c.action,
        ]);
        ctx.io.out(table(['ID', 'KEY', 'RESULT', 'STATUS', 'REASON', 'ACTION'], rows));
      }
      ctx.io.out(
        `Checked ${summary.checked}: ${summary.valid} valid, ${summary.invalid} invalid, ${summary.rate_limited} rate-limited, ` +
          `${summary.error + summary.unreachable} inconclusive; ${summary.skipped} skipped (disabled by hand). ` +
          `${summary.enabled} enabled, ${summary.disabled} disabled.`,
      );
      if (missing.length > 0) ctx.io.err(`No key with id: ${missing.join(', ')}`);
    }
    return missing.length > 0 ? 1 : 0;
  },
};
