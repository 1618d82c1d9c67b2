/**
 * In-memory counters for `GET /metrics`, rendered in the Prometheus text exposition format
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Fed from every upstream attempt
 * the proxy reports; each process (or Workers isolate) counts its own traffic since it started.
 */

/** Upper bounds of the latency histogram's buckets, in seconds. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

/** Distinct label sets kept per metric; past it, the model label becomes `other` (client-chosen names). */
const MAX_SERIES = 2000;

/** One upstream attempt, as `PoolService.report` sees it. */
export interface AttemptSample {
  endpoint: string;
  model: string | null;
  /** HTTP status; 0 when no response arrived, 499 when the client went away. */
  status: number;
  outcome: string;
  latencyMs: number;
  /** 1 for the first attempt of a request; higher for retries. */
  attempt: number;
  tokens: { prompt: number; completion: number };
  /** The access token of the request, for the per-token counters. */
  accessTokenId?: number | null;
}

/** Values computed at scrape time. */
export interface MetricGauges {
  /** Keys by state: active, cooling, disabled. */
  keys: Record<string, number>;
  /** Keys usable now for a request without a model. */
  usableKeys: number;
  /** Writes buffered for the next flush. */
  pendingWrites: number;
  /** Usage rows dropped since start because the buffer was full while storage failed. */
  usageRowsDropped: number;
}

type Labels = Record<string, string>;

interface Series<T> {
  labels: Labels;
  value: T;
}

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/** Escapes a label value: backslash, double quote and newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** One access token's counters, found without building labels. */
interface TokenSeries {
  name: string;
  requests: Map<string, { n: number }>;
  tokens: { n: number } | null;
}

/**
 * The series one endpoint and model feed, found with map lookups instead of building labels; each
 * is taken from its family the first time it is counted, as the family would hand it out.
 */
interface RouteSeries {
  /** By HTTP status, then outcome. */
  attempts: Map<number, Map<string, { n: number }>>;
  prompt: { n: number } | null;
  completion: { n: number } | null;
  latency: Histogram | null;
}

/** A family of series keyed by label values, with a cap on how many it keeps. */
class Family<T> {
  readonly #series = new Map<string, Series<T>>();

  constructor(private readonly create: () => T) {}

  get(labels: Labels): T {
    const id = Object.values(labels).join('\u0000');
    let series = this.#series.get(id);
    if (!series) {
      if (this.#series.size >= MAX_SERIES && labels.model !== undefined && labels.model !== 'other') {
        return this.get({ ...labels, model: 'other' });
      }
      series = { labels, value: this.create() };
      this.#series.set(id, series);
    }
    return series.value;
  }

  values(): Iterable<Series<T>> {
    return this.#series.values();
  }
}

