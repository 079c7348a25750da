// The gateway's policy per peer kind (SPEC §5), with a real daemon and real boxes: a
// `tunnel` peer (here: TCP connections handed to the gateway as the WebRTC listener will
// hand its channels) may list, create a box for a workspace from that workspace's own
// trusted coop.toml, attach (always filtered), open shells and kill one box — and nothing
// else; the same requests from a `local` peer keep working as before.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Daemon } from '../../lib/daemon/daemon.js';
import { TestCoop } from '../helpers/daemon.js';
import { Proto, tcpPipe } from '../helpers/proto.js';
import { tmp } from '../helpers/tmp.js';
import { trustEnv } from '../helpers/trust.js';

const t = new TestCoop('[sandbox]\nagent = "sh"\n');
let daemon: Daemon;
let server: Server;
let port = 0;
process.env.XDG_CONFIG_HOME = trustEnv.XDG_CONFIG_HOME; // the in-process daemon reads trust records here

const tunnel = async () => Proto.over(await tcpPipe(port));

test.before(async () => {
  daemon = await Daemon.start({ coopHome: t.home, idleMs: 600_000, killGraceMs: 500 });
  server = createServer((s) => daemon.gateway.serve(s, { kind: 'tunnel', label: 'test' }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
test.after(async () => {
  server.close();
  await t.stop();
});

test('a tunnel peer is refused shutdown, serve, status, restart, kill --all, configs and unfiltered input', async () => {
  const p = await tunnel();
  const refused = async (msg: Record<string, unknown>, pattern: RegExp) => {
    const r = await p.request(msg);
    assert.is(r.ok, false, JSON.stringify(msg));
    assert.is(r.error, 'FORBIDDEN', JSON.stringify(r));
    assert.match(String(r.message), pattern);
  };
  await refused({ cmd: 'shutdown' }, /tunnel clients may not stop the daemon/);
  await refused({ cmd: 'serve', host: '0.0.0.0', port: 0 }, /may not start or change the web server/);
  await refused({ cmd: 'status' }, /may not read/);
  await refused({ cmd: 'kill', all: true }, /one box at a time/);
  const config = t.config();
  config.sandbox.mounts = [{ kind: 'path', host: '/etc', box: '/host-etc', readonly: false }];
  await refused({ cmd: 'create', workspace: t.workspace, config }, /cannot send a box configuration/);
  await refused({ cmd: 'restart', box: 'x', pty: 0, config: t.config() }, /may not restart/);
  await refused({ cmd: 'create', workspace: 'relative/dir' }, /absolute path/);
  await refused({ cmd: 'attach', box: 'x', pty: 0, cols: 80, rows: 24, filtered: false }, /always filtered/);
  p.close();
});

test("a tunnel peer's create uses the workspace's own coop.toml; its input to the agent is filtered", async () => {
  const p = await tunnel();
  const r = await p.request({ cmd: 'create', workspace: t.workspace, detach: true });
  assert.is(r.ok, true, JSON.stringify(r));
  const name = r.box as string;
  const ls = await p.request({ cmd: 'ls' });
  const row = (ls.boxes as { name: string; clients: Record<string, number> }[]).find((s) => s.name === name)!;
  assert.ok(row, 'listed');
  const a = await tunnel();
  assert.is((await a.stream({ cmd: 'attach', box: name, pty: 0, cols: 80, rows: 24 })).ok, true);
  a.input('echo $((6*7))-ok\r');
  await a.until(() => a.output.includes('42-ok'), '42-ok');
  a.input('exit\r');
  await a.until(() => a.events.some((e) => e.type === 'blocked'), 'a blocked event');
  assert.match(a.output, /Blocked from web/);
  const counted = (await p.request({ cmd: 'ls' })).boxes as { name: string; clients: Record<string, number> }[];
  assert.is(counted.find((s) => s.name === name)!.clients.tunnel, 1);
  // A shell PTY is not filtered (SPEC §8), and the tunnel peer may close it.
  const sh = await tunnel();
  const opened = await sh.stream({ cmd: 'shell', box: name, cols: 80, rows: 24 });
  assert.is(opened.ok, true, JSON.stringify(opened));
  const closed = await p.request({ cmd: 'pty_kill', box: name, pty: opened.pty });
  assert.is(closed.ok, true, JSON.stringify(closed));
  const killed = await p.request({ cmd: 'kill', box: name, force: true });
  assert.equal(killed.killed, [name]);
  for (const c of [p, a, sh]) c.close();
});

test('a widening coop.toml that is not trusted is refused for a tunnel create, with its message', async () => {
  const ws = tmp('coop-ws-untrusted-');
  writeFileSync(join(ws, 'coop.toml'), '[sandbox]\nagent = "sh"\nmounts = ["/etc:/host-etc"]\n');
  const p = await tunnel();
  const r = await p.request({ cmd: 'create', workspace: ws });
  assert.is(r.ok, false);
  assert.is(r.error, 'CONFIG_INVALID');
  assert.match(String(r.message), /not trusted, and it reaches outside the box: sandbox\.mounts .*mounts \/etc at \/host-etc/);
  assert.match(String(r.message), /coop trust/);
  p.close();
});

test('a local peer keeps every command; its create still needs a config', async () => {
  const c = await t.client(false);
  try {
    const st = await c.status();
    assert.is(st.pid, process.pid);
    const err = await c.create({ workspace: t.workspace } as never).then(() => null, (e: Error) => e);
    assert.match(String(err?.message), /field "config" is required for create/);
  } finally {
    c.close();
  }
});

test.run();
