/** `tokens create|list|update|revoke`: client access tokens, stored hashed, and their rules. */
import { accessTokenView, issueAccessToken, TOKEN_NAME_MAX_LENGTH } from '../../core/access-tokens.js';
import type { Command } from '../command.js';
import { json, parseIds, table, when } from '../format.js';
import { UsageError } from '../io.js';
import { describeRules, RULE_OPTIONS, rulesFromOptions } from './token-rule-options.js';

const tokensCreate: Command = {
  name: 'tokens create',
  summary: 'Create a client access token; it is shown only this once',
  args: 'NAME',
  details: ['Without rules the token may use every model, without limit, with the keys of no group.'],
  options: { ...RULE_OPTIONS, paused: { type: 'boolean', description: 'Create it paused' } },
  async run(ctx, values, args) {
    const name = args.join(' ').trim();
    if (name === '' || name.length > TOKEN_NAME_MAX_LENGTH) {
      throw new UsageError(
        `give a name of 1–${TOKEN_NAME_MAX_LENGTH} characters, e.g.: tokens create laptop`,
      );
    }
    const rules = { ...rulesFromOptions(values), ...(values.paused ? { enabled: false } : {}) };
    const { token, secret } = await ctx.withStorage((s) =>
      issueAccessToken(s.tokens, name, Date.now(), rules),
    );
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
        describeRules(t),
      ]);
      ctx.io.out(table(['ID', 'NAME', 'HINT', 'SOURCE', 'CREATED', 'LAST USED', 'STATUS', 'RULES'], rows));
    }
    return 0;
  },
};

const tokensUpdate: Command = {
  name: 'tokens update',
  summary: "Change a token's name or rules; flags left out keep their value",
  args: 'ID',
  details: ['A running gateway applies the change within 20 seconds (its verdict cache).'],
  options: {
    ...RULE_OPTIONS,
    name: { type: 'string', value: 'NAME', description: 'A new name' },
    pause: { type: 'boolean', description: 'Pause the token (refused with 401 until resumed)' },
    resume: { type: 'boolean', description: 'Resume a paused token' },
  },
  async run(ctx, values, args) {
    const [id] = parseIds(args.slice(0, 1), 'token id');
    if (id === undefined || args.length !== 1) throw new UsageError('give one token id (see: tokens list)');
    if (values.pause && values.resume) throw new UsageError('--pause and --resume exclude each other');
    const rules = rulesFromOptions(values);
    if (values.pause) rules.enabled = false;
    if (values.resume) rules.enabled = true;
    const name = typeof values.name === 'string' ? values.name.trim() : undefined;
    if (name !== undefined && (name === '' || name.length > TOKEN_NAME_MAX_LENGTH)) {
      throw new UsageError(`--name must be 1–${TOKEN_NAME_MAX_LENGTH} characters`);
    }
    if (name === undefined && Object.keys(rules).length === 0) {
      throw new UsageError('nothing to change: give --name, --pause, --resume or a rule flag (see --help)');
    }
    const token = await ctx.withStorage((s) => s.tokens.updateToken(id, rules, name));
    if (!token) {
      ctx.io.err(`No live token with id: ${id}`);
      return 1;
    }
    if (ctx.json) ctx.io.out(json({ token: accessTokenView(token) }));
    else ctx.io.out(`Updated token ${token.id} (${token.name}): ${describeRules(token)}`);
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

export const tokenCommands: Command[] = [tokensCreate, tokensList, tokensUpdate, tokensRevoke];
