// `npm run bundle`: the daemon and the CLI as single CommonJS files. The CLI's bundle,
// dist/bin/coop-main.cjs, is started by dist/bin/coop.cjs (bin/coop-start.cjs), which keeps
// a V8 code cache of it; old caches are removed here.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = 'dist/bin';
const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning',
  external: ['yargs', 'werift', 'bufferutil', 'utf-8-validate', '@xterm/headless', '@xterm/addon-serialize'],
  logOverride: { 'empty-import-meta': 'silent' },
};
await build({ ...common, entryPoints: ['bin/coop-daemon.ts'], outfile: join(out, 'coop-daemon.cjs') });
// The allowlist proxy of network.allow (started by coop-net).
await build({ ...common, entryPoints: ['bin/coop-proxy.ts'], outfile: join(out, 'coop-proxy.cjs') });
// msgpackr's plain JavaScript (its node entry would look for and load a native add-on at start).
await build({ ...common, entryPoints: ['bin/coop.ts'], outfile: join(out, 'coop-main.cjs'), alias: { msgpackr: './node_modules/msgpackr/index.js' } });
// Pure ASCII, so the starter reads it as latin1 (a one-byte string, no UTF-8 decoding): esbuild
// escapes strings and regular expressions itself; what remains is in comments.
// import() of an external module (yargs) goes through the starter's loader when there is one.
const main = join(out, 'coop-main.cjs');
let text = readFileSync(main, 'utf8').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
text = text.replace(/\bimport\((?=")/g, '(typeof __coopImport === "function" ? __coopImport : (id) => import(id))(');
writeFileSync(main, text);
for (const f of readdirSync(out)) if (/^\.coop-main\..*\.cache$|^coop-(cli|chunk-.*|single|cc)\.[cm]js$/.test(f)) rmSync(join(out, f));
copyFileSync('bin/coop-start.cjs', join(out, 'coop.cjs'));
chmodSync(join(out, 'coop.cjs'), 0o755);
