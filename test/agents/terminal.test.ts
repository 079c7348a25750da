// A full-screen agent (the scripted fake TUI) through a real terminal (tmux): what the
// terminal is left with after detaching in every key form, after reattaching, after
// `coop logs`; logs as text; clean pipes; attach without a terminal.
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COOP } from '../helpers/cli.js';
import { sleep } from '../helpers/daemon.js';
import { Tmux } from '../helpers/tmux.js';
import { coopCmd, fakeAgentCoop, keysLog, Window } from './env.js';

const t = fakeAgentCoop('[env]\nFAKE_TUI_LOG = "/workspace/.keys"\nFOO = "one"\n');
const w = new Window(t);

test.after(async () => {
  w.kill();
  await t.stop();
});

const replies = () => (keysLog(t).match(/\^\[\[\?[\d;]*c|\^\[\[\d+;\d+R/g) ?? []).length;

/** What undoes the fake TUI's modes, all of which must reach the terminal on the way out. */
const RESETS = ['\x1b[<99u', '\x1b[>4;0m', '\x1b[?1000l', '\x1b[?1006l', '\x1b[?2004l', '\x1b[?1004l', '\x1b[?1049l', '\x1b[?1l', '\x1b[0 q', '\x1b[?25h'];

function assertReset(bytes: string): void {
  const tail = bytes.slice(bytes.lastIndexOf('\x1b[0m'));
  for (const r of RESETS) assert.ok(tail.includes(r), `missing ${JSON.stringify(r)} in ${JSON.stringify(tail)}`);
}

test('the agent on a real terminal: its modes are on, keys reach it, its TERM is xterm-256color', async () => {
  await w.ready();
  w.type(coopCmd);
  const s = await w.waitFor(/replies: 2/); // the terminal answered its start-up queries
  assert.match(s, /TERM=xterm-256color FOO=one/);
  assert.equal([w.modes().alternate_on, w.modes().mouse_sgr_flag, w.modes().cursor_flag], ['1', '1', '0']);
  w.type('abc', false);
  await w.waitFor(/keys: abc/);
});

test('Ctrl+] as the kitty protocol sends it (CSI 93;5u) detaches; every mode is undone', async () => {
  w.output();
  w.sendBytes('\x1b[93;5u');
  await w.waitFor(/^\[detached\]$/m);
  assertReset(w.output());
  w.assertClean(assert.equal);
  assert.is(await w.status(), 0);
  w.type('clear; echo usable-$((1+1))');
  await w.waitFor(/^usable-2$/m);
  assert.not.match(w.screen(), /\^\[|1;2c|\d;\d+R/);
});

test('reattach: screen and modes come back rendered, no queries; the modifyOtherKeys form detaches', async () => {
  const before = replies();
  w.output();
  w.type(`clear; ${coopCmd} attach`);
  await w.waitFor(/FAKE-TUI READY/);
  const bytes = w.output();
  assert.not.ok(bytes.includes('\x1b[c') || bytes.includes('\x1b[6n'), 'queries replayed');
  for (const m of ['\x1b[>7u', '\x1b[?1006h', '\x1b[?2004h', '\x1b[?25l', '\x1b[>4;2m', '\x1b[5 q']) assert.ok(bytes.includes(m), `mode ${JSON.stringify(m)} not restored`);
  assert.equal([w.modes().alternate_on, w.modes().mouse_sgr_flag], ['1', '1']);
  w.type('d', false);
  await w.waitFor(/keys: abcd/);
  assert.is(replies(), before, 'the terminal answered queries of the past');
  w.sendBytes('\x1b[27;5;93~');
  await w.waitFor(/^\[detached\]$/m);
  assertReset(w.output());
  w.assertClean(assert.equal);
});

test('coop logs renders text: the screen, -n screen lines, piped plain, the terminal untouched', async () => {
  w.output();
  w.type(`clear; ${coopCmd} logs -n 27; echo LOGS-DONE`);
  const s = await w.waitFor(/^LOGS-DONE$/m);
  assert.match(s, /^  keys: abcd\n  replies: 2\n(\n){24}status line\nLOGS-DONE$/m, s);
  const bytes = w.output();
  assert.not.ok(/\x1b\[(\?1049h|\?1000h|>7u|c|6n)/.test(bytes), JSON.stringify(bytes.slice(0, 300)));
  w.assertClean(assert.equal);
  assert.not.match(w.screen(), /\^\[|1;2c/);
  const plain = spawnSync(process.execPath, [COOP, 'logs', '-n', '2'], { cwd: t.workspace, env: t.env, encoding: 'utf8' });
  assert.is(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, '\nstatus line\n'); // the last two lines of the screen: an empty one, the bottom one
  const all = spawnSync(process.execPath, [COOP, 'logs'], { cwd: t.workspace, env: t.env, encoding: 'utf8' }).stdout;
  assert.not.match(all, /\x1b|\r/);
  assert.match(all, /^history line 1\n[^]*^history line 30\nfake-tui starting\n/m);
  const raw = spawnSync(process.execPath, [COOP, 'logs', '--raw'], { cwd: t.workspace, env: t.env, encoding: 'latin1' }).stdout;
  assert.ok(raw.includes('\x1b[?1049h') && raw.includes('\x1b[6n'));
});

test('coop logs -f follows rendered lines; a read-only watcher in a small window does not shrink the agent', async () => {
  const follow = spawn(process.execPath, [COOP, 'logs', '-f', '-n', '26'], { cwd: t.workspace, env: t.env });
  let out = '';
  follow.stdout.on('data', (d) => (out += d));
  while (!out.includes('status line')) await sleep(50);
  assert.match(out, /^  replies: 2\n{25}status line\n$/); // the last 26 lines of the screen
  const small = new Tmux({ cols: 60, rows: 15, cwd: t.workspace, env: { COOP_HOME: t.home, PS1: 'small$ ' } });
  try {
    await small.waitFor(/small\$ ?$/m);
    small.type(`${coopCmd} attach --readonly`);
    await small.waitFor(/status line/); // the bottom of a taller screen
    const c = await t.client();
    const s = await c.attach({ box: (await c.ls())[0]!.name, cols: 100, rows: 30 });
    s.write('e');
    while (!out.includes('keys: abcde')) await sleep(50); // a new frame of the alternate screen
    s.detach();
    c.close();
    assert.match(out, /size=100x30/);
    assert.not.match(out, /\x1b|\r/);
    small.keys('C-]');
    await small.waitFor(/^\[detached\]$/m);
  } finally {
    small.kill();
    follow.kill('SIGINT');
  }
});

test('pipes: only the command\'s bytes, LF endings, EPIPE ends quietly with 141', async () => {
  w.type(`clear; ${coopCmd} shell -c 'echo hi' | od -c | head -2`);
  const s = await w.waitFor(/^0000003$/m);
  assert.match(s, /^0000000\s+h\s+i\s+\\n$/m);
  w.type(`clear; ${coopCmd} shell -c 'seq 1 200000' | head -1; echo "pipe=\${PIPESTATUS[0]}"`);
  const p = await w.waitFor(/^pipe=\d+$/m);
  assert.match(p, /^1\npipe=141$/m);
  assert.not.match(p, /Error|EPIPE|at /);
  w.type(`clear; mkdir -p sub/dir && cd sub/dir && ${coopCmd} shell -c 'pwd; exit 3'; echo "code=$?"; cd - >/dev/null`);
  const c = await w.waitFor(/^code=\d+$/m);
  assert.match(c, /^\/workspace\/sub\/dir\n\[shell exited \(code 3\)\]\ncode=3$/m, JSON.stringify(c)); // on a terminal: said
  const piped = spawnSync('sh', ['-c', `printf 'a b\\nc' | ${coopCmd} shell -c 'cat; echo; echo done'`], { cwd: t.workspace, env: t.env, encoding: 'utf8' });
  assert.equal([piped.stdout, piped.status], ['a b\nc\ndone\n', 0]);
});

test('attach without a terminal refuses with one line (--readonly prints); the agent keeps its size', async () => {
  const r = spawnSync(process.execPath, [COOP, 'attach'], { cwd: t.workspace, env: t.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.is(r.status, 2);
  assert.match(r.stderr, /^coop: not on a terminal .*--readonly/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  const logs = spawnSync(process.execPath, [COOP, 'logs'], { cwd: t.workspace, env: t.env, encoding: 'utf8' }).stdout;
  assert.match(logs, /size=100x30/);
});

test.run();
