// Every way out of an attach says what happened, with its own exit code, and leaves the
// terminal clean; a crash-looped agent stays stopped after a daemon takeover; `coop
// restart` applies [env] and the agent command, and says what needs a new box.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, sleep } from '../helpers/daemon.js';
import { coopCmd, FAKE_AGENT, fakeAgentCoop, Window, writeToml } from './env.js';

const t = fakeAgentCoop('persist = [".state"]\n[env]\nFOO = "one"\n');
const w = new Window(t);
const toml = (extra: string) => `[sandbox]\n${FAKE_AGENT}\n[session]\nrestart_delay_ms = 100\npersist = [".state"]\n${extra}`;

test.after(async () => {
  w.kill();
  await t.stop();
});

async function killDaemon(): Promise<void> {
  const pid = t.daemonPid()!;
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(20);
}

const agentState = async () => {
  const rows = JSON.parse((await t.cli(['ls', '--json'])).stdout) as { ptys: { role: string; state: string }[] }[];
  return rows[0]?.ptys.find((p) => p.role === 'agent')?.state;
};

test('box killed elsewhere: [box killed], exit 3, terminal clean', async () => {
  await w.ready();
  w.type(coopCmd);
  await w.waitFor(/FAKE-TUI READY/);
  const r = await t.cli(['kill']);
  assert.is(r.code, 0, r.stderr);
  await w.waitFor(/^\[box killed\]$/m);
  w.assertClean(assert.equal);
  assert.is(await w.status(), 3);
});

test('crash loop: [agent stopped: crash loop ...], exit 7; still stopped after a daemon takeover; restart starts it', async () => {
  writeToml(t, toml('[env]\nFAKE_TUI_EXIT = "4"\n'));
  w.type(`clear; ${coopCmd}`);
  await w.waitFor(/^\[agent stopped: crash loop — coop logs \/ coop restart\]$/m);
  w.assertClean(assert.equal);
  assert.is(await w.status(), 7);
  const log = join(t.home, 'logs', 'daemon.log');
  assert.match(readFileSync(log, 'utf8'), /agent-exited box=\S+ code=4/);
  assert.match(readFileSync(log, 'utf8'), /agent-stopped box=\S+ reason="crash loop"/);
  await killDaemon();
  assert.is(await agentState(), 'stopped'); // a new daemon took the box over
  const exits = readFileSync(log, 'utf8').match(/agent-exited/g)!.length;
  w.type(`clear; ${coopCmd} attach`);
  await w.waitFor(/^\[agent stopped: crash loop — coop logs \/ coop restart\]$/m);
  assert.is(await w.status(), 7);
  assert.is(readFileSync(log, 'utf8').match(/agent-exited/g)!.length, exits, 'the stopped agent was started again');
  writeToml(t, toml('[env]\nFOO = "two"\n'));
  const r = await t.cli(['restart']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Restarted the agent/);
  for (let i = 0; i < 600 && !/FOO=two/.test((await t.cli(['logs'])).stdout); i++) await sleep(50);
  assert.match((await t.cli(['logs'])).stdout, /FAKE-TUI READY[^]*FOO=two/);
  assert.is(await agentState(), 'running');
});

test('restart applies [env]; a changed mount is named with --box; restart --box keeps persist directories', async () => {
  assert.is((await t.cli(['shell', '-c', 'mkdir -p ~/.state && echo kept > ~/.state/f'])).code, 0);
  writeToml(t, `[sandbox]\n${FAKE_AGENT}\nmounts = ["${t.workspace}:/mnt/again:ro"]\n[session]\nrestart_delay_ms = 100\npersist = [".state"]\n[env]\nFOO = "three"\n`);
  const r = await t.cli(['restart']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /only a new box applies it: sandbox\.mounts; `coop restart --box` recreates the box/);
  for (let i = 0; i < 600 && !/FOO=three/.test((await t.cli(['logs'])).stdout); i++) await sleep(50);
  assert.match((await t.cli(['logs'])).stdout, /FOO=three/);
  const box = await t.cli(['restart', '--box']);
  assert.is(box.code, 0, box.stderr);
  assert.match(box.stdout, /Recreated box/);
  const s = await t.cli(['shell', '-c', 'cat ~/.state/f; ls /mnt/again/coop.toml']);
  assert.equal([s.stdout, s.code], ['kept\n/mnt/again/coop.toml\n', 0]);
});

test('daemon lost: [daemon lost — coop attach to reconnect], exit 4; detach: [detached], exit 0', async () => {
  w.type(`clear; ${coopCmd} attach`);
  await w.waitFor(/FAKE-TUI READY/);
  await killDaemon();
  await w.waitFor(/^\[daemon lost — coop attach to reconnect\]$/m);
  w.assertClean(assert.equal);
  assert.is(await w.status(), 4);
  w.type(`clear; ${coopCmd} attach`);
  await w.waitFor(/FAKE-TUI READY/);
  w.tmux.keys('C-]');
  await w.waitFor(/^\[detached\]$/m);
  assert.is(await w.status(), 0);
});

test.run();
