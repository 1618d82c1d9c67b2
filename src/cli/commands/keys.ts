/** `keys add|list|enable|disable|rm`: the key table, as the admin API sees it. */
import { readFile } from 'node:fs/promises';
import { PROJECT_PATTERN, parseGroup, parseKeyText } from '../../core/keys/import.js';
import { KeyPool } from '../../core/pool/pool.js';
import type { NewKey } from '../../core/types.js';
import { keyView, type KeyView } from '../../http/key-view.js';
import type { Command } from '../command.js';
import { json, parseIds, table } from '../format.js';
import { UsageError } from '../io.js';

const STATES = new Set(['active', 'cooling', 'disabled']);
const clock = { now: () => Date.now() };

function detail(k: KeyView): string {
  if (k.disabled) {
    const until = k.disabled.until ? ` until ${k.disabled.until}` : '';
    // A key disabled by hand has the reason `manual`; saying it twice tells nothing.
    const why =
      k.disabled.reason === k.disabled.by ? k.disabled.by : `${k.disabled.by}: ${k.disabled.reason}`;
    return `${why}${until}`;
  }
  return k.cooldowns.map((c) => `${c.model} until ${c.until}`).join(', ');
}

const keysAdd: Command = {
  name: 'keys add',
  summary: 'Add keys; keys already present are left as they are',
  args: '[KEY[,EMAIL[,PROJECT[,GROUP]]]...]',
  details: [
    'Keys come from the arguments and/or --file: one key[,email[,project[,group]]] per line, or',
    'several keys separated by commas. Prefer --file (or --file - for standard input): keys',
    'given as arguments end up in your shell history.',
  ],
  options: {
    file: {
      type: 'string',
      short: 'f',
      value: 'PATH',
      description: 'Read keys from a file; - reads standard input',
    },
    email: { type: 'string', value: 'EMAIL', description: 'gmail_email for keys that name none' },
    project: { type: 'string', value: 'NAME', description: 'Project label for keys that name none' },
    group: { type: 'string', value: 'NAME', description: 'Key group for keys that name none' },
  },
  async run(ctx, values, args) {
    const group = values.group === undefined ? undefined : groupArg(values.group as string);
    let text = args.join('\n');
    const file = values.file as string | undefined;
    if (file !== undefined)
      text += `\n${file === '-' ? await ctx.io.readStdin() : await readFile(file, 'utf8')}`;
    if (text.trim() === '') throw new UsageError('no keys given: pass them as arguments or with --file PATH');
    const project = values.project as string | undefined;
    if (project !== undefined && !PROJECT_PATTERN.test(project)) {
      throw new UsageError('--project must be 1–128 characters of letters, digits, . _ : -');
    }
    const email = values.email as string | undefined;
    const parsed = parseKeyText(text);
    const keys: NewKey[] = parsed.keys.map((k) => ({
      apiKey: k.apiKey,
      email: k.email ?? email ?? null,
      project: k.project ?? project ?? null,
      group: k.group ?? group ?? null,
    }));
    const result = await ctx.withStorage((s) => s.keys.addKeys(keys, Date.now()));
    const out = { added: result.added, duplicates: result.duplicates, invalid: parsed.invalid };
    ctx.io.out(
      ctx.json
        ? json(out)
        : `Added ${out.added} key(s); ${out.duplicates} already present; ${out.invalid} invalid line(s) skipped.`,
    );
    return 0;
  },
};

const keysList: Command = {
  name: 'keys list',
  summary: 'List keys (masked) with their state and counters',
  args: '',
  options: {
    state: {
      type: 'string',
      value: 'STATE',
      description: 'Only keys in this state: active, cooling or disabled',
    },
    group: {
      type: 'string',
      value: 'NAME',
      description: "Only keys of this group; '-' for keys of no group",
    },
  },
  async run(ctx, values) {
    const group =
      values.group === undefined ? undefined : values.group === '-' ? null : groupArg(values.group as string);
    const state = values.state as string | undefined;
    if (state !== undefined && !STATES.has(state)) {
      throw new UsageError('--state must be active, cooling or disabled');
    }
    const now = clock.now();
    const [keys, owned] = await ctx.withStorage(async (s) => [
      await s.keys.loadKeys(),
      await s.resources.countByKey(now),
    ]);
    const pool = new KeyPool({ clock, random: { next: () => Math.random() } });
    pool.replaceAll(keys);
    const views = pool
      .list()
      .map((k) => keyView(pool, k, now, owned.get(k.id) ?? 0))
      .filter((k) => state === undefined || k.state === state)
      .filter((k) => group === undefined || k.group === group);
    if (ctx.json) {
      ctx.io.out(json({ keys: views }));
      return 0;
    }
    if (views.length === 0) {
      ctx.io.out(
        state ? `No ${state} keys.` : 'No keys. Add some with: gemini-key-pool keys add --file keys.txt',
      );
      return 0;
    }
    const rows = views.map((k) => [
      String(k.id),
      k.key,
      k.state,
      String(k.total_requests),
      String(k.error_count),
      k.gmail_email ?? '-',
      k.project ?? '-',
      k.group ?? '-',
      k.last_used_at ?? '-',
      detail(k),
    ]);
    ctx.io.out(
      table(
        ['ID', 'KEY', 'STATE', 'REQUESTS', 'ERRORS', 'EMAIL', 'PROJECT', 'GROUP', 'LAST USED', 'DETAIL'],
        rows,
      ),
    );
    return 0;
  },
};

