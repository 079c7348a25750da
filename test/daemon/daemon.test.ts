// The daemon (SPEC §5): one daemon for many cold clients, socket safety, a crash that the
// boxes survive, agent restarts and crash loops, restart re-reading coop.toml.
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeMessage } from '../../lib/ipc/frames.js';
import { alive, Output, sleep, TestCoop } from '../helpers/daemon.js';

const coops: TestCoop[] = [];
const fresh = (toml?: string) => {
  const t = new TestCoop(toml);
  coops.push(t);
  return t;
};
test.after(async () => {
  for (const t of coops) await t.stop();
});

/** Daemons whose environment names this COOP_HOME. */
function daemonsOf(home: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (cmd.includes('coop-daemon') && env.includes(`COOP_HOME=${home}`)) out.push(Number(pid));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

/** CPU ticks (user + system) a process has used. */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

test('ten simultaneous cold `coop status` start exactly one daemon', async () => {
  const t = fresh();
  const results = await Promise.all(Array.from({ length: 10 }, () => t.cli(['status', '--json'])));
  for (const r of results) {
    assert.is(r.code, 0, r.stderr);
    assert.is(JSON.parse(r.stdout).box, null);
  }
  assert.is(daemonsOf(t.home).length, 1);
  assert.equal(daemonsOf(t.home), [t.daemonPid()]);
});

test('`coop ls` with no daemon and no boxes lists none and starts no daemon (the scan finds nothing)', async () => {
  const t = fresh();
  const r = await t.cli(['ls', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), []);
  assert.equal(daemonsOf(t.home), []);
  assert.not.ok(existsSync(join(t.home, 'sock')));
});

test('with no boxes and no clients the daemon exits after its idle time, removing its socket and pid file', async () => {
  const t = fresh();
  t.env.COOP_DAEMON_IDLE_MS = '300';
  assert.is((await t.cli(['status'])).code, 0);
  const pid = t.daemonPid()!;
  assert.ok(alive(pid));
  for (let i = 0; i < 600 && alive(pid); i++) await sleep(20);
  assert.not.ok(alive(pid));
  assert.not.ok(existsSync(join(t.home, 'sock')));
  assert.not.ok(existsSync(join(t.home, 'daemon.pid')));
  assert.match(readFileSync(join(t.home, 'logs', 'daemon.log'), 'utf8'), /idle-exit/);
});

test('[env] secrets reach the agent and no file under COOP_HOME (records, logs)', async () => {
  const secret = `sekrit-${process.pid}-${Date.now()}`;
  const t = fresh('[sandbox]\nagent = "sh"\n[env]\nAPI_TOKEN = "$COOP_T_SECRET"\n');
  t.env.COOP_T_SECRET = secret;
  const name = await t.create();
  const c = await t.client();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  const out = new Output(s);
  s.write('echo "token=$API_TOKEN"\r');
  await out.until(`token=${secret}`);
  s.detach();
  c.close();
  // Every file we can read (overlay work directories are not readable to an ordinary user).
  const files: string[] = [];
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) files.push(p);
    }
  };
  walk(t.home);
  assert.ok(files.some((f) => f.endsWith('box.json')) && files.some((f) => f.endsWith('daemon.log')));
  for (const f of files) {
    let text = '';
    try {
      text = readFileSync(f, 'latin1');
    } catch {
      continue; // the box's own files (mapped ids)
    }
    assert.not.ok(text.includes(secret), `the secret is in ${f}`);
  }
});

