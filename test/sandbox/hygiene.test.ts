// Process hygiene (SPEC §4.1): no inherited fds, default signal state, an environment
// built from scratch.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const ALLOWED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'IS_SANDBOX', 'COOP_SESSION', 'COOP_WORKSPACE', 'COOP_CREATED'];

test('the environment holds only the listed variables plus [env]', async () => {
  process.env.COOP_TEST_LEAK = 'leaked-value';
  const r = await runCaptured({ cmd: ['env'], config: testConfig(ws, { env: { EDITOR: 'vim' } }), coopHome: home });
  assert.is(r.code, 0, r.stderr);
  const env = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  for (const key of Object.keys(env)) assert.ok([...ALLOWED, 'EDITOR'].includes(key), `unexpected variable ${key}`);
  assert.not.match(r.stdout, /leaked-value/);
  assert.is(env.IS_SANDBOX, '1');
  assert.is(env.EDITOR, 'vim');
  assert.is(env.HOME, '/home/coop');
  assert.is(env.USER, 'coop');
  assert.is(env.COOP_SESSION, r.name);
  assert.is(env.COOP_WORKSPACE, ws);
  assert.ok(Math.abs(Number(env.COOP_CREATED) - Date.now() / 1000) < 3600);
});

test('TERM comes from the caller, default xterm-256color', async () => {
  const a = await runCaptured({ cmd: ['sh', '-c', 'echo $TERM'], config: testConfig(ws), coopHome: home, env: { TERM: 'screen' } });
  assert.is(a.stdout.trim(), 'screen');
  const b = await runCaptured({ cmd: ['sh', '-c', 'echo $TERM'], config: testConfig(ws), coopHome: home, env: {} });
  assert.is(b.stdout.trim(), 'xterm-256color');
});

test('no file descriptor of the parent reaches the box', async () => {
  // A parent with fds open without close-on-exec: a shell opens 7 and 9, then execs node
  // running a box. Inside, only stdio (and ls's own directory fd) may exist.
  const script = `
    const { fstatSync } = await import('node:fs');
    fstatSync(7); fstatSync(9); // really open in this process
    import('${new URL('../../lib/boxes.js', import.meta.url).href}').then(async ({ run }) => {
      const config = ${JSON.stringify(testConfig(ws))};
      const r = await run({ cmd: ['ls', '-l', '/proc/self/fd'], config, coopHome: ${JSON.stringify(home)}, stdio: 'inherit' });
      process.exit(r.code);
    });`;
  const out = await new Promise<string>((resolve) => {
    const child = spawn('sh', ['-c', 'exec 7</etc/hostname 9>/dev/null; exec "$0" --input-type=module -e "$1"', process.execPath, script], {
      stdio: ['ignore', 'pipe', 'inherit', openSync('/dev/null', 'r')],
    });
    let s = '';
    child.stdout!.on('data', (d) => (s += d));
    child.on('close', () => resolve(s));
  });
  const fds = out.split('\n').filter((l) => l.includes('->')).map((l) => Number(l.split('->')[0]!.trim().split(/\s+/).pop()));
  assert.ok(fds.length >= 3, out);
  for (const fd of fds) assert.ok(fd <= 3, `fd ${fd} leaked into the box:\n${out}`);
});

test('signal dispositions are default and nothing is blocked', async () => {
  const r = await runCaptured({ cmd: ['sh', '-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status; trap'], config: testConfig(ws), coopHome: home });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /SigBlk:\s+0000000000000000/);
  assert.match(r.stdout, /SigIgn:\s+0000000000000000/);
  assert.not.match(r.stdout, /trap --/);
});

test.run();