export class GatewayMetrics {
  readonly #attempts = new Family(() => ({ n: 0 }));
  readonly #retries = new Family(() => ({ n: 0 }));
  readonly #tokens = new Family(() => ({ n: 0 }));
  readonly #validations = new Family(() => ({ n: 0 }));
  readonly #tokenRequests = new Family(() => ({ n: 0 }));
  readonly #tokenTokens = new Family(() => ({ n: 0 }));
  /**
   * Each access token's series, by id, under the name it was last seen with (never the secret):
   * a request finds its counter with two map lookups instead of building labels.
   */
  readonly #tokenSeries = new Map<number, TokenSeries>();
  /** Endpoint → model → its series; at most `MAX_SERIES` pairs (models are client-chosen names). */
  readonly #routes = new Map<string, Map<string, RouteSeries>>();
  #routeCount = 0;
  readonly #latency = new Family<Histogram>(() => ({
    buckets: LATENCY_BUCKETS.map(() => 0),
    sum: 0,
    count: 0,
  }));

  /** Counts one upstream attempt. */
  recordAttempt(sample: AttemptSample): void {
    const model = sample.model ?? '';
    const route = this.#route(sample.endpoint, model);
    let byOutcome = route.attempts.get(sample.status);
    if (!byOutcome) {
      byOutcome = new Map();
      route.attempts.set(sample.status, byOutcome);
    }
    let attempts = byOutcome.get(sample.outcome);
    if (!attempts) {
      attempts = this.#attempts.get({
        endpoint: sample.endpoint,
        model,
        status: String(sample.status),
        outcome: sample.outcome,
      });
      byOutcome.set(sample.outcome, attempts);
    }
    attempts.n++;
    if (sample.attempt > 1) this.#retries.get({ endpoint: sample.endpoint }).n++;
    if (sample.tokens.prompt > 0) {
      route.prompt ??= this.#tokens.get({ model, kind: 'prompt' });
      route.prompt.n += sample.tokens.prompt;
    }
    if (sample.tokens.completion > 0) {
      route.completion ??= this.#tokens.get({ model, kind: 'completion' });
      route.completion.n += sample.tokens.completion;
    }
    const tokenId = sample.accessTokenId;
    const total = sample.tokens.prompt + sample.tokens.completion;
    if (tokenId !== undefined && tokenId !== null && total > 0) {
      const series = this.#tokenSeries.get(tokenId);
      if (series) {
        series.tokens ??= this.#tokenTokens.get({ token_id: String(tokenId), token_name: series.name });
        series.tokens.n += total;
      }
    }
    // Attempts that never reached Google (status 0) or were cut by the client say nothing of its latency.
    if (sample.status === 0 || sample.outcome === 'client-abort') return;
    const seconds = Math.max(0, sample.latencyMs) / 1000;
    const h = (route.latency ??= this.#latency.get({ endpoint: sample.endpoint }));
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= (LATENCY_BUCKETS[i] as number)) h.buckets[i] = (h.buckets[i] as number) + 1;
    }
    h.sum += seconds;
    h.count++;
  }

  /** The series of an endpoint and model; past `MAX_SERIES` pairs, a fresh one each time (found through the families). */
  #route(endpoint: string, model: string): RouteSeries {
    let byModel = this.#routes.get(endpoint);
    const known = byModel?.get(model);
    if (known) return known;
    const route: RouteSeries = { attempts: new Map(), prompt: null, completion: null, latency: null };
    if (this.#routeCount >= MAX_SERIES) return route;
    if (!byModel) {
      byModel = new Map();
      this.#routes.set(endpoint, byModel);
    }
    byModel.set(model, route);
    this.#routeCount++;
    return route;
  }

  /** Counts one client request of an access token: `admitted`, or the refusal's code. */
  recordTokenRequest(token: { id: number; name: string }, result: string): void {
    let series = this.#tokenSeries.get(token.id);
    if (!series || series.name !== token.name) {
      series = { name: token.name, requests: new Map(), tokens: null };
      this.#tokenSeries.set(token.id, series);
    }
    let counter = series.requests.get(result);
    if (!counter) {
      counter = this.#tokenRequests.get({ token_id: String(token.id), token_name: token.name, result });
      series.requests.set(result, counter);
    }
    counter.n++;
  }

  /** Counts one key check (`valid`, `invalid`, …). */
  recordValidation(result: string): void {
    this.#validations.get({ result }).n++;
  }

  /** Every metric, in the Prometheus text format (version 0.0.4). */
  render(gauges: MetricGauges): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    const counters = (family: Family<{ n: number }>, name: string) => {
      for (const s of family.values()) out.push(`${name}${labelText(s.labels)} ${formatNumber(s.value.n)}`);
    };

    head(
      'gkp_upstream_requests_total',
      'counter',
      'Upstream attempts by endpoint, model, HTTP status (0: no response) and outcome.',
    );
    counters(this.#attempts, 'gkp_upstream_requests_total');
    head('gkp_retries_total', 'counter', 'Upstream attempts after the first one of a request.');
    counters(this.#retries, 'gkp_retries_total');
    head('gkp_tokens_total', 'counter', 'Tokens reported by Gemini, by model and kind (prompt, completion).');
    counters(this.#tokens, 'gkp_tokens_total');
    head(
      'gkp_token_requests_total',
      'counter',
      'Client requests by access token (id and name) and result: admitted, or the refusal code.',
    );
    counters(this.#tokenRequests, 'gkp_token_requests_total');
    head(
      'gkp_token_tokens_total',
      'counter',
      'Tokens reported by Gemini for each access token (id and name).',
    );
    counters(this.#tokenTokens, 'gkp_token_tokens_total');
    head('gkp_key_validations_total', 'counter', 'Key checks by result.');
    counters(this.#validations, 'gkp_key_validations_total');

    head(
      'gkp_upstream_latency_seconds',
      'histogram',
      'Time from sending an attempt upstream until its response was read (streams: until they ended).',
    );
    for (const { labels, value: h } of this.#latency.values()) {
      LATENCY_BUCKETS.forEach((le, i) => {
        out.push(
          `gkp_upstream_latency_seconds_bucket${labelText(labels, ['le', String(le)])} ${h.buckets[i]}`,
        );
      });
      out.push(`gkp_upstream_latency_seconds_bucket${labelText(labels, ['le', '+Inf'])} ${h.count}`);
      out.push(`gkp_upstream_latency_seconds_sum${labelText(labels)} ${formatNumber(h.sum)}`);
      out.push(`gkp_upstream_latency_seconds_count${labelText(labels)} ${h.count}`);
    }

    head('gkp_keys', 'gauge', 'Keys in the pool by state.');
    for (const [state, n] of Object.entries(gauges.keys)) out.push(`gkp_keys${labelText({ state })} ${n}`);
    head('gkp_usable_keys', 'gauge', 'Keys usable now for a request without a model.');
    out.push(`gkp_usable_keys ${gauges.usableKeys}`);
    head('gkp_pending_writes', 'gauge', 'Usage rows, counters and state changes waiting for the next flush.');
    out.push(`gkp_pending_writes ${gauges.pendingWrites}`);
    head(
      'gkp_usage_rows_dropped_total',
      'counter',
      'Usage rows dropped because MAX_BUFFERED_USAGE_ROWS were waiting while storage failed.',
    );
    out.push(`gkp_usage_rows_dropped_total ${gauges.usageRowsDropped}`);
    return `${out.join('\n')}\n`;
  }
}
