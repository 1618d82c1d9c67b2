/**
 * The upload URL a start call answers with, and the file URIs after it, name the gateway's public
 * URL: `PUBLIC_BASE_URL` when set, else the request's own, with `X-Forwarded-Proto`/`-Host` honoured
 * only behind `TRUST_PROXY`.
 */
import { describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { fakeKey } from '../support/keys.js';
import { useMockWithGateways } from '../support/mock-gateways.js';

const KEYS = [fakeKey('url-one'), fakeKey('url-two')];
const FORWARDED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'proxy.example.org' };
const suite = useMockWithGateways();
const gateway = (env: Record<string, string>) => suite.start({ keys: KEYS, env });

/** Starts an upload with `headers` added; sends its one chunk to the gateway itself. */
async function uploadThrough(gw: TestGateway, headers: Record<string, string> = {}) {
  const goog = { 'x-goog-api-key': gw.accessToken, ...headers };
  const start = await fetch(`${gw.url}/upload/v1beta/files`, {
    method: 'POST',
    headers: {
      ...goog,
      'content-type': 'application/json',
      'x-goog-upload-protocol': 'resumable',
      'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': '5',
    },
    body: JSON.stringify({ file: { display_name: 'url' } }),
  });
  expect(start.status).toBe(200);
  const uploadUrl = start.headers.get('x-goog-upload-url')!;
  const { pathname, search } = new URL(uploadUrl);
  const done = await fetch(`${gw.url}${pathname}${search}`, {
    method: 'POST',
    headers: { ...goog, 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' },
    body: 'hello',
  });
  expect(done.status).toBe(200);
  const { file } = (await done.json()) as { file: { uri: string } };
  return { uploadUrl, fileUri: file.uri };
}

describe('the public URL in upload URLs and file URIs', () => {
  it('is PUBLIC_BASE_URL when set, whatever the request says', async () => {
    const gw = await gateway({ PUBLIC_BASE_URL: 'https://gw.example.com', TRUST_PROXY: '1' });
    const { uploadUrl, fileUri } = await uploadThrough(gw, FORWARDED);
    expect(uploadUrl).toMatch(/^https:\/\/gw\.example\.com\/upload\/v1beta\/files\?upload_id=\w+/);
    expect(fileUri).toMatch(/^https:\/\/gw\.example\.com\/v1beta\/files\//);
  });

  it('follows X-Forwarded-Proto and -Host behind TRUST_PROXY', async () => {
    const gw = await gateway({ TRUST_PROXY: '1' });
    const { uploadUrl, fileUri } = await uploadThrough(gw, FORWARDED);
    expect(uploadUrl.startsWith('https://proxy.example.org/upload/v1beta/files?upload_id=')).toBe(true);
    expect(fileUri.startsWith('https://proxy.example.org/v1beta/files/')).toBe(true);
  });

  it('ignores forwarded headers without TRUST_PROXY: the request reached the gateway itself', async () => {
    const gw = await gateway({});
    const { uploadUrl, fileUri } = await uploadThrough(gw, FORWARDED);
    expect(uploadUrl.startsWith(`${gw.url}/upload/v1beta/files?upload_id=`)).toBe(true);
    expect(fileUri.startsWith(`${gw.url}/v1beta/files/`)).toBe(true);
    for (const url of [uploadUrl, fileUri]) expect(url).not.toContain(suite.mock().url);
  });
});
