/**
 * The admin panel in a real browser (Debian's chromium through playwright-core), against the real
 * Node gateway and the mock Gemini upstream. Screenshots of each page go to test-artifacts/screenshots.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskKey, startMockGemini, type MockGemini } from '../fixtures/mock-gemini/index.js';
import { startNodeGateway, type TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHOTS = 'test-artifacts/screenshots';
const XSS_EMAIL = '<img src=x onerror=alert(1)>';

const GOOD = fakeKey('panel-good');
const INVALID = fakeKey('panel-invalid');
const LIMITED = fakeKey('panel-limited');
const ADDED = fakeKey('panel-added');
const FROM_FILE = fakeKey('panel-file');

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn('chromium not installed: apt-get install chromium to run the panel tests');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds admin-ui/dist when it is missing or older than its sources (the gateway serves it from disk). */
function ensurePanelBuilt(): void {
  const built = 'admin-ui/dist/index.html';
  const sources = Math.max(
    newestMtime('admin-ui/src'),
    newestMtime('admin-ui/index.html'),
    newestMtime('admin-ui/vite.config.ts'),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'admin-ui/vite.config.ts', '--logLevel', 'warn'],
    { stdio: 'inherit' },
  );
}

(hasChromium ? describe : describe.skip)('admin panel in chromium', () => {
  let mock: MockGemini;
  let gw: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const nativeDialogs: string[] = [];
  const pageErrors: string[] = [];
  /** Content-Security-Policy violations reported by any page, in any context. */
  const cspViolations: string[] = [];
  /** Reports every CSP violation on the context's pages, as an event and in the console. */
  const watchCsp = async (ctx: BrowserContext) => {
    await ctx.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`),
      );
    });
    ctx.on('console', (message) => {
      if (/Content Security Policy|CSP violation/i.test(message.text())) cspViolations.push(message.text());
    });
  };

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const idOf = async (key: string): Promise<number> => {
    const res = await gw.admin('GET', '/keys?page_size=500');
    const entry = (res.body.keys as Array<{ id: number; key: string }>).find((k) => k.key === maskKey(key));
    if (!entry) throw new Error(`key ${maskKey(key)} not listed`);
    return entry.id;
  };
  const keyEntry = async (id: number) => {
    const res = await gw.admin('GET', '/keys?page_size=500');
    const keys = res.body.keys as Array<{
      id: number;
      is_active: boolean;
      error_count: number;
      cooldowns: Array<{ until: string }>;
    }>;
    return keys.find((k) => k.id === id)!;
  };
  const keyDisabled = async (id: number) => {
    const res = await gw.admin('GET', `/keys?page_size=500`);
    return (res.body.keys as Array<{ id: number; disabled: unknown }>).find((k) => k.id === id)!.disabled;
  };
  /** Horizontal overflow of the keys table's scroll box, and row buttons cut off at its right edge. */
  const keysTableFit = () =>
    page.getByTestId('keys-table').evaluate((table: Element) => {
      const wrap = table.parentElement!;
      const right = wrap.getBoundingClientRect().right;
      const buttons = [...table.querySelectorAll('.row-actions button')];
      return {
        overflow: wrap.scrollWidth - wrap.clientWidth,
        cutOff: buttons.filter((b) => b.getBoundingClientRect().right > right).length,
        buttons: buttons.length,
      };
    });
  /** The validate dialog's summary tiles, once its checks are finished. */
  const validateSummary = async (done: string) => {
    await expect.poll(() => page.getByTestId('validate-close').textContent(), { timeout: 10_000 }).toBe(done);
    const fields = ['checked', 'valid', 'rate_limited', 'invalid', 'error', 'unreachable', 'skipped'];
    const values: Record<string, number> = {};
    for (const f of [...fields, 'enabled', 'disabled']) {
      values[f] = Number(await page.getByTestId(`validate-sum-${f}`).getAttribute('data-value'));
    }
    return values;
  };
  const modelListCalls = () => mock.stats().byPath['/v1beta/models'] ?? 0;
  const badge = (id: number) => page.getByTestId(`key-state-${id}`);
  const badgeText = async (id: number) => {
    await page.getByTestId('keys-refresh').click();
    return (await badge(id).textContent())?.trim();
  };
  const goTo = async (nav: string, testId: string) => {
    await page.getByTestId(`nav-${nav}`).click();
    await page.getByTestId(testId).waitFor();
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ensurePanelBuilt();
    mock = await startMockGemini();
    gw = await startNodeGateway({ upstreamUrl: mock.url, keys: [GOOD, INVALID, LIMITED] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({
      locale: 'en-US',
      colorScheme: 'light',
      viewport: { width: 1360, height: 900 },
    });
    await watchCsp(context);
    // Shorter than the test timeout, so a missing element fails with its selector in the message.
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      nativeDialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await mock?.close();
  });

  it('refuses a wrong token, slows repeated failures down, then signs in with the right one', async () => {
    const served = await page.goto(`${gw.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/');
    const headers = served!.headers();
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['referrer-policy']).toBe('no-referrer');
    await page.getByTestId('signin-token').fill('not-the-admin-token');
    await page.getByTestId('signin-submit').click();
    await expect.poll(() => page.getByTestId('signin-error').textContent()).toBe('Wrong admin token.');
    await shot('signin');

    // Keep failing until the gateway answers 429; the panel then says how long to wait.
    let status = 401;
    for (let i = 0; i < 10 && status !== 429; i++) {
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/admin/api/session')),
        page.getByTestId('signin-submit').click(),
      ]);
      status = res.status();
    }
    expect(status).toBe(429);
    expect(await page.getByTestId('signin-error').textContent()).toMatch(/^Too many attempts, wait \d+ s\.$/);

    await page.getByTestId('signin-token').fill(gw.adminToken);
    await page.waitForFunction(() => {
      const button = document.querySelector('[data-testid="signin-submit"]');
      return button instanceof HTMLButtonElement && !button.disabled;
    });
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('chart-requests').waitFor();

    expect(page.url()).not.toContain(gw.adminToken);
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('gkp.admin_token'))).toBe(gw.adminToken);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(gw.adminToken);
    expect(await page.getByTestId('keys-by-state').textContent()).toMatch(/Active\s*3/);
    await shot('dashboard');
  });

  it('adds keys in bulk and reports added, duplicate and invalid lines', async () => {
    await goTo('keys', 'keys-table');
    await page.getByTestId('keys-add-open').click();
    const formats = page.locator('[data-testid="add-keys-format"] code');
    expect(await formats.allTextContents()).toEqual(['key', 'key,email', 'key,email,project']);
    expect(await page.getByTestId('add-keys-format').textContent()).toContain('share its rate limits');
    await page.getByTestId('add-keys-text').fill(`${ADDED},${XSS_EMAIL},proj-e2e\n${GOOD}\nnot-a-key\n`);
    await page.getByTestId('add-keys-submit').click();
    await page.getByTestId('add-keys-result').waitFor();
    expect(await page.getByTestId('add-result-added').textContent()).toBe('Added: 1');
    expect(await page.getByTestId('add-result-duplicates').textContent()).toBe('Duplicates: 1');
    expect(await page.getByTestId('add-result-invalid').textContent()).toBe('Invalid: 1');
    await shot('keys-add');
    await page.keyboard.press('Escape');
    await page.getByTestId('add-keys-dialog').waitFor({ state: 'detached' });

    await page.getByTestId('keys-add-open').click();
    await page.getByTestId('add-keys-file').setInputFiles({
      name: 'keys.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${FROM_FILE},file@example.com\n${ADDED}\n`),
    });
    // The file is read asynchronously.
    await expect.poll(() => page.getByTestId('add-keys-text').inputValue()).toContain(FROM_FILE);
    await page.getByTestId('add-keys-submit').click();
    await page.getByTestId('add-keys-result').waitFor();
    expect(await page.getByTestId('add-result-added').textContent()).toBe('Added: 1');
    expect(await page.getByTestId('add-result-duplicates').textContent()).toBe('Duplicates: 1');
    expect(await page.getByTestId('add-result-invalid').textContent()).toBe('Invalid: 0');
    await page.keyboard.press('Escape');

    const res = await gw.admin('GET', '/keys');
    expect(res.body.total).toBe(5);
    await page.getByTestId(`key-row-${await idOf(ADDED)}`).waitFor();
    await page.getByTestId(`key-row-${await idOf(FROM_FILE)}`).waitFor();
    expect(await page.getByTestId(`key-project-${await idOf(ADDED)}`).textContent()).toBe('proj-e2e');
    expect(await page.getByTestId(`key-project-${await idOf(FROM_FILE)}`).count()).toBe(0);
  });

  it('shows a hostile email as literal text, creating no element and firing no dialog', async () => {
    const id = await idOf(ADDED);
    expect(await page.getByTestId(`key-email-${id}`).textContent()).toBe(XSS_EMAIL);
    expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    await page.getByTestId(`key-edit-${id}`).click();
    // A <dialog> not yet shown is not visible: Escape only closes one that is.
    await page.getByTestId('edit-key-dialog').waitFor({ state: 'visible' });
    expect(await page.getByTestId('edit-email').inputValue()).toBe(XSS_EMAIL);
    // A project the server would refuse is refused here, in words, and nothing is sent.
    const projectOf = async () =>
      (
        (await gw.admin('GET', '/keys?page_size=500')).body.keys as Array<{
          id: number;
          project: string | null;
        }>
      ).find((k) => k.id === id)?.project;
    const project = await projectOf();
    const patches: string[] = [];
    const onRequest = (req: { method(): string; url(): string }) => {
      if (req.method() === 'PATCH') patches.push(req.url());
    };
    page.on('request', onRequest);
    await page.getByTestId('edit-project').fill('not a project');
    await page.getByTestId('edit-save').click();
    expect(await page.getByTestId('edit-key-dialog').locator('.field-error').textContent()).toMatch(
      /^A project is up to 128 letters/,
    );
    expect(await projectOf()).toBe(project);
    page.off('request', onRequest);
    expect(patches).toEqual([]);
    await page.keyboard.press('Escape');
    await page.getByTestId('edit-key-dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    expect(nativeDialogs).toEqual([]);
  });

  it('badges a key the upstream rejects and one it rate-limits, after traffic through the gateway', async () => {
    mock.setKey(INVALID, 'invalid');
    mock.setKey(LIMITED, { rateLimit: 'per_minute', models: ['gemini-2.5-flash'] });
    const client = new OpenAI({ apiKey: gw.accessToken, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 4; i++) {
      const completion = await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: `panel traffic ${i}` }],
      });
      expect(completion.choices[0]?.message.content).toBeTruthy();
    }

    const invalidId = await idOf(INVALID);
    const limitedId = await idOf(LIMITED);
    await expect.poll(() => badgeText(invalidId)).toBe('disabled: API_KEY_INVALID (auto)');
    const limited = await keyEntry(limitedId);
    const until = new Date(limited.cooldowns[0]!.until);
    const clock = `${String(until.getHours()).padStart(2, '0')}:${String(until.getMinutes()).padStart(2, '0')}`;
    await expect.poll(() => badgeText(limitedId)).toBe(`cooling for gemini-2.5-flash until ${clock}`);
    expect(await badge(await idOf(GOOD)).textContent()).toBe('active');
    // Long badges and errors on screen: at 1360 px the table still needs no sideways scrolling.
    expect(await keysTableFit()).toEqual({ overflow: 0, cutOff: 0, buttons: 10 });
    await shot('keys');

    expect((await keyEntry(invalidId)).error_count).toBeGreaterThan(0);
    await page.getByTestId(`key-check-${invalidId}`).check();
    await page.getByTestId('bulk-reset-errors').click();
    await expect.poll(async () => (await keyEntry(invalidId)).error_count).toBe(0);
  });

  it('disables, enables and deletes keys from their row and in bulk', async () => {
    const good = await idOf(GOOD);
    const added = await idOf(ADDED);
    await page.getByTestId(`key-toggle-${good}`).click();
    await expect.poll(() => badgeText(good)).toBe('disabled (manual)');
    expect((await keyEntry(good)).is_active).toBe(false);
    await page.getByTestId(`key-toggle-${good}`).click();
    await expect.poll(() => badgeText(good)).toBe('active');
    expect((await keyEntry(good)).is_active).toBe(true);

    await page.getByTestId('keys-select-page').check();
    expect(await page.getByTestId('bulk-count').textContent()).toBe('5 selected');
    await page.getByTestId('keys-select-page').uncheck();
    expect(await page.getByTestId('bulk-count').textContent()).toBe('0 selected');

    await page.getByTestId(`key-check-${good}`).check();
    await page.getByTestId(`key-check-${added}`).check();
    await page.getByTestId('bulk-disable').click();
    await expect.poll(() => badgeText(added)).toBe('disabled (manual)');
    expect(await badge(good).textContent()).toBe('disabled (manual)');
    expect((await keyEntry(added)).is_active).toBe(false);

    await page.getByTestId(`key-check-${good}`).check();
    await page.getByTestId(`key-check-${added}`).check();
    await page.getByTestId('bulk-enable').click();
    await expect.poll(() => badgeText(added)).toBe('active');
    expect(await badge(good).textContent()).toBe('active');
    expect((await keyEntry(good)).is_active).toBe(true);

    const fromFile = await idOf(FROM_FILE);
    await page.getByTestId(`key-check-${fromFile}`).check();
    await page.getByTestId('bulk-delete').click();
    expect(await page.getByTestId('confirm-message').textContent()).toContain('1');
    await page.getByTestId('confirm-cancel').click();
    expect((await gw.admin('GET', '/keys')).body.total).toBe(5);
    await page.getByTestId('bulk-delete').click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId(`key-row-${fromFile}`).waitFor({ state: 'detached' });
    expect((await gw.admin('GET', '/keys')).body.total).toBe(4);
  });

  it('shows what a key owns in its dialog, and warns before deleting or disabling it', async () => {
    const ai = new GoogleGenAI({ apiKey: gw.accessToken, httpOptions: { baseUrl: gw.url } });
    const cache = await ai.caches.create({
      model: 'gemini-2.5-flash',
      config: { contents: [{ role: 'user', parts: [{ text: 'a shared context' }] }], ttl: '600s' },
    });
    const listed = (await gw.admin('GET', '/keys?page_size=500')).body.keys as Array<{
      id: number;
      resources: number;
    }>;
    const owners = listed.filter((k) => k.resources > 0);
    expect(owners.map((k) => k.resources)).toEqual([1]);
    const owner = owners[0]!.id;
    const other = listed.find((k) => k.resources === 0)!.id;
    await goTo('keys', 'keys-table');
    await page.getByTestId('keys-refresh').click();
    const warning = () => page.getByTestId('confirm-warning').textContent();

    await page.getByTestId(`key-edit-${owner}`).click();
    await page.getByTestId('edit-key-dialog').waitFor({ state: 'visible' });
    expect(await page.getByTestId('edit-resources').textContent()).toBe('1');
    await page.getByTestId('edit-delete').click();
    expect(await warning()).toMatch(/^This key owns 1 resource .* unreachable through the pool/);
    await shot('key-delete-owned');
    await page.getByTestId('confirm-cancel').click();
    await page.keyboard.press('Escape');
    await page.getByTestId('edit-key-dialog').waitFor({ state: 'detached' });
    // A key that owns nothing is deleted without the warning.
    await page.getByTestId(`key-edit-${other}`).click();
    expect(await page.getByTestId('edit-resources').textContent()).toBe('0');
    await page.getByTestId('edit-delete').click();
    await page.getByTestId('confirm-message').waitFor();
    expect(await page.getByTestId('confirm-warning').count()).toBe(0);
    await page.getByTestId('confirm-cancel').click();
    await page.keyboard.press('Escape');
    await page.getByTestId('edit-key-dialog').waitFor({ state: 'detached' });

    // Disabling it from its row asks first; cancelled, nothing changes.
    expect((await keyEntry(owner)).is_active).toBe(true);
    await page.getByTestId(`key-toggle-${owner}`).click();
    expect(await warning()).toMatch(/^This key owns 1 resource/);
    await page.getByTestId('confirm-cancel').click();
    expect((await keyEntry(owner)).is_active).toBe(true);
    await page.getByTestId(`key-toggle-${owner}`).click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => badgeText(owner)).toBe('disabled (manual)');
    // Enabled again without a question (it may still be cooling for a model from an earlier test).
    await page.getByTestId(`key-toggle-${owner}`).click();
    await expect.poll(async () => (await keyEntry(owner)).is_active).toBe(true);
    expect(await badgeText(owner)).not.toMatch(/^disabled/);

    // In bulk too, counting every selected key.
    await page.getByTestId(`key-check-${owner}`).check();
    await page.getByTestId(`key-check-${other}`).check();
    await page.getByTestId('bulk-disable').click();
    expect(await page.getByTestId('confirm-message').textContent()).toBe('Disable 2 keys?');
    expect(await warning()).toMatch(/^The selected keys own 1 resource/);
    await page.getByTestId('confirm-cancel').click();
    expect((await keyEntry(owner)).is_active).toBe(true);
    expect((await keyEntry(other)).is_active).toBe(true);
    await page.getByTestId(`key-check-${owner}`).uncheck();
    await page.getByTestId(`key-check-${other}`).uncheck();

    await ai.caches.delete({ name: cache.name! });
    expect((await gw.admin('GET', `/keys/${owner}`)).body.key.resources).toBe(0);
    expect(nativeDialogs).toEqual([]);
  });

  it('validates the selected keys: one the upstream rejects is disabled with its reason, a good one stays active', async () => {
    const good = await idOf(GOOD);
    const added = await idOf(ADDED);
    mock.setKey(ADDED, 'suspended');
    const calls = modelListCalls();
    await page.getByTestId(`key-check-${good}`).check();
    await page.getByTestId(`key-check-${added}`).check();
    await page.getByTestId('bulk-validate').click();
    expect(await validateSummary('Done')).toEqual({
      checked: 2,
      valid: 1,
      rate_limited: 0,
      invalid: 1,
      error: 0,
      unreachable: 0,
      skipped: 0,
      enabled: 0,
      disabled: 1,
    });
    expect(modelListCalls() - calls).toBe(2);
    const row = page.getByTestId(`validate-row-${added}`);
    expect(await row.locator('td').allTextContents()).toEqual([
      maskKey(ADDED),
      'invalid (403)',
      'CONSUMER_SUSPENDED',
      'disabled',
    ]);
    expect(await page.getByTestId(`validate-row-${good}`).count()).toBe(0);
    await shot('keys-validate');
    await page.getByTestId('validate-close').click();
    await page.getByTestId('validate-dialog').waitFor({ state: 'detached' });

    // The table reloads by itself once the checks are done.
    await expect.poll(() => badge(added).textContent()).toBe('disabled: CONSUMER_SUSPENDED (auto)');
    expect(await badge(good).textContent()).toBe('active');
    expect(await page.getByTestId(`key-project-${added}`).textContent()).toBe('proj-e2e');
    expect(await page.getByTestId('bulk-count').textContent()).toBe('0 selected');
    expect(await keyDisabled(added)).toEqual({ by: 'auto', reason: 'CONSUMER_SUSPENDED', until: null });
    expect(await keyDisabled(good)).toBeNull();
  });

  it('validates every key after a confirm: a revived key is enabled again, a hand-disabled one is skipped', async () => {
    const good = await idOf(GOOD);
    const added = await idOf(ADDED);
    const invalid = await idOf(INVALID);
    mock.setKey(ADDED, 'ok');
    expect((await gw.admin('PATCH', `/keys/${good}`, { is_active: false })).status).toBe(200);
    const calls = modelListCalls();

    await page.getByTestId('keys-validate-all').click();
    expect(await page.getByTestId('confirm-message').textContent()).toBe(
      'Check all 4 keys with Google now? Keys it rejects are disabled.',
    );
    await page.getByTestId('confirm-cancel').click();
    expect(await page.getByTestId('validate-dialog').count()).toBe(0);
    expect(modelListCalls()).toBe(calls);

    await page.getByTestId('keys-validate-all').click();
    await page.getByTestId('confirm-ok').click();
    expect(await validateSummary('Done')).toEqual({
      checked: 3,
      valid: 2,
      rate_limited: 0,
      invalid: 1,
      error: 0,
      unreachable: 0,
      skipped: 1,
      enabled: 1,
      disabled: 0,
    });
    // The hand-disabled key is never sent upstream.
    expect(modelListCalls() - calls).toBe(3);
    expect(await page.getByTestId(`validate-row-${added}`).locator('td').allTextContents()).toEqual([
      maskKey(ADDED),
      'valid (200)',
      '',
      'enabled again',
    ]);
    expect(await page.getByTestId(`validate-row-${invalid}`).locator('td').allTextContents()).toEqual([
      maskKey(INVALID),
      'invalid (400)',
      'API_KEY_INVALID',
      '—',
    ]);
    await shot('keys-validate-all');
    await page.getByTestId('validate-close').click();

    await expect.poll(() => badge(added).textContent()).toBe('active');
    expect(await badge(good).textContent()).toBe('disabled (manual)');
    expect(await badge(invalid).textContent()).toBe('disabled: API_KEY_INVALID (auto)');
    expect(await keyDisabled(added)).toBeNull();
    expect(await keyDisabled(good)).toMatchObject({ by: 'manual', until: null });

    expect((await gw.admin('PATCH', `/keys/${good}`, { is_active: true })).status).toBe(200);
    await expect.poll(() => badgeText(good)).toBe('active');
  });

  it('lists recent requests and filters them by status', async () => {
    await goTo('usage', 'usage-table');
    await page.getByTestId('usage-row').first().waitFor();
    expect(await page.getByTestId('usage-row').count()).toBeGreaterThanOrEqual(4);
    await shot('usage');
    await page.getByTestId('usage-filter-status').fill('200');
    await page.getByTestId('usage-apply').click();
    await expect
      .poll(async () => {
        const cells = await page.locator('[data-testid="usage-row"] td:nth-child(5) .chip').allTextContents();
        return cells.length > 0 && cells.every((c) => c === '200');
      })
      .toBe(true);
    // The key column names the key id the Key ID filter takes.
    expect(await page.locator('[data-testid="usage-row"] td:nth-child(2)').first().textContent()).toMatch(
      /^#\d+ AIza…/,
    );

    // A filter that is not a number is refused in words, and no rows are left that would seem to match it.
    await page.getByTestId('usage-filter-status').fill('abc');
    await page.getByTestId('usage-apply').click();
    expect(await page.locator('.error-box').textContent()).toBe('Status must be a whole number.');
    expect(await page.getByTestId('usage-row').count()).toBe(0);
    await page.getByTestId('usage-filter-status').fill('');
    await page.getByTestId('usage-apply').click();
    await page.getByTestId('usage-row').first().waitFor();
  });

  it('refuses a bad config value next to its field and changes nothing, then applies a good one', async () => {
    await goTo('settings', 'config-form');
    const input = page.getByTestId('config-input-max_retries');
    await input.waitFor();
    expect(await input.inputValue()).toBe('3');

    await input.fill('99');
    await page.getByTestId('config-save').click();
    await page.getByTestId('config-error-max_retries').waitFor();
    expect(await page.getByTestId('config-error-max_retries').textContent()).toMatch(/between 0 and 20/);
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    const after = await gw.admin('GET', '/config');
    expect(after.body.config.find((c: { key: string }) => c.key === 'max_retries').value).toBe('3');
    await shot('settings-refused');

    // Fixed choices get a list and on/off a checkbox, so they cannot be mistyped.
    const strategy = page.getByTestId('config-input-rotation_strategy');
    expect(await strategy.evaluate((el) => el.tagName)).toBe('SELECT');
    expect(await strategy.locator('option').allTextContents()).toEqual([
      'round_robin',
      'least_used',
      'random',
    ]);
    expect(await page.getByTestId('config-input-enable_usage_tracking').isChecked()).toBe(true);

    await input.fill('2');
    await page.getByTestId('config-save').click();
    await page.getByTestId('config-saved').waitFor();
    expect(await page.getByTestId('config-error-max_retries').count()).toBe(0);
    const saved = await gw.admin('GET', '/config');
    expect(saved.body.config.find((c: { key: string }) => c.key === 'max_retries').value).toBe('2');
    expect(await page.locator('#config-revalidate_interval_minutes-desc').textContent()).toMatch(
      /^How often the scheduled job re-checks auto-disabled keys.*\(default: 60\)$/,
    );
    expect(await page.locator('#config-local_rpm_limit-desc').textContent()).toMatch(/requests per minute/);
    expect(await page.locator('#config-local_rpd_limit-desc').textContent()).toMatch(/requests per day/);

    // Model aliases are free text, checked by the server.
    const aliases = page.getByTestId('config-input-model_aliases');
    expect(await aliases.evaluate((el) => el.tagName)).toBe('TEXTAREA');
    expect(await aliases.inputValue()).toContain('claude-*haiku*=gemini-2.5-flash-lite');
    await aliases.fill('claude-*');
    await page.getByTestId('config-save').click();
    await page.getByTestId('config-error-model_aliases').waitFor();
    await aliases.fill('claude-*=gemini-2.5-flash');
    await page.getByTestId('config-save').click();
    await page.getByTestId('config-saved').waitFor();
    const aliased = await gw.admin('GET', '/config');
    expect(aliased.body.config.find((c: { key: string }) => c.key === 'model_aliases').value).toBe(
      'claude-*=gemini-2.5-flash',
    );
  });

  it('creates an access token, shows its secret once, and revokes it', async () => {
    await page.getByTestId('token-name').fill('e2e-laptop');
    await page.getByTestId('token-create').click();
    const secret = await page.getByTestId('token-secret').inputValue();
    expect(secret).toMatch(/^gkp_/);
    await shot('token-created');
    const models = (token: string) =>
      fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await models(secret)).toBe(200);
    await page.getByTestId('token-secret-close').click();
    await page.getByTestId('token-secret-dialog').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(secret);

    const row = page.locator('[data-testid^="token-row-"][data-name="e2e-laptop"]');
    const id = (await row.getAttribute('data-testid'))!.replace('token-row-', '');
    expect(await page.getByTestId(`token-state-${id}`).textContent()).toBe('valid');
    await page.getByTestId(`token-revoke-${id}`).click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => page.getByTestId(`token-state-${id}`).textContent()).toMatch(/^revoked /);
    expect(await page.getByTestId(`token-revoke-${id}`).count()).toBe(0);
    expect(await models(secret)).toBe(401);
    await shot('settings');
  });

  it('edits a token’s rules, refuses a bad limit in the reader’s language, and shows use against limits', async () => {
    await page.getByTestId('token-name').fill('e2e-class');
    await page.getByTestId('token-create').click();
    const secret = await page.getByTestId('token-secret').inputValue();
    await page.getByTestId('token-secret-close').click();
    const row = page.locator('[data-testid^="token-row-"][data-name="e2e-class"]');
    const id = (await row.getAttribute('data-testid'))!.replace('token-row-', '');
    await page.getByTestId(`token-edit-${id}`).click();
    await page.getByTestId('rules-rpm').fill('lots');
    await page.getByTestId('rules-save').click();
    await expect
      .poll(() => page.getByTestId('rules-error').textContent())
      .toContain('rpm must be a whole number');
    await page.getByTestId('rules-rpm').fill('1');
    await page.getByTestId('rules-models').fill('gemini-2.5-flash*');
    await page.getByTestId('rules-save').click();
    await page.getByTestId('token-rules-dialog').waitFor({ state: 'detached' });

    const chat = (model: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      }).then((r) => r.status);
    expect(await chat('gemini-2.5-pro')).toBe(403);
    expect(await chat('gemini-2.5-flash')).toBe(200);
    expect(await chat('gemini-2.5-flash')).toBe(429);
    // Away and back, so the tokens list loads again.
    await goTo('usage', 'usage-table');
    await goTo('settings', 'tokens-section');
    await expect.poll(() => page.getByTestId(`token-limits-${id}`).textContent()).toContain('1/1');
    await shot('token-rules');
  });

  it('switches to Chinese, remembers it across a reload, and translates the badges', async () => {
    await page.getByTestId('lang-select').selectOption('zh-CN');
    expect(await page.getByTestId('nav-keys').textContent()).toBe('密钥');
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    expect(await page.evaluate(() => localStorage.getItem('gkp.lang'))).toBe('zh-CN');

    await page.reload();
    await goTo('keys', 'keys-table');
    expect(await page.getByTestId('nav-settings').textContent()).toBe('设置');
    expect(await badge(await idOf(INVALID)).textContent()).toBe('已停用：API_KEY_INVALID（自动）');
    expect(await badge(await idOf(GOOD)).textContent()).toBe('可用');
    expect(await keysTableFit()).toEqual({ overflow: 0, cutOff: 0, buttons: 8 });
    await shot('keys-zh');

    const invalid = await idOf(INVALID);
    await page.getByTestId(`key-check-${invalid}`).check();
    await page.getByTestId('bulk-validate').click();
    expect(await validateSummary('完成')).toMatchObject({ checked: 1, invalid: 1, disabled: 0 });
    expect(await page.getByTestId(`validate-row-${invalid}`).locator('td').allTextContents()).toEqual([
      maskKey(INVALID),
      '无效 (400)',
      'API_KEY_INVALID',
      '—',
    ]);
    await shot('keys-validate-zh');
    await page.getByTestId('validate-close').click();

    await page.getByTestId('keys-add-open').click();
    expect(await page.locator('[data-testid="add-keys-format"] code').allTextContents()).toEqual([
      '密钥',
      '密钥,邮箱',
      '密钥,邮箱,项目',
    ]);
    await shot('keys-add-zh');
    await page.keyboard.press('Escape');

    // Every config key is described in Chinese, the three operations settings included.
    await goTo('settings', 'config-form');
    const config = (await gw.admin('GET', '/config')).body.config as Array<{ key: string }>;
    expect(config.map((c) => c.key)).toEqual(
      expect.arrayContaining(['revalidate_interval_minutes', 'local_rpm_limit', 'local_rpd_limit']),
    );
    for (const { key } of config) {
      const text = await page.locator(`#config-${key}-desc`).textContent();
      expect(text, key).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(await page.locator('#config-local_rpd_limit-desc').textContent()).toContain('太平洋时间');
    await page.getByTestId('config-input-max_retries').fill('99');
    await page.getByTestId('config-save').click();
    expect(await page.getByTestId('config-error-max_retries').textContent()).toBe(
      '必须是 0 到 20 之间的整数。',
    );
    await shot('settings-zh');
    await page.getByTestId('config-discard').click();

    await page.getByTestId('lang-select').selectOption('en');
    expect(await page.getByTestId('nav-keys').textContent()).toBe('Keys');
  });

  it('fits a phone screen: no page is wider than the screen, and the key table keeps its state column', async () => {
    const phone = await browser.newContext({ locale: 'en-US', viewport: { width: 390, height: 844 } });
    await watchCsp(phone);
    try {
      const phonePage = await phone.newPage();
      phonePage.setDefaultTimeout(10_000);
      await phonePage.goto(`${gw.url}/admin/`);
      await phonePage.getByTestId('signin-token').fill(gw.adminToken);
      await phonePage.getByTestId('signin-submit').click();
      await phonePage.getByTestId('chart-tokens').waitFor();
      const pageWidth = () => phonePage.evaluate(() => document.documentElement.scrollWidth);
      expect(await pageWidth()).toBeLessThanOrEqual(390);
      for (const [nav, ready] of [
        ['keys', 'keys-table'],
        ['usage', 'usage-table'],
        // The longest value (the model aliases) is what would widen the settings page.
        ['settings', 'config-field-model_aliases'],
      ] as const) {
        await phonePage.getByTestId(`nav-${nav}`).click();
        await phonePage.getByTestId(ready).waitFor();
        expect(await pageWidth(), nav).toBeLessThanOrEqual(390);
        await phonePage.screenshot({ path: `${SHOTS}/phone-${nav}.png`, fullPage: true });
        if (nav === 'keys') {
          const id = await idOf(GOOD);
          // The state is not hidden under the row's buttons.
          const state = (await phonePage.getByTestId(`key-state-${id}`).boundingBox())!;
          const edit = (await phonePage.getByTestId(`key-edit-${id}`).boundingBox())!;
          expect(state.x + state.width).toBeLessThanOrEqual(edit.x);
          expect(await phonePage.getByTestId(`key-email-${id}`).isVisible()).toBe(false);
        }
      }
    } finally {
      await phone.close();
    }
  });

  it('defaults to Chinese for a zh browser, in the dark scheme, and signs out', async () => {
    const zh = await browser.newContext({
      locale: 'zh-CN',
      colorScheme: 'dark',
      viewport: { width: 1360, height: 900 },
    });
    await watchCsp(zh);
    try {
      const zhPage = await zh.newPage();
      await zhPage.goto(`${gw.url}/admin/`);
      expect(await zhPage.getByTestId('signin-submit').textContent()).toBe('登录');
      await zhPage.getByTestId('signin-token').fill(gw.adminToken);
      await zhPage.getByTestId('signin-submit').click();
      await zhPage.getByTestId('chart-tokens').waitFor();
      const stats = await gw.admin('GET', '/stats?range=day');
      expect(stats.body.totals.requests).toBeGreaterThan(0);
      await expect
        .poll(() => zhPage.locator('[data-testid="stat-requests"] .stat-value').textContent())
        .toBe(String(stats.body.totals.requests));
      expect(await zhPage.locator('[data-testid="chart-requests"] canvas').count()).toBe(1);
      await zhPage.getByTestId('range-hour').click();
      expect(await zhPage.getByTestId('range-hour').getAttribute('aria-pressed')).toBe('true');
      await zhPage.screenshot({ path: `${SHOTS}/dashboard-zh-dark.png`, fullPage: true });
      await zhPage.getByTestId('signout').click();
      await zhPage.getByTestId('signin-form').waitFor();
      expect(await zhPage.evaluate(() => sessionStorage.getItem('gkp.admin_token'))).toBeNull();
    } finally {
      await zh.close();
    }
    expect(nativeDialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
