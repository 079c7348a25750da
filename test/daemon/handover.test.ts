// The daemon serves each box terminal itself (coop-helper hands the master fd over and only
// waits for the process): the terminal's fd lives in the daemon, sizes are set there, a
// daemon that dies hangs the terminal up, and the next daemon's terminal works.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, Output, sleep, TestCoop } from '../helpers/daemon.js';

const t = new TestCoop('[sandbox]\nagent = "sh"\n[session]\nrestart_delay_ms = 100\n');
test.after(() => t.stop());

/** Targets of a process's fds (what it holds open). */
function fdTargets(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** The parent pid of a process. */
const ppidOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

let name = '';

test('the daemon holds the box terminal; coop-helper keeps none of it', async () => {
  name = await t.create();
  const c = await t.client();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  const out = new Output(s);
  s.write('echo up-$((1+1))\r');
  await out.until('up-2'); // the agent runs on its terminal
  s.detach();
  const [row] = await c.ls();
  c.close();
  const helper = row!.ptys[0]!.pid!; // coop-helper (coop-enter), parent of the agent
  const daemon = t.daemonPid()!;
  assert.ok(fdTargets(daemon).some((f) => f.endsWith('/ptmx')), `the daemon has no terminal master: ${fdTargets(daemon)}`);
  assert.is(ppidOf(helper), daemon);
  // (The helper is not dumpable once it opened the box's terminal: only root may look.)
  if (process.getuid!() === 0) {
    const held = fdTargets(helper);
    assert.not.ok(held.some((f) => f.includes('ptmx') || f.includes('/pts/')), `coop-helper still holds the terminal: ${held}`);
  }
});

test('window sizes are set on the terminal by the daemon, and the box gets SIGWINCH', async () => {
  const c = await t.client();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  const out = new Output(s);
  s.write('stty size\r');
  await out.until('24 80');
  // A foreground job that waits for SIGWINCH (the kernel sends it when the size changes).
  s.write(`sh -c 'trap "echo WINCH-$((1+1)); exit" WINCH; echo waiting-$((0+1)); while :; do sleep 0.1; done'\r`);
  await out.until('waiting-1');
  s.resize(132, 43);
  await out.until('WINCH-2');
  s.write('stty size\r');
  await out.until('43 132');
  s.detach();
  c.close();
});

test('a daemon killed with -9 hangs the terminal up; the next daemon adopts the box and its terminal works', async () => {
  const c = await t.client();
  const s = await c.attach({ box: name, cols: 80, rows: 24 });
  const out = new Output(s);
  // A foreground job notes its hang-up in the box's /tmp (the box outlives the daemon).
  s.write(`sh -c 'trap "echo hung-up > /tmp/hup-mark; exit 0" HUP; echo armed-$((2+2)); while :; do sleep 0.1; done'\r`);
  await out.until('armed-4');
  const [before] = await c.ls();
  const oldAgent = before!.ptys[0]!.pid!;
  process.kill(t.daemonPid()!, 'SIGKILL');
  await new Promise((r) => s.on('close', r));
  c.close();
  for (let i = 0; i < 500 && alive(oldAgent); i++) await sleep(10);
  assert.not.ok(alive(oldAgent), 'the old agent is gone');

  const c2 = await t.client(); // a new daemon; it adopts the box and starts the agent again
  const [row] = await c2.ls();
  assert.is(row!.pid, before!.pid);
  const s2 = await c2.attach({ box: name, cols: 100, rows: 30 });
  const out2 = new Output(s2);
  s2.write('cat /tmp/hup-mark; stty size; tty\r');
  await out2.until('hung-up'); // SIGHUP, not a kill: the trap ran
  await out2.until('30 100');
  await out2.until(/\/dev\/pts\/\d+/);
  s2.resize(90, 20);
  s2.write('stty size\r');
  await out2.until('20 90');
  s2.detach();
  c2.close();
});

test.run();
