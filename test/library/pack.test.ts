// `npm pack` holds exactly what an embedding tool needs, and works when installed: the
// tarball goes into a scratch project through npm (its dependencies from a loopback registry
// stand-in, its native parts built by its install script), then an example runs from the
// project and every example of docs/api.md compiles against the installed types.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NpmRegistry, npmEnv } from '../helpers/npm-registry.js';
import { tmp } from '../helpers/tmp.js';
import { collectDocs, ROOT } from './api-docs.js';
import { compileExamples } from './typed.js';

const registry = new NpmRegistry(ROOT);
let env: NodeJS.ProcessEnv;
let tarball = '';
const project = tmp('coop-scratch-');

function sh(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test.before(async () => {
  env = npmEnv(await registry.start());
});
test.after(() => registry.close());

/** Everything in the package must be under one of these. */
const ALLOWED = [
  'package.json', 'README.md', 'binding.gyp', 'dist/lib/', 'dist/bin/coop.cjs', 'dist/bin/coop-main.cjs', 'dist/bin/coop-daemon.cjs', 'dist/bin/coop-proxy.cjs', 'dist/web/',
  'build/Release/coop_native.node', 'build/Release/coop-helper', 'src-native/', 'docs/',
];
const REQUIRED = [
  'package.json', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/protocol.js', 'dist/lib/protocol.d.ts',
  'dist/lib/sandbox/index.js', 'dist/lib/config/index.js', 'dist/lib/image/index.js', 'dist/bin/coop.cjs',
  'dist/bin/coop-main.cjs', 'dist/bin/coop-daemon.cjs', 'binding.gyp', 'src-native/helper/main.cc', 'docs/api.md',
];

test('npm pack: the library, its types, the CLI and daemon bundles, the native sources; no tests or TypeScript sources', async () => {
  const dest = tmp('coop-pack-');
  const r = await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: ROOT });
  assert.is(r.code, 0, r.err);
  const [info] = JSON.parse(r.out) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  for (const f of REQUIRED) assert.ok(files.includes(f), `${f} is not in the package`);
  const stray = files.filter((f) => !ALLOWED.some((a) => (a.endsWith('/') ? f.startsWith(a) : f === a)));
  assert.equal(stray, []);
  assert.not.ok(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'TypeScript sources are packed');
  tarball = join(dest, info!.filename);
});

test('npm install of the tarball into a project: dependencies resolved, native parts built', async () => {
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }));
  const r = await sh('npm', ['install', tarball], { cwd: project });
  assert.is(r.code, 0, `${r.out}\n${r.err}`);
  const pkg = join(project, 'node_modules/@coop/core');
  // build/Release/obj.target is not packed: the install script (node-gyp rebuild) made it.
  for (const f of ['build/Release/obj.target', 'build/Release/coop-helper', 'build/Release/coop_native.node', '../../msgpackr', '../../smol-toml']) {
    assert.ok(existsSync(join(pkg, f)), `${f} is missing after the install`);
  }
  // The registry stand-in served what npm asked for (and nothing came from elsewhere: it has no other way out).
  assert.ok(registry.requests.includes('/msgpackr'), registry.requests.join(' '));
});

test('an example runs from the project (ci.mjs: a box without network, its exit code)', async () => {
  copyFileSync(join(ROOT, 'examples/ci.mjs'), join(project, 'ci.mjs'));
  const ws = tmp('coop-ws-');
  writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: 'p', scripts: { test: 'echo in-the-box; ls /sys/class/net; exit 7' } }));
  const r = await sh(process.execPath, ['ci.mjs', ws], { cwd: project, env: { ...env, COOP_HOME: tmp('coop-home-') } });
  assert.is(r.code, 7, r.err);
  assert.match(r.out, /\nin-the-box\nlo\n$/);
  assert.match(r.err, /exit code 7\n$/);
});

test('the CLI of the installed package runs a box', async () => {
  const bin = join(project, 'node_modules/.bin/coop');
  const r = await sh(bin, ['run', '--network', 'none', '--', 'sh', '-c', 'echo installed; id -u'], { cwd: tmp('coop-ws-'), env: { ...env, COOP_HOME: tmp('coop-home-') } });
  assert.is(r.code, 0, r.err);
  assert.is(r.out, 'installed\n0\n');
});

test('every example of docs/api.md compiles against the installed package', () => {
  const dir = join(project, 'typed');
  mkdirSync(dir);
  symlinkSync(join(project, 'node_modules'), join(dir, 'node_modules'));
  assert.is(compileExamples(dir, collectDocs(), ROOT), '');
});

test.run();