function toggle(enable: boolean): Command {
  const verb = enable ? 'enable' : 'disable';
  return {
    name: `keys ${verb}`,
    summary: enable
      ? 'Enable keys: clears any disable and the consecutive error count'
      : 'Disable keys by hand: the pool, checks and scheduled jobs leave them disabled',
    args: 'ID...',
    async run(ctx, _values, args) {
      if (args.length === 0) throw new UsageError('give at least one key id (see: keys list)');
      const ids = parseIds(args);
      const now = Date.now();
      const changed = new Set(await ctx.withStorage((s) => s.keys.setKeysActive(ids, enable, now)));
      const done = ids.filter((id) => changed.has(id));
      const missing = ids.filter((id) => !changed.has(id));
      const past = enable ? 'enabled' : 'disabled';
      if (ctx.json) ctx.io.out(json({ [past]: done, not_found: missing }));
      else {
        if (done.length > 0) ctx.io.out(`${done.length} key(s) ${past}: ${done.join(', ')}`);
        if (missing.length > 0) ctx.io.err(`No key with id: ${missing.join(', ')}`);
      }
      return missing.length > 0 ? 1 : 0;
    },
  };
}

const keysRm: Command = {
  name: 'keys rm',
  summary: 'Delete keys (their usage rows stay)',
  args: 'ID...',
  async run(ctx, _values, args) {
    if (args.length === 0) throw new UsageError('give at least one key id (see: keys list)');
    const ids = [...new Set(parseIds(args))];
    const missing: number[] = [];
    const deleted = await ctx.withStorage(async (s) => {
      const known = new Set((await s.keys.loadKeys()).map((k) => k.id));
      for (const id of ids) if (!known.has(id)) missing.push(id);
      return s.keys.deleteKeys(ids.filter((id) => known.has(id)));
    });
    if (ctx.json) ctx.io.out(json({ deleted, not_found: missing }));
    else {
      ctx.io.out(`${deleted} key(s) deleted.`);
      if (missing.length > 0) ctx.io.err(`No key with id: ${missing.join(', ')}`);
    }
    return missing.length > 0 ? 1 : 0;
  },
};

const keysSetGroup: Command = {
  name: 'keys set-group',
  summary: "Put keys in a group ('-' takes them out of any group)",
  args: 'GROUP ID...',
  details: ['Tokens bound to a group (tokens update --group NAME) use only its keys.'],
  async run(ctx, _values, args) {
    const [name, ...rest] = args;
    if (name === undefined || rest.length === 0)
      throw new UsageError('give a group and key ids, e.g.: keys set-group team-a 1 2 3');
    const group = name === '-' ? null : groupArg(name);
    const ids = [...new Set(parseIds(rest))];
    const changed = new Set(await ctx.withStorage((s) => s.keys.setKeysGroup(ids, group, Date.now())));
    const done = ids.filter((id) => changed.has(id));
    const missing = ids.filter((id) => !changed.has(id));
    if (ctx.json) ctx.io.out(json({ group, updated: done, not_found: missing }));
    else {
      if (done.length > 0)
        ctx.io.out(
          `${done.length} key(s) ${group === null ? 'in no group' : `in group ${group}`}: ${done.join(', ')}`,
        );
      if (missing.length > 0) ctx.io.err(`No key with id: ${missing.join(', ')}`);
    }
    return missing.length > 0 ? 1 : 0;
  },
};

/** A group name from the command line, refused with the rule it breaks. */
function groupArg(raw: string): string {
  const group = parseGroup(raw);
  if (!group)
    throw new UsageError(
      `not a group name: ${raw.slice(0, 80)} (1–64 characters of letters, digits, . _ : -)`,
    );
  return group;
}

export const keyCommands: Command[] = [keysAdd, keysList, toggle(true), toggle(false), keysRm, keysSetGroup];
