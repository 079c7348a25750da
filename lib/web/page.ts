// The page (web/, bundled by esbuild into dist/web at build time) as one HTML document:
// script and styles inline, so that a single authenticated request loads everything and
// no request leaves for anywhere else (the Content-Security-Policy says so too). The same
// document is the connect page of the tunnel (`/connect`), and can be written out as
// static files for any static host (`coop serve --export DIR`).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoopError } from '../errors.js';
import { packageRoot } from '../native.js';

export const webDist = () => join(packageRoot, 'dist', 'web');

export interface Page {
  html(): { body: string; csp: string };
}

function document(script: string, css: string, scriptAttr: string, meta = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover, interactive-widget=resizes-content">
<meta name="referrer" content="no-referrer">${meta}
<link rel="icon" href="data:,">
<title>coop</title>
<style>${css}</style>
</head><body><div id="root"></div>
<script${scriptAttr}>${script}</script>
</body></html>
`;
}

const policy = (script: string, connect: string) => [
  "default-src 'none'", `script-src ${script}`, "style-src 'self' 'unsafe-inline'", `connect-src ${connect}`,
  "img-src 'self' data:", "font-src 'self' data:", "base-uri 'none'", "form-action 'none'",
].join('; ');

function readBundle(dir: string): { js: string; css: string } | { missing: string } {
  try {
    const js = readFileSync(join(dir, 'app.js'), 'utf8');
    const css = readFileSync(join(dir, 'app.css'), 'utf8');
    // `</script` cannot occur in a script element's text; the bundle escapes it, this makes sure.
    return { js: js.replace(/<\/script/gi, '<\\/script'), css };
  } catch (e) {
    return { missing: `the web UI is not built (${(e as NodeJS.ErrnoException).code} in ${dir}); run \`npm run build\`` };
  }
}

/** Loads the bundle once; null with the reason when it was not built. */
export function loadPage(dir = webDist()): Page | { missing: string } {
  const b = readBundle(dir);
  if ('missing' in b) return b;
  return {
    html() {
      const nonce = randomBytes(16).toString('base64');
      const csp = `${policy(`'nonce-${nonce}'`, "'self'")}; frame-ancestors 'none'`;
      return { body: document(b.js, b.css, ` nonce="${nonce}"`), csp };
    },
  };
}

/**
 * Writes the page as static files (the tunnel's connect page for any static host): one
 * document with its policy in a meta element (the script allowed by its hash; no
 * connections but WebRTC), as connect.html, connect/index.html and index.html.
 */
export function exportPage(out: string, dir = webDist()): string[] {
  const b = readBundle(dir);
  if ('missing' in b) throw new CoopError('BAD_ARGUMENTS', b.missing);
  const hash = createHash('sha256').update(b.js, 'utf8').digest('base64');
  const meta = `\n<meta http-equiv="Content-Security-Policy" content="${policy(`'sha256-${hash}'`, "'none'")}">`;
  const html = document(b.js, b.css, '', meta);
  const files = ['connect.html', 'connect/index.html', 'index.html'];
  try {
    mkdirSync(join(out, 'connect'), { recursive: true });
    for (const f of files) writeFileSync(join(out, f), html);
  } catch (e) {
    throw new CoopError('BAD_ARGUMENTS', `cannot write the page to ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return files.map((f) => join(out, f));
}
