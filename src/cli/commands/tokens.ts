/** `tokens create|list|revoke`: client access tokens, stored hashed. */
import { accessTokenView, issueAccessToken, TOKEN_NAME_MAX_LENGTH } from '../../core/access-tokens.js';
import type { Command } from '../command.js';
import { json, parseIds, table, when } from '../format.js';
import { UsageError } from '../io.js';

const tokensCreate: Command = {
  name: 'tokens create',
  summary: 'Create a client access token; it is shown only this once',
  args: 'NAME',
  async run(ctx, _values, args) {
    const name = args.join(' ').trim();
    if (name === '' || name.length > TOKEN_NAME_MAX_LENGTH) {
      throw new UsageError(
        `give a name of 1–${TOKEN_NAME_MAX_LENGTH} characters, e.g.: tokens create laptop`,
      );
    }
    const { token, secret } = await ctx.withStorage((s) => issueAccessToken(s.tokens, name, Date.now()));
    if (ctx.json) ctx.io.out(json({ token: accessTokenView(token), secret }));
    else {
      ctx.io.out(`Created token ${token.id} (${token.name}). It is shown only now; store it safely:`);
      ctx.io.out(secret);
    }
    return 0;
  },
};

const tokensList: Command = {
  name: 'tokens list',
  summary: 'List access tokens (hints only)',
  args: '',
  async run(ctx) {
    const tokens = await ctx.withStorage((s) => s.tokens.listTokens());
    if (ctx.json) ctx.io.out(json({ tokens: tokens.map(accessTokenView) }));
    else if (tokens.length === 0) ctx.io.out('No access tokens.');
    else {
      const rows = tokens.map((t) => [
        String(t.id),
        t.name,
        t.hint,
        t.source,
        when(t.createdAt),
        when(t.lastUsedAt),
        t.revokedAt === null ? 'live' : `revoked ${when(t.revokedAt)}`,
      ]);
      ctx.io.out(table(['ID', 'NAME', 'HINT', 'SOURCE', 'CREATED', 'LAST USED', 'STATUS'], rows));
    }
    return 0;
  },
};

const tokensRevoke: Command = {
  name: 'tokens revoke',
  summary: 'Revoke access tokens',
  args: 'ID...',
  details: ['A running gateway stops accepting a revoked token within 20 seconds (its verdict cache).'],
  async run(ctx, _values, args) {
    if (args.length === 0) throw new UsageError('give at least one token id (see: tokens list)');
    const ids = parseIds(args, 'token id');
    const revoked: number[] = [];
    const missing: number[] = [];
    await ctx.withStorage(async (s) => {
      for (const id of ids) ((await s.tokens.revokeToken(id, Date.now())) ? revoked : missing).push(id);
    });
    if (ctx.json) ctx.io.out(json({ revoked, not_found: missing }));
    else {
      if (revoked.length > 0) ctx.io.out(`Revoked token(s): ${revoked.join(', ')}`);
      if (missing.length > 0) ctx.io.err(`No live token with id: ${missing.join(', ')}`);
    }
    return missing.length > 0 ? 1 : 0;
  },
};

export const tokenCommands: Command[] = [tokensCreate, tokensList, tokensRevoke];
