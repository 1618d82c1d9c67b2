import { useEffect, useState } from 'preact/hooks';
import { useNotify } from '../../components/toasts.js';
import { lookup, useI18n, type Translate } from '../../i18n/index.js';
import { ApiError } from '../../lib/api.js';
import { useApi } from '../../lib/api-context.js';
import { errorText } from '../../lib/errors.js';
import { useLoader } from '../../lib/hooks.js';
import type { ConfigInput } from '../../../../src/core/config.js';
import type { ConfigEntry } from '../../lib/types.js';

type Values = Record<string, string>;

/**
 * Whether the server would take `value`, as far as the form can tell: integers are checked here, so
 * a typo is caught before the request; the controls for choices and flags offer only valid values.
 */
function acceptable(input: ConfigInput, value: string): boolean {
  if (input.kind !== 'integer') return true;
  const n = Number(value.trim());
  return /^\s*-?\d+\s*$/.test(value) && n >= input.min && n <= input.max;
}

/** What a field accepts, in the reader's language: the message for a refused value, here or by the server. */
function refusalText(input: ConfigInput, t: Translate): string {
  if (input.kind === 'integer') return t('config.err_integer', { min: input.min, max: input.max });
  if (input.kind === 'choice') return t('config.err_choice', { choices: input.choices.join(', ') });
  if (input.kind === 'text') return t('config.err_text', { max: input.maxLength });
  return t('config.err_flag');
}

function ConfigControl(props: {
  id: string;
  entry: ConfigEntry;
  value: string;
  invalid: boolean;
  describedBy: string;
  onInput: (value: string) => void;
}) {
  const { t } = useI18n();
  const { id, entry, value, invalid, describedBy, onInput } = props;
  const common = {
    id,
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': describedBy,
    'data-testid': `config-input-${entry.key}`,
  };
  const input = entry.input;
  if (input.kind === 'choice') {
    return (
      <select {...common} class="mono" value={value} onChange={(e) => onInput(e.currentTarget.value)}>
        {input.choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  }
  if (input.kind === 'flag') {
    return (
      <label class="check-label">
        <input
          {...common}
          type="checkbox"
          checked={value === '1'}
          onChange={(e) => onInput(e.currentTarget.checked ? '1' : '0')}
        />{' '}
        {t('config.on')}
      </label>
    );
  }
  if (input.kind === 'text') {
    return (
      <textarea
        {...common}
        class="mono"
        rows={3}
        maxLength={input.maxLength}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    );
  }
  return (
    <input
      {...common}
      class="mono"
      type="number"
      inputMode="numeric"
      min={input.min}
      max={input.max}
      step={1}
      value={value}
      onInput={(e) => onInput(e.currentTarget.value)}
    />
  );
}

function ConfigField(props: {
  entry: ConfigEntry;
  value: string;
  error: string | undefined;
  onInput: (value: string) => void;
}) {
  const { t, lang } = useI18n();
  const { entry, value, error } = props;
  const id = `config-${entry.key}`;
  const changed = value !== entry.value;
  return (
    <div class={`config-field ${error ? 'invalid' : ''}`} data-testid={`config-field-${entry.key}`}>
      <label for={id} class="mono">
        {entry.key}
        {changed && <span class="changed-mark"> {t('config.changed')}</span>}
      </label>
      <p id={`${id}-desc`} class="muted small">
        {lookup(lang, `config.desc.${entry.key}`) ?? entry.description}{' '}
        <span class="config-default">{t('config.default', { value: entry.default })}</span>
      </p>
      <div class="config-input-row">
        <ConfigControl
          id={id}
          entry={entry}
          value={value}
          invalid={error !== undefined}
          describedBy={`${id}-desc${error ? ` ${id}-error` : ''}`}
          onInput={props.onInput}
        />
        {value !== entry.default && (
          <button type="button" class="small link" onClick={() => props.onInput(entry.default)}>
            {t('config.use_default')}
          </button>
        )}
      </div>
      {error && (
        <p id={`${id}-error`} class="field-error" data-testid={`config-error-${entry.key}`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function ConfigForm() {
  const api = useApi();
  const { t } = useI18n();
  const notify = useNotify();
  const loaded = useLoader(() => api.getConfig(), []);
  const [entries, setEntries] = useState<ConfigEntry[]>([]);
  const [values, setValues] = useState<Values>({});
  const [errors, setErrors] = useState<Values>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const reset = (config: ConfigEntry[]) => {
    setEntries(config);
    setValues(Object.fromEntries(config.map((c) => [c.key, c.value])));
    setErrors({});
  };
  useEffect(() => {
    if (loaded.data) reset(loaded.data.config);
  }, [loaded.data]);

  const changes = Object.fromEntries(
    entries
      .filter((e) => values[e.key] !== undefined && values[e.key] !== e.value)
      .map((e) => [e.key, values[e.key]!]),
  );
  const dirty = Object.keys(changes).length > 0;

  const save = async (e: Event) => {
    e.preventDefault();
    if (!dirty) return;
    const problems = Object.fromEntries(
      entries
        .filter((entry) => {
          const value = changes[entry.key];
          return value !== undefined && !acceptable(entry.input, value);
        })
        .map((entry) => [entry.key, refusalText(entry.input, t)]),
    );
    if (Object.keys(problems).length > 0) {
      setErrors(problems);
      setMessage({ ok: false, text: t('config.refused') });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const res = await api.putConfig(changes);
      reset(res.config);
      setMessage({ ok: true, text: t('config.saved') });
      notify('ok', t('config.saved'));
    } catch (err) {
      if (err instanceof ApiError && err.details) {
        const details = err.details;
        setErrors(
          Object.fromEntries(
            Object.entries(details).map(([key, text]) => {
              const entry = entries.find((e) => e.key === key);
              return [key, entry ? refusalText(entry.input, t) : text];
            }),
          ),
        );
        const general = details._;
        setMessage({ ok: false, text: general ?? t('config.refused') });
      } else {
        setMessage({ ok: false, text: errorText(err, t) });
      }
    } finally {
      setBusy(false);
    }
  };

  if (loaded.error !== null && entries.length === 0) {
    return (
      <p class="error-box" role="alert">
        {errorText(loaded.error, t)}
      </p>
    );
  }
  return (
    <form class="card stack" onSubmit={save} data-testid="config-form" noValidate>
      <h2>{t('config.title')}</h2>
      <p class="muted">{t('config.intro')}</p>
      {entries.map((entry) => (
        <ConfigField
          key={entry.key}
          entry={entry}
          value={values[entry.key] ?? ''}
          error={errors[entry.key]}
          onInput={(v) => {
            setValues({ ...values, [entry.key]: v });
            setMessage(null);
          }}
        />
      ))}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy || !dirty} data-testid="config-save">
          {t('common.save')}
        </button>
        <button
          type="button"
          disabled={busy || !dirty}
          onClick={() => reset(entries)}
          data-testid="config-discard"
        >
          {t('config.discard')}
        </button>
        {message && (
          <span
            class={message.ok ? 'ok-text' : 'field-error'}
            role={message.ok ? 'status' : 'alert'}
            data-testid={message.ok ? 'config-saved' : 'config-refused'}
          >
            {message.text}
          </span>
        )}
      </div>
    </form>
  );
}
