/**
 * Response headers of the admin panel's files, the same on both runtimes: the hashed files under
 * `assets/` never change, so browsers keep them for a year; everything else (index.html) is
 * revalidated, so a new build shows at once. Every file carries the panel's security policy.
 */

/**
 * The panel's Content-Security-Policy: its own built script and stylesheet only (no inline script
 * or `<style>`, no eval), API calls to its own origin, no framing. `img-src data:` is for the
 * empty `data:,` favicon. Styles that the panel and uPlot set from script go through the CSSOM
 * (`element.style`), which `style-src` does not govern, so no `'unsafe-inline'` is needed.
 */
export const PANEL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function panelHeaders(path: string): Record<string, string> {
  return {
    'cache-control': path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': PANEL_CSP,
    // For browsers older than frame-ancestors.
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  };
}
