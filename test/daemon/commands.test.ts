// The box commands from scripts (no terminal): shell -c, shell ls/kill/logs, status --json,
// system status, shutdown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Output, TestCoop } from '../helpers/daemon.js';

const t = new TestCoop();
let name: string;
test.before(async () => {
  name = await t.create();
});
test.after(() => t.stop());

test('shell -c runs a command on a PTY of its own and exits with its code', async () => {
  const r = await t.cli(['shell', '-c', 'echo from-shell-$((1+1)); exit 3']);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stdout, /from-shell-2/);
  const ls = await t.cli(['shell', 'ls', '--json']);
  assert.equal((JSON.parse(ls.stdout) as { role: string }[]).map((p) => p.role), ['agent']); // the shell is gone
});

test('shell ls, logs and kill of a running shell', async () => {
  const c = await t.client();
  const { pty, stream } = await c.shell({ box: name, command: 'echo shell-says-$((2*3)); sleep 1000', cols: 80, rows: 24 });
  await new Output(stream).until('shell-says-6');
  const ls = await t.cli(['shell', 'ls']);
  assert.match(ls.stdout, new RegExp(`^${pty}\\s+shell\\s+running\\s+\\d+\\s+echo shell-says`, 'm'));
  const logs = await t.cli(['shell', 'logs', String(pty)]);
  assert.match(logs.stdout, /shell-says-6/);
  const ended = new Promise((r) => stream.on('pty_exited', r));
  const k = await t.cli(['shell', 'kill', String(pty)]);
  assert.is(k.code, 0, k.stderr);
  await ended;
  const gone = await t.cli(['shell', 'logs', String(pty)]);
  assert.is(gone.code, 3);
  assert.match(gone.stderr, new RegExp(`has no PTY ${pty}`));
  c.close();
});

test('status --json names the box of the directory; system status the daemon', async () => {
  const s = await t.cli(['status', '--json']);
  const st = JSON.parse(s.stdout) as { box: { name: string; ptys: { role: string; state: string }[] }; daemon: { pid: number; boxes: number } };
  assert.is(st.box.name, name);
  assert.is(st.box.ptys[0]!.state, 'running');
  assert.is(st.daemon.pid, t.daemonPid());
  const sys = await t.cli(['system', 'status', '--json']);
  assert.is(JSON.parse(sys.stdout).running, true);
  const elsewhere = await t.cli(['status'], { cwd: '/' });
  assert.match(elsewhere.stdout, /^No box for \/\./m);
});

test('system shutdown leaves the box running; the next command takes it over', async () => {
  const before = JSON.parse((await t.cli(['ls', '--json'])).stdout)[0].pid;
  const r = await t.cli(['system', 'shutdown']);
  assert.match(r.stdout, /1 box keeps running/);
  const down = await t.cli(['system', 'status']);
  assert.match(down.stdout, /not running/);
  const after = JSON.parse((await t.cli(['ls', '--json'])).stdout);
  assert.is(after[0].pid, before);
});

test.run();
