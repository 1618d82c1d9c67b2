/**
 * Response headers of the admin panel's files, the same on both runtimes: the hashed files under
 * `assets/` never change, so browsers keep them for a year; everything else (index.html) is
 * revalidated, so a new build shows at once.
 */
export function panelHeaders(path: string): Record<string, string> {
  return {
    'cache-control': path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  };
}
