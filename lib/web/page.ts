// The page (web/, bundled by esbuild into dist/web at build time) as one HTML document:
// script and styles inline, so that a single authenticated request loads everything and
// no request leaves for anywhere else (the Content-Security-Policy says so too).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../native.js';

export const webDist = () => join(packageRoot, 'dist', 'web');

export interface Page {
  html(): { body: string; csp: string };
}

/** Loads the bundle once; null with the reason when it was not built. */
export function loadPage(dir = webDist()): Page | { missing: string } {
  let js: string;
  let css: string;
  try {
    js = readFileSync(join(dir, 'app.js'), 'utf8');
    css = readFileSync(join(dir, 'app.css'), 'utf8');
  } catch (e) {
    return { missing: `the web UI is not built (${(e as NodeJS.ErrnoException).code} in ${dir}); run \`npm run build\`` };
  }
  // `</script` cannot occur in a script element's text; the bundle escapes it, this makes sure.
  const script = js.replace(/<\/script/gi, '<\\/script');
  return {
    html() {
      const nonce = randomBytes(16).toString('base64');
      const csp = [
        "default-src 'none'", `script-src 'nonce-${nonce}'`, "style-src 'self' 'unsafe-inline'", "connect-src 'self'",
        "img-src 'self' data:", "font-src 'self' data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
      ].join('; ');
      const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover, interactive-widget=resizes-content">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>coop</title>
<style>${css}</style>
</head><body><div id="root"></div>
<script nonce="${nonce}">${script}</script>
</body></html>
`;
      return { body, csp };
    },
  };
}
