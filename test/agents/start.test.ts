// Starting an agent says what is wrong before (or right after) the start: a missing agent
// in one line with what to do, no coop.toml with `coop init`, an agent that does not stay
// up, --agent on a running box, setup with the host image; shutdown counts the boxes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coop } from '../helpers/cli.js';
import { TestCoop } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';

const t = new TestCoop('[sandbox]\nagent = "no-such-agent --flag"\n');
const bare = { ...t.env, PATH: '/usr/bin:/bin' }; // no agent anywhere on it

test.after(() => t.stop());

const oneLine = (s: string) => s.trim().split('\n').length === 1;

test('an agent the box cannot run: one line before the start, no box', async () => {
  const r = await t.cli(['-d']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^coop: agent "no-such-agent" is not found in the box: .*sandbox\.mounts.*sandbox\.setup/);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.equal(JSON.parse((await t.cli(['ls', '--json'])).stdout), []);
});

test('coop init --agent claude, then coop, with Claude Code nowhere: what to install', async () => {
  const dir = tmp('coop-init-');
  const init = await coop(['init', '--agent', 'claude'], { cwd: dir, env: bare });
  assert.is(init.code, 0, init.stderr);
  assert.match(init.stdout, /for Claude Code; run `coop`/);
  const r = await coop(['-d'], { cwd: dir, env: bare });
  assert.is(r.code, 1);
  assert.match(r.stderr, /^coop: agent "claude": Claude Code is neither in the box nor on your PATH; install it \(npm install -g @anthropic-ai\/claude-code\)/);
  assert.ok(oneLine(r.stderr), r.stderr);
});

test('no coop.toml: the error suggests coop init', async () => {
  const r = await coop(['-d'], { cwd: tmp('coop-none-'), env: { ...t.env, XDG_CONFIG_HOME: tmp('coop-xdg-') } });
  assert.is(r.code, 1);
  assert.match(r.stderr, /^coop: no coop\.toml in \S+ or above it, and no agent in \S+: run `coop init --agent claude`/);
});

test('an agent that does not stay up: coop -d says so with its last lines', async () => {
  writeFileSync(join(t.workspace, 'coop.toml'), '[sandbox]\nagent = ["sh", "-c", "echo broken-agent-$((6*7)); exit 9"]\n[session]\nrestart_delay_ms = 100\n');
  const r = await t.cli(['-d']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^coop: the agent of \S+ (exited|was stopped)[^\n]*; its last lines:\n  \| broken-agent-42\n  \| \[process exited \(code 9\)\]/);
  assert.match(r.stderr, /`coop restart`/);
});

test('--agent on a running box is reported as ignored; setup with image = "host" is reported as ignored', async () => {
  writeFileSync(join(t.workspace, 'coop.toml'), '[sandbox]\nagent = "sh"\nsetup = ["echo never"]\n');
  const r = await t.cli(['--agent', 'sh -c "sleep 1000"', '-d']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: sandbox\.setup and sandbox\.packages are ignored with image = "host"/);
  assert.match(r.stderr, /warning: --agent was ignored: box \S+ is already running; `coop restart --agent 'sh -c "sleep 1000"'` restarts its agent with it/);
  const restarted = await t.cli(['restart', '--agent', 'sh -c "sleep 1000"']);
  assert.is(restarted.code, 0, restarted.stderr);
  const ls = JSON.parse((await t.cli(['ls', '--json'])).stdout) as { ptys: { role: string; command: string }[] }[];
  assert.is(ls[0]!.ptys[0]!.command, 'sh -c sleep 1000');
});

test('a project whose ca_certs is a file outside the workspace needs `coop trust`', async () => {
  const ca = join(tmp('coop-ca-'), 'corp.pem');
  writeFileSync(ca, 'not a secret\n');
  writeFileSync(join(t.workspace, 'coop.toml'), `[sandbox]\nagent = "sh"\nca_certs = "${ca}"\n`);
  const r = await t.cli(['-d']);
  assert.is(r.code, 1);
  assert.match(r.stderr, new RegExp(`sandbox\\.ca_certs \\(line 3\\) gives boxes and builds the file ${ca}, outside the workspace`));
});

test('system shutdown says whether boxes keep running', async () => {
  let r = await t.cli(['system', 'shutdown']);
  assert.match(r.stdout, /^The coop daemon stopped; 1 box keeps running/);
  await t.cli(['kill', '--all']);
  r = await t.cli(['system', 'shutdown']);
  assert.equal(r.stdout, 'The coop daemon stopped.\n');
});

test.run();
