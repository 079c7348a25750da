// coop as a person uses it, through real terminals (tmux): open the agent, type, detach,
// attach from a second window, two clients at once, resize, a shell in the same box,
// logs, kill.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COOP } from '../helpers/cli.js';
import { alive, Output, TestCoop } from '../helpers/daemon.js';
import { Tmux } from '../helpers/tmux.js';

const t = new TestCoop();
const tmux = new Tmux({ cols: 100, rows: 30, cwd: t.workspace, env: { COOP_HOME: t.home, PS1: 'outer$ ', COOP_DAEMON_IDLE_MS: '600000' } });
const coopCmd = `${process.execPath} ${COOP}`;

test.after(async () => {
  tmux.kill();
  await t.stop();
});

test('coop opens the agent; typing works; Ctrl+] detaches and the terminal is usable', async () => {
  await tmux.waitFor(/outer\$ ?$/m);
  tmux.type(`${coopCmd}`);
  await tmux.waitFor(/^# ?$/m); // the agent: sh in the box
  tmux.type('echo $((6*7)) > /tmp/mark; echo typed-$((40+2))');
  await tmux.waitFor(/^typed-42$/m);
  tmux.keys('C-]');
  await tmux.waitFor(/\[detached\]/);
  tmux.type('clear; echo usable-$((1+1))');
  await tmux.waitFor(/^usable-2$/m);
});

test('coop attach from a second window shows the scrollback; two clients share the agent', async () => {
  tmux.tmux('new-window', '-c', t.workspace, `env COOP_HOME=${t.home} PS1='outer2$ ' sh`);
  await tmux.waitFor(/outer2\$ ?$/m, ':1');
  tmux.type(`${coopCmd} attach`, true, ':1');
  await tmux.waitFor(/typed-42/, ':1'); // replayed scrollback
  tmux.type(`clear; ${coopCmd} attach`, true, ':0');
  await tmux.waitFor(/typed-42/, ':0');
  tmux.type('echo from-$((2*2))-second', true, ':1');
  await tmux.waitFor(/^from-4-second$/m, ':0');
  tmux.type('echo from-$((3*3))-first', true, ':0');
  await tmux.waitFor(/^from-9-first$/m, ':1');
});

/** Asks the box for its terminal size until it is `want` (the resize travels through the daemon). */
async function sizeBecomes(want: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    tmux.type('clear; stty size', true, ':0');
    await new Promise((r) => setTimeout(r, 100));
    if (new RegExp(`^${want}$`, 'm').test(tmux.screen(':0'))) return;
  }
  assert.unreachable(`the box's terminal never became ${want}:\n${tmux.screen(':0')}`);
}

test('the PTY takes the smallest size of the attached windows', async () => {
  tmux.tmux('resize-window', '-t', ':1', '-x', '70', '-y', '20');
  await sizeBecomes('20 70');
  tmux.tmux('resize-window', '-t', ':1', '-x', '120', '-y', '40');
  await sizeBecomes('30 100');
  tmux.keys('-t', ':1', 'C-]');
  await tmux.waitFor(/\[detached\]/, ':1');
  tmux.keys('-t', ':0', 'C-]');
  await tmux.waitFor(/\[detached\]/, ':0');
});

test('coop shell: a shell in the same box sees the agent\'s files and processes', async () => {
  tmux.type(`clear; ${coopCmd} shell`, true, ':0');
  await tmux.waitFor(/\/workspace# ?$/m, ':0'); // sandbox.shell's prompt
  tmux.type('cat /tmp/mark; ps -e -o pid,args | grep -c "[s]h$"; echo SHELL-END', true, ':0');
  const s = await tmux.waitFor(/^SHELL-END$/m, ':0');
  assert.match(s, /^42$/m);
  assert.match(s, /^[2-9]$/m, s); // the agent's sh and this shell
  tmux.type('exit', true, ':0');
  await tmux.waitFor(/\[shell exited \(code 0\)\]/, ':0');
});

test('coop logs -n 5 and logs -f', async () => {
  const r = await t.cli(['logs', '-n', '5']);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.split('\n').length <= 6, r.stdout);
  assert.match(r.stdout, /from-9-first|30 100/);
  const follow = (await import('node:child_process')).spawn(process.execPath, [COOP, 'logs', '-f', '-n', '1'], { cwd: t.workspace, env: t.env as NodeJS.ProcessEnv });
  let out = '';
  follow.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 1200 && !out; i++) await new Promise((r) => setTimeout(r, 50)); // following: the last line came
  const c = await t.client();
  const name = (await c.ls())[0]!.name;
  const s = await c.attach({ box: name, cols: 100, rows: 30 });
  const seen = new Output(s);
  s.write('echo followed-$((5*5))\r');
  await seen.until('followed-25');
  for (let i = 0; i < 1200 && !out.includes('followed-25'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, /followed-25/);
  follow.kill('SIGINT');
  s.detach();
  c.close();
});

/** The terminal of window :0 is back as it was: same stty settings, cursor shown, main screen. */
async function restored(): Promise<void> {
  tmux.type('clear; [ "$(stty -g)" = "$(cat saved-stty)" ] && echo STTY-$((1+1))-SAME', true, ':0');
  await tmux.waitFor(/^STTY-2-SAME$/m, ':0');
  assert.is(tmux.tmux('display', '-p', '-t', ':0', '#{cursor_flag} #{alternate_on}').trim(), '1 0');
}

test('a daemon that dies or a SIGTERM to the client: the terminal is restored and reset', async () => {
  tmux.type('clear; stty -g > saved-stty', true, ':0');
  tmux.type(`${coopCmd} attach`, true, ':0');
  await tmux.waitFor(/^# ?$/m, ':0');
  tmux.type("printf '\\033[?1049h\\033[?25lFULL-SCREEN'", true, ':0'); // what a full-screen agent leaves on
  await tmux.waitFor(/FULL-SCREEN/, ':0');
  process.kill(t.daemonPid()!, 'SIGKILL');
  await tmux.waitFor(/\[daemon lost — coop attach to reconnect\]/, ':0');
  await restored();
  tmux.type(`clear; ${coopCmd} attach`, true, ':0'); // a new daemon takes the box over
  await tmux.waitFor(/^# ?$/m, ':0');
  tmux.type("printf '\\033[?1049h\\033[?25lFULL-AGAIN'", true, ':0');
  await tmux.waitFor(/FULL-AGAIN/, ':0');
  const shell = tmux.tmux('display', '-p', '-t', ':0', '#{pane_pid}').trim();
  const client = Number(execFileSync('pgrep', ['-P', shell], { encoding: 'utf8' }).trim().split('\n')[0]);
  process.kill(client, 'SIGTERM');
  await tmux.waitFor(/\[detached: SIGTERM\]/, ':0');
  await restored();
});

test('coop kill ends every process of the box and leaves no mounts', async () => {
  const c = await t.client();
  const [row] = await c.ls();
  c.close();
  const r = await t.cli(['kill']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Killed ${row!.name}`));
  assert.not.ok(alive(row!.pid));
  for (const p of row!.ptys) if (p.pid) assert.not.ok(alive(p.pid));
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(t.home));
  const ls = await t.cli(['ls', '--json']);
  assert.equal(JSON.parse(ls.stdout), []);
});

test.run();
