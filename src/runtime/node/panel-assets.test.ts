import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskPanelAssets } from './panel-assets.js';

function panelDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'gkp-panel-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>panel</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'not for clients');
  return dist;
}

describe('createDiskPanelAssets', () => {
  it.each([['with'], ['without']])(
    'serves files from a directory given %s a trailing slash',
    async (variant) => {
      const dir = panelDir();
      const assets = createDiskPanelAssets(variant === 'with' ? `${dir}/` : dir);
      const index = await assets.get('index.html');
      expect(index?.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await index?.text()).toContain('<title>panel</title>');
      const js = await assets.get('assets/app.js');
      expect(js?.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js?.headers.get('cache-control')).toContain('immutable');
    },
  );

  it('answers null for missing files and for paths outside the directory', async () => {
    const assets = createDiskPanelAssets(panelDir());
    expect(await assets.get('missing.js')).toBeNull();
    expect(await assets.get('../secret.txt')).toBeNull();
  });

  it('does not remember a miss: a file that appears later is served', async () => {
    const dir = panelDir();
    const assets = createDiskPanelAssets(dir);
    expect(await assets.get('late.js')).toBeNull();
    writeFileSync(join(dir, 'late.js'), 'late()');
    expect(await (await assets.get('late.js'))?.text()).toBe('late()');
  });
});
