// `coop run` through the real CLI: output, exit codes, bad input, secrets.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busyboxRootfs } from '../helpers/busybox.js';
import { COOP, coop } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';
import { trustEnv, trustProject } from '../helpers/trust.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', COOP_HOME: home, ...trustEnv };
const inWs = { cwd: ws, env };

test('runs a command in a sandbox: uid 0, own hostname, the workspace', async () => {
  writeFileSync(join(ws, 'hello.txt'), 'hi');
  const r = await coop(['run', '--', 'sh', '-c', 'id -u; hostname; ls /workspace'], inWs);
  assert.is(r.code, 0, r.stderr);
  const [uid, host, files] = r.stdout.trim().split('\n');
  assert.is(uid, '0');
  assert.match(host!, /^run-[0-9a-f]{8}$/);
  assert.is(files, 'hello.txt');
  assert.is(r.stderr, '');
});

test('the command may follow options without --', async () => {
  const r = await coop(['run', '--network', 'none', 'cat', '/sys/class/net/lo/operstate'], inWs);
  assert.is(r.code, 0, r.stderr);
});

test('stdin, stdout and stderr pass through', async () => {
  const r = await coop(['run', '--', 'sh', '-c', 'tr a-z A-Z; echo err >&2'], { ...inWs, input: 'piped text\n' });
  assert.is(r.stdout, 'PIPED TEXT\n');
  assert.is(r.stderr, 'err\n');
});

test('exit codes propagate; a signal becomes 128+n', async () => {
  assert.is((await coop(['run', '--', 'sh', '-c', 'exit 42'], inWs)).code, 42);
  assert.is((await coop(['run', '--', 'sh', '-c', 'kill -KILL $$'], inWs)).code, 137);
});

test('a signal to coop reaches the command', async () => {
  const child = spawn(process.execPath, [COOP, 'run', '--', 'sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.05; done'], { ...inWs, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((res) => child.stdout.on('data', (d) => { out += d; if (out.includes('ready')) res(); }));
  child.kill('SIGTERM');
  const code = await new Promise((res) => child.on('close', res));
  assert.match(out, /got-term/);
  assert.is(code, 3);
});

test('a missing command: exit 127 and one line', async () => {
  const r = await coop(['run', '--', 'no-such-program'], inWs);
  assert.is(r.code, 127);
  assert.is(r.stderr, 'coop: no-such-program: command not found\n');
});

test('bad input: one line, non-zero exit, nothing left behind', async () => {
  const before = readdirSync(home).sort();
  const cases: [string[], number, string][] = [
    [['run', '-w', '/nonexistent/ws', '--', 'true'], 1, 'coop: workspace /nonexistent/ws does not exist\n'],
    [['run', '--image', 'dir:/nonexistent/rootfs', '--', 'true'], 1, 'coop: image dir:/nonexistent/rootfs: /nonexistent/rootfs does not exist\n'],
    [['run', '--network', 'bridge', '--', 'true'], 1, 'coop: command line: network.mode: "bridge" is not one of "host", "none", "private"\n'],
    [['run'], 2, 'coop: missing CMD (put it after --)\nRun `coop run --help` for usage.\n'],
    [['run', '--imgae', 'x', '--', 'true'], 2, 'coop: unknown option --imgae (did you mean --image?)\nRun `coop run --help` for usage.\n'],
    [['rn'], 2, 'coop: unknown command "rn" (did you mean "coop run"?)\nRun `coop --help` for usage.\n'],
  ];
  for (const [args, code, stderr] of cases) {
    const r = await coop(args, inWs);
    assert.is(r.stderr, stderr, args.join(' '));
    assert.is(r.code, code, args.join(' '));
    assert.is(r.stdout, '');
  }
  assert.equal(readdirSync(home).sort(), before);
});

test('a malformed coop.toml stops coop run before anything starts', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'coop.toml'), '[network]\nmode = "nope"\n');
  const r = await coop(['run', '--', 'true'], { cwd: dir, env });
  assert.is(r.code, 1);
  assert.is(r.stderr, `coop: ${join(dir, 'coop.toml')}:2: network.mode: "nope" is not one of "host", "none", "private"\n`);
});

test('a dir: image from coop.toml', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'coop.toml'), `[sandbox]\nimage = "dir:${busyboxRootfs()}"\n`);
  trustProject(dir);
  const r = await coop(['run', '--', 'cat', '/etc/marker'], { cwd: dir, env });
  assert.is(r.stdout, 'rootfs original\n', r.stderr);
});

test('a secret from the environment reaches the box and nothing else', async () => {
  const secret = `sk-ant-test-${process.pid}-${Date.now()}`;
  const dir = tmp();
  writeFileSync(join(dir, 'coop.toml'), '[env]\nANTHROPIC_API_KEY = "$TEST_SECRET"\n');
  trustProject(dir);
  const check = 'printf %s "$ANTHROPIC_API_KEY" | sha256sum | cut -c1-64; sleep 0.5';
  const child = coop(['run', '--', 'sh', '-c', check], { cwd: dir, env: { ...env, TEST_SECRET: secret } });
  // While the box runs, and after: no file under $COOP_HOME holds the secret.
  await new Promise((r) => setTimeout(r, 300));
  const scan = () => {
    const hits: string[] = [];
    const walk = (p: string) => {
      for (const name of readdirSync(p)) {
        const f = join(p, name);
        const st = statSync(f, { throwIfNoEntry: false });
        if (!st) continue;
        if (st.isDirectory()) walk(f);
        else if (st.isFile() && readFileSync(f).includes(secret)) hits.push(f);
      }
    };
    walk(home);
    return hits;
  };
  assert.equal(scan(), []);
  const r = await child;
  assert.equal(scan(), []);
  const expected = execFileSync('sha256sum', { input: secret, encoding: 'utf8' }).slice(0, 64);
  assert.is(r.stdout.trim(), expected);
  assert.not.match(r.stdout + r.stderr, secret);
});

test('no file descriptor of coop leaks into the box', async () => {
  const r = await new Promise<string>((resolve) => {
    const child = spawn('sh', ['-c', 'exec 7</etc/hostname 8>/dev/null; exec "$0" "$1" run -- ls /proc/self/fd', process.execPath, COOP], { ...inWs, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => resolve(out));
  });
  assert.equal(r.trim().split('\n').map(Number).sort(), [0, 1, 2, 3]);
});

test('--help and --version', async () => {
  const h = await coop(['run', '--help'], inWs);
  assert.is(h.code, 0);
  assert.match(h.stdout, /coop run \[--image X\] \[--network M\] \[--allow DOMAIN\]\.\.\. \[-w DIR\] \[--\] CMD\.\.\./);
  assert.match(h.stdout, /Examples:/);
  const v = await coop(['--version'], inWs);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

test.run();
