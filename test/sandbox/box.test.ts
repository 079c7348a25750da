// Long-lived boxes: create, enter (several processes share one box), kill.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBox } from '../../lib/boxes.js';
import { isRunning, killBox, readBoxRecord, spawnInBox, type Box } from '../../lib/sandbox/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
let box: Box;

async function inBox(argv: string[], cwd?: string): Promise<{ code: number | null; out: string; error: string }> {
  const h = spawnInBox(box, { argv, cwd }, ['ignore', 'pipe', 'pipe']);
  let out = '';
  h.child.stdout!.on('data', (d) => (out += d));
  h.child.stderr!.on('data', (d) => (out += d));
  const o = await h.outcome;
  return { code: o.helper.code, out, error: o.error?.message ?? '' };
}

test.before(async () => {
  box = await createBox({
    config: testConfig(ws, { env: { SECRET_TOKEN: 'not-on-disk-123' }, session: { persist: ['.cache/keep'] } }),
    name: 'boxtest', coopHome: home, graceMs: 1000,
  });
});

test('the init runs detached and is recorded without the environment', () => {
  assert.ok(isRunning(box));
  const rec = readBoxRecord(box.paths)!;
  assert.is(rec.pid, box.pid);
  assert.is(rec.workspace.host, ws);
  assert.not.match(readFileSync(box.paths.record, 'utf8'), /not-on-disk-123/);
});

test('processes started in the box share its files, processes and hostname', async () => {
  const a = await inBox(['sh', '-c', 'echo from-a > /tmp/shared; sleep 30 & echo $SECRET_TOKEN; hostname']);
  assert.is(a.code, 0, a.out);
  assert.equal(a.out.trim().split('\n'), ['not-on-disk-123', 'boxtest']);
  const b = await inBox(['sh', '-c', 'cat /tmp/shared; cat /proc/1/cmdline | tr "\\0" " "; echo; ps -eo comm | grep -c sleep']);
  assert.equal(b.out.trim().split('\n'), ['from-a', 'coop-init boxtest ', '1']);
});

test('entering starts in the workspace, or the given directory', async () => {
  assert.is((await inBox(['pwd'])).out.trim(), '/workspace');
  assert.is((await inBox(['pwd'], '/tmp')).out.trim(), '/tmp');
});

test('exit codes of entered processes come back', async () => {
  assert.is((await inBox(['sh', '-c', 'exit 3'])).code, 3);
  const missing = await inBox(['definitely-not-a-command']);
  assert.is(missing.code, 127);
  assert.is(missing.error, 'execve definitely-not-a-command: command not found');
});

test('persist directories are bound from the box directory', async () => {
  const r = await inBox(['sh', '-c', 'echo kept > ~/.cache/keep/file']);
  assert.is(r.code, 0, r.out);
  assert.is(readFileSync(join(box.paths.persist, '.cache/keep/file'), 'utf8'), 'kept\n');
});

test('killBox ends every process of the box and removes its layers, keeping persist', async () => {
  await killBox(box, { graceMs: 1000 });
  assert.not.ok(isRunning(box));
  assert.not.ok(existsSync(box.paths.upper));
  assert.not.ok(existsSync(box.paths.root));
  assert.ok(existsSync(join(box.paths.persist, '.cache/keep/file')));
});

test('entering a box that is gone fails clearly', async () => {
  const r = await inBox(['true']);
  assert.is(r.code, 125);
  assert.match(r.error, /^pidfd_open box init \d+: (the box's init process is gone|No such process)$/);
});

test.run();
