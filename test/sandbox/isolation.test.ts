// The sandbox's promises (SPEC §4, §12) checked against the real kernel, through run().
// The runner repeats this file as the CI's ordinary users (with and without a subuid range).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busyboxRootfs } from '../helpers/busybox.js';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const host = (cmd: string[]) => runCaptured({ cmd, config: testConfig(ws), coopHome: home });
const busybox = (cmd: string[]) =>
  runCaptured({ cmd, config: testConfig(ws, { sandbox: { image: `dir:${busyboxRootfs()}` } }), coopHome: home });

test('the command runs as uid 0 inside', async () => {
  const r = await host(['id', '-u']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), '0');
});

test('the box has its own hostname (the box name)', async () => {
  const r = await host(['hostname']);
  assert.is(r.code, 0);
  assert.is.not(r.stdout.trim(), hostname());
  assert.is(r.stdout.trim(), r.name);
});

test("PID 1 is coop's init", async () => {
  const r = await host(['cat', '/proc/1/cmdline']);
  assert.is(r.stdout.split('\0')[0], 'coop-init');
});

test('host processes are invisible: /proc lists only the box', async () => {
  const r = await host(['sh', '-c', 'for p in /proc/[0-9]*; do echo "${p#/proc/} $(tr "\\0" " " < $p/cmdline)"; done']);
  assert.is(r.code, 0, r.stderr);
  const pids = r.stdout.trim().split('\n').map((l) => Number(l.split(' ')[0]));
  assert.ok(pids.includes(1));
  assert.ok(Math.max(...pids) < 50, `unexpected pids: ${r.stdout}`);
  assert.not.ok(r.stdout.includes('node'), `the host's node process is visible: ${r.stdout}`);
});

test('a file created in /workspace belongs to the user who ran coop', async () => {
  const r = await host(['sh', '-c', 'echo hi > /workspace/created-inside']);
  assert.is(r.code, 0, r.stderr);
  const st = statSync(join(ws, 'created-inside'));
  assert.is(st.uid, process.getuid!());
  assert.is(st.gid, process.getgid!());
});

test('rm -rf of a rootfs directory inside the box leaves the rootfs untouched', async () => {
  const rootfs = busyboxRootfs();
  const r = await busybox(['sh', '-c', 'rm -rf /var/lib/data /etc && ls /var/lib && test ! -e /etc/marker']);
  assert.is(r.code, 0, r.stderr);
  assert.is(readFileSync(join(rootfs, 'var/lib/data/keep'), 'utf8'), 'keep me\n');
  assert.is(readFileSync(join(rootfs, 'etc/marker'), 'utf8'), 'rootfs original\n');
});

test("a second box does not see the first box's writes", async () => {
  const a = await busybox(['sh', '-c', 'echo first > /etc/written && echo first > /root/file']);
  assert.is(a.code, 0, a.stderr);
  const b = await busybox(['sh', '-c', 'ls /etc/written /root/file 2>&1; exit 0']);
  assert.match(b.stdout, /No such file/);
  assert.not.ok(existsSync(join(busyboxRootfs(), 'etc/written')));
});

test("the box's directories are removed after the run", async () => {
  const r = await host(['true']);
  assert.is(r.code, 0);
  assert.not.ok(existsSync(join(home, 'sessions', r.name)));
});

test('host image: /home and /root are empty, /etc/shadow unreadable, host tools run', async () => {
  const r = await host(['sh', '-c', 'ls -A /root; ls -A /home; cat /etc/shadow 2>/dev/null && echo SHADOW-READ; node -e "console.log(40+2)"']);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout, /SHADOW-READ/);
  // /home holds only the in-box user's home.
  assert.equal(r.stdout.trim().split('\n'), ['coop', '42']);
});

test('host image: the host home and ssh host keys are not visible', async () => {
  const keys = existsSync('/etc/ssh') ? readdirSync('/etc/ssh').filter((n) => /^ssh_host_.*_key$/.test(n)) : [];
  const myHome = process.env.HOME ?? '/root';
  const r = await host(['sh', '-c', `ls -A ${myHome} 2>/dev/null | head -3; for k in ${keys.map((k) => `/etc/ssh/${k}`).join(' ')}; do test -r $k && echo READABLE $k; done; exit 0`]);
  assert.not.match(r.stdout, /READABLE/);
  if (myHome !== '/root' && !myHome.startsWith('/home/coop')) assert.is(r.stdout.trim(), '');
});

test('exit codes and signals propagate', async () => {
  assert.is((await host(['sh', '-c', 'exit 7'])).code, 7);
  const killed = await host(['sh', '-c', 'kill -TERM $$']);
  assert.is(killed.code, null);
  assert.is(killed.signal, 'SIGTERM');
});

test('a missing command exits 127 with a one-line reason', async () => {
  const r = await host(['no-such-command-xyz']);
  assert.is(r.code, 127);
  assert.is(r.failure, 'no-such-command-xyz: command not found');
});

test('the rootfs of a dir: image is never written', async () => {
  const rootfs = busyboxRootfs();
  const before = execFileSync('ls', ['-laR', rootfs], { encoding: 'utf8' });
  const r = await busybox(['sh', '-c', 'touch /new-file; echo x >> /etc/marker; mkdir -p /usr/local/x']);
  assert.is(r.code, 0, r.stderr);
  assert.is(execFileSync('ls', ['-laR', rootfs], { encoding: 'utf8' }), before);
});

test.run();
