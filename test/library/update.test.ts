// `coop update [--check]` against a loopback stand-in for the npm registry: it reads npm's
// registry setting, compares versions, installs the newer one with `npm install --global`
// (into a private prefix), and a running daemon hands over while its box keeps running.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coop } from '../helpers/cli.js';
import { alive, sleep, TestCoop } from '../helpers/daemon.js';
import { NpmRegistry, npmEnv } from '../helpers/npm-registry.js';
import { tmp } from '../helpers/tmp.js';
import { ROOT } from './api-docs.js';

const registry = new NpmRegistry(ROOT);
const prefix = tmp('coop-prefix-');
const current = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const next = current.replace(/\d+$/, (n) => String(Number(n) + 1));
let env: NodeJS.ProcessEnv;
let packed = '';

/** The packed package, and the same with the next version number. */
function pack(): { now: string; newer: string } {
  const dest = tmp('coop-pack-');
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: ROOT, env, encoding: 'utf8' });
  const now = join(dest, (JSON.parse(out) as { filename: string }[])[0]!.filename);
  const dir = tmp('coop-unpacked-');
  execFileSync('tar', ['-xzf', now, '-C', dir]);
  const manifest = join(dir, 'package/package.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(`"version": "${current}"`, `"version": "${next}"`));
  const newer = join(dest, `coop-core-${next}.tgz`);
  execFileSync('tar', ['-czf', newer, '-C', dir, 'package']);
  return { now, newer };
}

test.before(async () => {
  env = npmEnv(await registry.start(), { npm_config_prefix: prefix });
  const { now, newer } = pack();
  registry.publish(now);
  packed = newer;
});
test.after(() => registry.close());

test('--check: up to date when the registry has this version only', async () => {
  const r = await coop(['update', '--check'], { env });
  assert.is(r.stderr, '');
  assert.is(r.stdout, `coop ${current} is up to date (the newest in ${registry.url} is ${current}).\n`);
  assert.is(r.code, 0);
  assert.ok(registry.requests.includes('/@coop/core'));
});

test('--check: a newer version is named, nothing is installed', async () => {
  registry.publish(packed);
  const r = await coop(['update', '--check'], { env });
  assert.is(r.stdout, `coop ${current} → ${next} is available from ${registry.url}; \`coop update\` installs it.\n`);
  assert.is(r.code, 0);
  assert.not.ok(registry.requests.some((p) => p.startsWith('/-/tarballs/@coop/core/')));
});

test('a registry that cannot be reached, or does not have the package: one line, exit 1', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const down = await coop(['update', '--check'], { env: { ...env, npm_config_registry: `http://127.0.0.1:${port}` } });
  assert.is(down.stderr, `coop: cannot ask the package registry http://127.0.0.1:${port}/ for @coop/core: ECONNREFUSED; check your network, or npm's registry setting (\`npm config get registry\`)\n`);
  assert.is(down.code, 1);
  const other = `${registry.url}nothing-here/`;
  const missing = await coop(['update', '--check'], { env: { ...env, npm_config_registry: other } });
  assert.is(missing.stderr, `coop: cannot ask the package registry ${other} for @coop/core: HTTP 404 (the registry does not have it)\n`);
  assert.is(missing.code, 1);
});

test('coop update: npm installs the newer version; the running daemon hands over and its box keeps running', async () => {
  const c = new TestCoop();
  try {
    const name = await c.create();
    const before = c.daemonPid()!;
    const client = await c.client(false);
    const box = (await client.ls()).find((b) => b.name === name)!;
    client.close();
    const r = await coop(['update'], { env: { ...env, COOP_HOME: c.home, XDG_CONFIG_HOME: c.env.XDG_CONFIG_HOME } });
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.is(lines[0], `Updating @coop/core ${current} → ${next} with \`npm install --global @coop/core@${next}\``);
    assert.is(lines[1], `coop ${next} is installed (${join(prefix, 'bin/coop')}); the daemon (pid ${before}, version ${current}) handed over: ` +
      `its box keeps running, and the next coop command starts a daemon of ${next} that takes it over.`);
    assert.is(execFileSync(join(prefix, 'bin/coop'), ['--version'], { encoding: 'utf8' }), `${next}\n`);
    for (let i = 0; i < 200 && alive(before); i++) await sleep(25);
    assert.not.ok(alive(before), 'the old daemon is still running');
    assert.ok(alive(box.pid), "the box's init ended");
    const ls = await c.cli(['ls', '--json']);
    assert.equal((JSON.parse(ls.stdout) as { name: string; pid: number }[]).map((b) => [b.name, b.pid]), [[name, box.pid]]);
  } finally {
    await c.stop();
  }
});

test.run();
