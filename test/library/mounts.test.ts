// `sandbox.mounts` reach the box from the loaded configuration alone (parsed once, typed data
// in `config.sandbox.mounts`): the README's `run({ cmd, config })` and
// `createBox({ config, name })` mount them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../lib/config/load.js';
import { createBox } from '../../lib/boxes.js';
import { killBox, spawnInBox } from '../../lib/sandbox/box.js';
import { runCaptured } from '../helpers/box.js';
import { tmp } from '../helpers/tmp.js';
import { trustEnv, trustProject } from '../helpers/trust.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const data = tmp('coop-data-');
writeFileSync(join(data, 'hello'), 'hello from the host\n');
mkdirSync(join(ws, 'sub'));
writeFileSync(join(ws, 'coop.toml'), `[sandbox]\nmounts = ["${data}:/data:ro", "./sub:/opt/sub"]\n`);
trustProject(ws);
const loaded = loadConfig({ cwd: ws, env: { ...trustEnv, HOME: process.env.HOME }, globalPath: null });

test('loadConfig gives the mounts as data, in the configuration', () => {
  assert.equal(loaded.config.sandbox.mounts, [
    { kind: 'path', host: data, box: '/data', readonly: true },
    { kind: 'path', host: join(ws, 'sub'), box: '/opt/sub', readonly: false },
  ]);
  assert.is(loaded.mounts, loaded.config.sandbox.mounts); // (deprecated: the same list)
});

test('run({ cmd, config }) mounts sandbox.mounts', async () => {
  const r = await runCaptured({ cmd: ['sh', '-c', 'cat /data/hello; echo x > /opt/sub/made; touch /data/no 2>&1 || echo read-only'], config: loaded.config, coopHome: home });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^hello from the host\n/);
  assert.match(r.stdout, /read-only\n$/);
});

test('the deprecated mounts option still replaces them', async () => {
  const r = await runCaptured({ cmd: ['sh', '-c', 'test -e /data/hello && echo there || echo absent'], config: loaded.config, coopHome: home, mounts: [] });
  assert.is(r.stdout, 'absent\n');
});

test('createBox({ config, name }) mounts them too', async () => {
  const box = await createBox({ config: loaded.config, name: 'mounts', coopHome: home, graceMs: 500 });
  try {
    const h = spawnInBox(box, { argv: ['cat', '/data/hello', '/opt/sub/made'] }, ['ignore', 'pipe', 'pipe']);
    let out = '';
    h.child.stdout!.on('data', (d) => (out += d));
    h.child.stderr!.on('data', (d) => (out += d));
    const o = await h.outcome;
    assert.is(o.helper.code, 0, out);
    assert.is(out, 'hello from the host\nx\n');
  } finally {
    await killBox(box, { graceMs: 500 });
  }
});

test.run();
