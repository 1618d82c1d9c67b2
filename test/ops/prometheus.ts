/**
 * A strict parser for the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), for tests: it throws on anything
 * a scraper would reject or that breaks the format's rules, and returns every sample.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the sample with exactly these labels, or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value ${text}`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `i`; returns the labels and the index after `}`. */
function parseLabels(s: string, i: number, line: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i++;
  while (s[i] !== '}') {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without =`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name ${name}`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const next = s[j + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`line ${line}: bad escape \\${next}`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`line ${line}: expected , or } after a label`);
  }
  return { labels, end: i + 1 };
}

/** The family a sample belongs to: histogram samples carry `_bucket`, `_sum` and `_count`. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    if (types.get(base) === 'histogram' || types.get(base) === 'summary') return base;
  }
  return undefined;
}

export function parsePrometheus(text: string): Exposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const withSamples = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  text
    .slice(0, -1)
    .split('\n')
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.trim() === '') return;
      if (raw.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
        if (!m) return; // a plain comment
        const [, kind, name = '', rest = ''] = m;
        if (!METRIC.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
        if (kind === 'HELP') {
          if (helps.has(name)) throw new Error(`line ${line}: second HELP for ${name}`);
          helps.add(name);
          return;
        }
        if (!TYPES.has(rest)) throw new Error(`line ${line}: bad type ${rest}`);
        if (types.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (withSamples.has(name)) throw new Error(`line ${line}: TYPE for ${name} after its samples`);
        types.set(name, rest);
        return;
      }
      const nameEnd = raw.search(/[{ ]/);
      if (nameEnd <= 0) throw new Error(`line ${line}: no value`);
      const name = raw.slice(0, nameEnd);
      if (!METRIC.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      let labels: Record<string, string> = {};
      let i = nameEnd;
      if (raw[i] === '{') ({ labels, end: i } = parseLabels(raw, i, line));
      if (raw[i] !== ' ') throw new Error(`line ${line}: expected a space before the value`);
      const parts = raw.slice(i + 1).split(' ');
      if (parts.length > 2 || (parts[1] !== undefined && !/^-?\d+$/.test(parts[1]))) {
        throw new Error(`line ${line}: bad value or timestamp`);
      }
      const value = parseValue(parts[0] ?? '', line);
      const family = familyOf(name, types);
      if (family === undefined) throw new Error(`line ${line}: ${name} has no TYPE line before it`);
      withSamples.add(family);
      const id = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(id)) throw new Error(`line ${line}: duplicate series ${raw}`);
      seen.add(id);
      samples.push({ name, labels, value });
    });
  checkHistograms(types, samples);
  return {
    types,
    samples,
    value(name, labels = {}) {
      const want = JSON.stringify(Object.entries(labels).sort());
      return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)
        ?.value;
    },
  };
}

/** Buckets are cumulative, end with `le="+Inf"`, and that bucket equals `_count`. */
function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      if (s.labels.le === undefined) throw new Error(`${family}_bucket without le`);
      const { le: _le, ...rest } = s.labels;
      const id = JSON.stringify(Object.entries(rest).sort());
      groups.set(id, [...(groups.get(id) ?? []), s]);
    }
    for (const [id, buckets] of groups) {
      const bounds = buckets.map((b) => parseValue(b.labels.le as string, 0));
      for (let i = 1; i < buckets.length; i++) {
        if (!((bounds[i] as number) > (bounds[i - 1] as number)))
          throw new Error(`${family}: le not increasing`);
        if ((buckets[i] as Sample).value < (buckets[i - 1] as Sample).value) {
          throw new Error(`${family}: buckets not cumulative`);
        }
      }
      if (bounds.at(-1) !== Infinity) throw new Error(`${family}: no le="+Inf" bucket`);
      const count = samples.find(
        (s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === id,
      );
      if (!count || count.value !== buckets.at(-1)?.value)
        throw new Error(`${family}: _count differs from +Inf`);
    }
  }
}
