// Who may talk to whom (SPEC §5, §12): the daemon answers only its own uid in its own user
// namespace — a process in another user namespace (a box, even with $COOP_HOME inside its
// workspace) gets not a byte; a client sends nothing (its requests carry [env] secrets)
// through a socket or $COOP_HOME that is not safely the caller's.
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeMessage } from '../../lib/ipc/frames.js';
import { COOP } from '../helpers/cli.js';
import { Output, TestCoop } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';

const coops: TestCoop[] = [];
const fresh = (toml?: string, opts?: { homeInWorkspace?: boolean }) => {
  const t = new TestCoop(toml, opts);
  coops.push(t);
  return t;
};
test.after(async () => {
  for (const t of coops) await t.stop();
});

// Connects, says hello, prints "closed:<bytes received>" or "error:<code>".
const PROBE = `const s=require('net').connect(process.argv[1]);let got=0;s.on('data',d=>got+=d.length);` +
  `s.on('connect',()=>s.write(Buffer.from(process.argv[2],'hex')));s.on('close',()=>console.log('closed:'+got));` +
  `s.on('error',e=>console.log('error:'+e.code));`;
const helloHex = encodeMessage({ version: PROTOCOL_VERSION }).toString('hex');

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, { encoding: 'utf8' }, (e, out, err) => (e ? reject(new Error(`${cmd}: ${err || e.message}`)) : resolve(out))));
}

test('a process in another user namespace (same uid outside it) is refused without a byte, and logged', async () => {
  const t = fresh();
  assert.is((await t.cli(['status'])).code, 0);
  const out = await run('unshare', ['--user', '--map-root-user', process.execPath, '-e', PROBE, join(t.home, 'sock'), helloHex]);
  assert.match(out, /closed:0\s*$/); // (an EPIPE may come first: the daemon hung up while it wrote)
  assert.not.match(out, /closed:[1-9]/);
  assert.match(readFileSync(join(t.home, 'logs', 'daemon.log'), 'utf8'), /refused .*is in another user namespace/);
  const ok = await t.cli(['ls']);
  assert.is(ok.code, 0, ok.stderr); // the daemon's own user still gets in
});

test('a box whose workspace holds $COOP_HOME cannot talk to the daemon', async () => {
  const t = fresh(undefined, { homeInWorkspace: true });
  const name = await t.create();
  const c = await t.client();
  const { stream } = await c.shell({ box: name, command: `node -e "${PROBE}" /workspace/coop-home/sock ${helloHex}; echo probe-done`, cols: 200, rows: 24 });
  const text = await new Output(stream).until('probe-done');
  c.close();
  // The socket is not there for the box (coop hides $COOP_HOME in its workspace), or, were
  // it reachable, the daemon would close on it at once (the case above proves that wall).
  assert.match(text, /(closed:0|error:E[A-Z]+)\r?\n/);
  assert.not.match(text, /closed:[1-9]/);
  if (process.env.COOP_TEST_VERBOSE) console.log(text);
  assert.match(text, /error:ENOENT|closed:0/);
});

/** A listener where a daemon's socket would be, counting what reaches it. */
async function fakeDaemon(home: string): Promise<{ server: Server; sock: string; seen: { conns: number; bytes: number } }> {
  const sock = join(home, 'sock');
  const seen = { conns: 0, bytes: 0 };
  const server = createServer((s) => {
    seen.conns++;
    s.on('data', (d) => {
      seen.bytes += d.length;
      s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  chmodSync(sock, 0o600);
  return { server, sock, seen };
}

/** `coop ls` with this COOP_HOME: refused (exit 4) with one line matching `why`, having sent nothing. */
async function refused(home: string, seen: { conns: number; bytes: number }, why: RegExp): Promise<void> {
  const r = await cli(home, ['ls']);
  assert.is(r.code, 4, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, why);
  assert.equal(seen, { conns: 0, bytes: 0 });
  assert.not.ok(existsSync(join(home, 'daemon.lock')), 'nothing is created there either');
}

function cli(home: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [COOP, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, COOP_HOME: home }, cwd: home }, (e, _out, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stderr });
    });
    child.stdin?.end();
  });
}

test('the client refuses a socket that group or others can write to, without sending a byte', async () => {
  const home = tmp('coop-home-');
  const d = await fakeDaemon(home);
  chmodSync(d.sock, 0o666);
  await refused(home, d.seen, /refusing to use .*\/sock: group or others can write to it \(mode 0666\); remove it .* or run `chmod 600 /);
  chmodSync(d.sock, 0o620);
  await refused(home, d.seen, /\(mode 0620\)/);
  // The same listener, made private again, is talked to: the check is what stopped the client.
  chmodSync(d.sock, 0o600);
  const r = await cli(home, ['ls']);
  assert.is.not(r.code, 0);
  assert.ok(d.seen.bytes > 0, 'a private socket is used');
  d.server.close();
});

test('the client refuses a $COOP_HOME that group or others can write to, or that is not the caller\'s', async () => {
  const home = tmp('coop-home-');
  const d = await fakeDaemon(home);
  chmodSync(home, 0o777);
  await refused(home, d.seen, new RegExp(`refusing to use ${home}: group or others can write to it \\(mode 0777\\); run \`chmod go-w ${home}\``));
  chmodSync(home, 0o700);
  const shared = process.env.COOP_TEST_SHARED;
  if (process.getuid!() !== 0 && shared) {
    // A directory of root's (the runner's shared one): not the caller's.
    await refused(shared, { conns: 0, bytes: 0 }, new RegExp(`refusing to use ${shared}: it belongs to uid 0 \\(mode 0755\\), not to you`));
  }
  d.server.close();
});

if (process.getuid!() === 0) {
  test('as root: a socket or $COOP_HOME owned by another user is refused without a byte', async () => {
    const home = tmp('coop-home-');
    const d = await fakeDaemon(home);
    chownSync(d.sock, 65534, 65534);
    await refused(home, d.seen, /refusing to use .*\/sock: it belongs to uid 65534 \(mode 0600\), not to you \(uid 0\)/);
    chownSync(d.sock, 0, 0);
    chownSync(home, 65534, 65534);
    await refused(home, d.seen, new RegExp(`refusing to use ${home}: it belongs to uid 65534 \\(mode 0700\\), not to you \\(uid 0\\); set COOP_HOME`));
    chownSync(home, 0, 0);
    d.server.close();
  });
}

test.run();