test('the socket is 0600 and a symlink at its path is refused', async () => {
  const t = fresh();
  await t.cli(['status']);
  assert.is(readFileSync('/proc/self/mountinfo', 'utf8').length > 0, true);
  const mode = Number(execFileSync('stat', ['-c', '%a', join(t.home, 'sock')], { encoding: 'utf8' }).trim());
  assert.is(mode, 600);
  const u = fresh();
  symlinkSync(join(u.home, 'elsewhere'), join(u.home, 'sock'));
  const r = await u.cli(['ls']);
  assert.is(r.code, 4, r.stderr);
  assert.match(r.stderr, /refusing to use .*sock: it is a symbolic link/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

if (process.getuid!() === 0) {
  test('a connection from another uid is refused', async () => {
    const t = fresh();
    await t.cli(['status']);
    chmodSync(t.home, 0o755);
    chmodSync(join(t.home, 'sock'), 0o666); // past the file mode: only SO_PEERCRED stands in the way
    const script = `const s=require('net').connect(process.argv[1]);let got='';s.on('data',d=>got+=d.length);` +
      `s.on('connect',()=>s.write(Buffer.from(process.argv[2],'hex')));s.on('close',()=>{console.log('closed:'+got);});s.on('error',e=>console.log('error:'+e.code));`;
    const hello = encodeMessage({ version: PROTOCOL_VERSION }).toString('hex');
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script, join(t.home, 'sock'), hello], { encoding: 'utf8' });
    assert.match(out, /^(closed:|error:)/);
    assert.not.match(out, /closed:\d/); // not a byte of answer
    chmodSync(join(t.home, 'sock'), 0o600); // (a client refuses a socket others can write to)
    const ok = await t.cli(['ls']);
    assert.is(ok.code, 0, ok.stderr);
  });
}

test('kill -9 of the daemon: the box survives; the next command adopts it and restarts the agent in it', async () => {
  const t = fresh();
  const name = await t.create();
  const c = await t.client();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  const out = new Output(s);
  s.write('echo survivor > /tmp/left-behind; echo written-$((1+1))\r');
  await out.until('written-2');
  const [before] = await c.ls();
  const daemon = t.daemonPid()!;
  process.kill(daemon, 'SIGKILL');
  await new Promise((r) => s.on('close', r));
  c.close();
  for (let i = 0; i < 200 && alive(daemon); i++) await sleep(10);
  assert.ok(alive(before!.pid), 'the box init outlives the daemon');
  const ls = await t.cli(['ls', '--json']);
  assert.is(ls.code, 0, ls.stderr);
  const [row] = JSON.parse(ls.stdout) as { name: string; pid: number; ptys: { pid: number; state: string }[] }[];
  assert.is(row!.name, name);
  assert.is(row!.pid, before!.pid);
  assert.is(row!.ptys[0]!.state, 'running');
  // the old agent got its hang-up and is gone; a new one runs
  const oldAgent = before!.ptys[0]!.pid!;
  for (let i = 0; i < 500 && alive(oldAgent); i++) await sleep(10);
  assert.not.ok(alive(oldAgent));
  const c2 = await t.client();
  const s2 = await c2.attach({ box: name, cols: 80, rows: 24 });
  const out2 = new Output(s2);
  s2.write('cat /tmp/left-behind\r');
  await out2.until(/^survivor/m);
  s2.detach();
  c2.close();
});

test('SIGTERM stops the daemon but not the boxes', async () => {
  const t = fresh();
  const name = await t.create();
  const c = await t.client();
  const [row] = await c.ls();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  const events: string[] = [];
  s.on('detached', () => events.push('detached'));
  const closed = new Promise((r) => s.on('close', r));
  process.kill(t.daemonPid()!, 'SIGTERM');
  await closed;
  c.close();
  assert.equal(events, ['detached']);
  assert.ok(alive(row!.pid));
  const ls = await t.cli(['ls', '--json']);
  assert.is(JSON.parse(ls.stdout)[0].pid, row!.pid);
});

test('an agent that exits is restarted: both messages, the client stays attached, the new agent answers', async () => {
  const t = fresh();
  const name = await t.create();
  const c = await t.client();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  const out = new Output(s);
  const events: string[] = [];
  s.on('pty_restarting', (e) => events.push(`restarting ${e.delay_ms}`));
  await out.until('# ');
  s.write('exit 7\r');
  await out.until('\r\n\x1b[2m[process exited (code 7)]\x1b[0m\r\n\x1b[2m[restarting in 100ms...]\x1b[0m\r\n# '); // the new agent's prompt
  s.write('echo again-$((3+4))\r');
  await out.until('again-7');
  assert.equal(events, ['restarting 100']);
  s.detach();
  c.close();
});

test('output written just before exit arrives before the exit event, with the real exit code', async () => {
  const t = fresh('[sandbox]\nagent = "sh"\n[session]\nauto_restart = false\n');
  const name = await t.create();
  const c = await t.client();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  let text = '';
  let seenAtExit = '';
  s.on('data', (d: Buffer) => (text += d.toString('latin1')));
  const exited = new Promise<{ code: number | null }>((resolve) => s.on('pty_exited', (e) => {
    seenAtExit = text;
    resolve(e);
  }));
  s.write("stty -echo; head -c 300000 /dev/zero | tr '\\0' '\\161'; echo LAST-$((20+22)); exit 42\r");
  const e = await exited;
  assert.is(e.code, 42);
  assert.match(seenAtExit, /LAST-42/);
  assert.is(seenAtExit.length - seenAtExit.replace(/q/g, '').length, 300000);
  const [row] = await c.ls();
  assert.is(row!.ptys[0]!.state, 'exited');
  c.close();
});

test('a crash-looping agent stops after 3 fast exits, says why, and uses no CPU afterwards', async () => {
  const t = fresh('[sandbox]\nagent = "sh -c \'echo crashing; exit 3\'"\n[session]\nrestart_delay_ms = 50\n');
  const name = await t.create();
  const c = await t.client();
  let row;
  for (let i = 0; i < 1000; i++) {
    [row] = await c.ls();
    if (row!.ptys[0]!.state === 'stopped') break;
    await sleep(20);
  }
  assert.is(row!.ptys[0]!.state, 'stopped');
  const log = (await c.logs({ box: name })).toString();
  assert.is(log.match(/crashing/g)!.length, 3, log);
  assert.match(log, /\x1b\[1;31m\[the agent exited 3 times within 5 s of starting; not restarting it\. Check the agent command .*coop restart/);
  const daemon = t.daemonPid()!;
  const before = cpuTicks(daemon) + cpuTicks(row!.pid);
  await sleep(1000);
  const used = cpuTicks(daemon) + cpuTicks(row!.pid) - before;
  assert.ok(used <= 2, `used ${used} ticks while idle`);
  // coop restart re-reads coop.toml
  writeFileSync(join(t.workspace, 'coop.toml'), '[sandbox]\nagent = "sh -c \'echo fixed-agent; exec sh\'"\n');
  const r = await t.cli(['restart']);
  assert.is(r.code, 0, r.stderr);
  const follow = await c.follow({ box: name });
  const out = new Output(follow);
  await out.until('fixed-agent');
  follow.destroy();
  c.close();
});

test('a filtered attach blocks exit lines and Ctrl+D; an unfiltered one does not', async () => {
  const t = fresh();
  const name = await t.create();
  const c = await t.client();
  const f = await c.attach({ box: name, cols: 80, rows: 24, filtered: true });
  const fo = new Output(f);
  let blocked = 0;
  f.on('blocked', () => blocked++);
  await fo.until('# ');
  f.write('exit\r');
  await fo.until('Blocked from web. Use local terminal to exit.');
  f.write('\x04');
  f.write('echo please exit\r');
  await fo.until(/^please exit/m);
  assert.is(blocked, 2);
  const [row] = await c.ls();
  assert.is(row!.ptys[0]!.state, 'running');
  const u = await c.attach({ box: name, cols: 80, rows: 24 });
  const restarting = new Promise((r) => u.on('pty_restarting', r));
  u.write('exit\r');
  await restarting;
  f.destroy();
  u.destroy();
  c.close();
});


test.run();
