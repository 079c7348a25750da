// network.mode = "private": a network of the box's own with a way out through pasta (or
// slirp4netns), published ports, DNS through coop's relay — and nothing of the host's
// loopback. One-shot boxes (coop run's library); the network processes end with them.
import { createServer as netServer, connect, type Server } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoopConfig } from '../../lib/config/types.js';
import { run } from '../../lib/boxes.js';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { sleep } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';
import { commandOf, dnsServer, freePort, httpServer, netProcesses, ownAddress, running } from './peers.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const config = (network: Partial<CoopConfig['network']> = {}) => testConfig(ws, { network: { mode: 'private', ...network } });
const inBox = (cmd: string, network?: Partial<CoopConfig['network']>) => runCaptured({ cmd: ['sh', '-c', cmd], config: config(network), coopHome: home });

const servers: Server[] = [];
let loopPort = 0;
let rawPort = 0;
const abstractName = `coop-test-${process.pid}`;

test.before(async () => {
  const loop = await httpServer('127.0.0.1', 'host-loopback-service\n');
  servers.push(loop.server);
  loopPort = loop.port;
  const raw = netServer((s) => s.end('host-loopback-service\n'));
  await new Promise<void>((res) => raw.listen(0, '127.0.0.1', res));
  rawPort = (raw.address() as { port: number }).port;
  servers.push(raw as unknown as Server);
  const abs = netServer((s) => s.end('abstract-socket\n'));
  await new Promise<void>((res) => abs.listen(`\0${abstractName}`, res));
  servers.push(abs as unknown as Server);
});
test.after(() => {
  for (const s of servers) s.close();
});

test('reaches a server on the host side of the user-mode network', async () => {
  const address = ownAddress();
  if (!address) {
    console.log('skipped: this machine has no non-loopback IPv4 address to serve on');
    return;
  }
  const { server, port } = await httpServer(address, 'host-side-server\n');
  servers.push(server);
  const r = await inBox(`ip -4 -br addr show eth0 2>/dev/null | cut -c1-4; curl -sS --max-time 20 http://${address}:${port}/`);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'eth0\nhost-side-server\n');
});

test("cannot reach the host's loopback services or abstract sockets", async () => {
  const script = `
    const net = require('net');
    const tryIt = (what, target) => new Promise((res) => net.connect(target)
      .on('data', (d) => res(what + ' REACHED ' + String(d).trim()))
      .on('error', (e) => res(what + ' ' + e.code)));
    (async () => {
      console.log(await tryIt('loopback', { host: '127.0.0.1', port: ${rawPort} }));
      console.log(await tryIt('abstract', { path: '\\0${abstractName}' }));
    })();`;
  const r = await runCaptured({ cmd: ['node', '-e', script], config: config(), coopHome: home });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'loopback ECONNREFUSED\nabstract ECONNREFUSED\n');
  // The same probe from a box on the host's network reaches both.
  const shared = await runCaptured({ cmd: ['node', '-e', script], config: testConfig(ws), coopHome: home });
  assert.is(shared.stdout, 'loopback REACHED host-loopback-service\nabstract REACHED abstract-socket\n');
});

test('DNS resolution inside goes through the relay to the configured server', async () => {
  const dns = await dnsServer({ 'app.coop-test': '192.0.2.77' });
  try {
    const r = await inBox('cat /etc/resolv.conf | grep nameserver; getent hosts app.coop-test; getent hosts missing.coop-test || echo missing', { dns: [`127.0.0.1:${dns.port}`] });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.replace(/[ \t]+/g, ' '), 'nameserver 127.0.0.53\n192.0.2.77 app.coop-test\nmissing\n');
    assert.ok(dns.queries.includes('app.coop-test'), `queries: ${dns.queries}`);
  } finally {
    dns.close();
  }
});

test('a published port reaches a server started in the box; the network processes end with the box', async () => {
  const hostPort = await freePort();
  const server = `require('http').createServer((q, s) => s.end('box-server ' + q.url)).listen(3000, '127.0.0.1', () => console.log('listening'))`;
  const h = run({ cmd: ['sh', '-c', `node -e "$0" & read line; kill $!`, server], config: config({ ports: [`${hostPort}:3000`] }), coopHome: home, stdio: 'pipe' });
  let out = '';
  h.stdout!.on('data', (d) => (out += d));
  for (let i = 0; i < 600 && !out.includes('listening'); i++) await sleep(50);
  assert.ok(out.includes('listening'), out);
  const net = netProcesses(h.name);
  assert.ok(net.length >= 2, `coop-net and its backend: ${net.map(commandOf)}`);
  // The gateway is not the host's loopback (pasta's default maps it there; slirp4netns's too).
  const backend = net.map(commandOf).find((c) => /pasta|slirp4netns/.test(c)) ?? '';
  assert.match(backend, /--no-map-gw|--disable-host-loopback/);
  const body = await (await fetch(`http://127.0.0.1:${hostPort}/hello`, { signal: AbortSignal.timeout(10_000) })).text();
  assert.is(body, 'box-server /hello');
  h.stdin!.end('\n');
  const r = await h;
  assert.is(r.code, 0);
  for (let i = 0; i < 100 && running(net).length; i++) await sleep(50);
  assert.equal(running(net).map(commandOf), []);
  const refused = await new Promise<string>((res) => connect(hostPort, '127.0.0.1').on('connect', () => res('connected')).on('error', (e) => res((e as NodeJS.ErrnoException).code!)));
  assert.is(refused, 'ECONNREFUSED');
});

test('slirp4netns serves when pasta is not wanted (COOP_NETWORK_BACKEND)', async () => {
  const address = ownAddress();
  if (!address) {
    console.log('skipped: this machine has no non-loopback IPv4 address to serve on');
    return;
  }
  const { server, port } = await httpServer(address, 'via-slirp\n');
  servers.push(server);
  process.env.COOP_NETWORK_BACKEND = 'slirp4netns';
  try {
    const r = await inBox(`curl -sS --max-time 20 http://${address}:${port}/; curl -sS --max-time 5 http://127.0.0.1:${loopPort}/ || echo no-loopback`);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'via-slirp\nno-loopback\n');
  } finally {
    delete process.env.COOP_NETWORK_BACKEND;
  }
});

test('a host port already taken is one clear line, and no box', async () => {
  const taken = await httpServer('127.0.0.1', 'taken\n');
  servers.push(taken.server);
  const e = await runCaptured({ cmd: ['true'], config: config({ ports: [`${taken.port}:3000`] }), coopHome: home }).catch((err: Error) => err);
  assert.is((e as Error).message, `network.ports: cannot publish box port 3000 on 127.0.0.1:${taken.port}: Address already in use (another process listens there: choose another host port in network.ports)`);
});

test('published ports need a network of the box\'s own', async () => {
  const e = await runCaptured({ cmd: ['true'], config: testConfig(ws, { network: { mode: 'host', ports: ['8080:3000'] } }), coopHome: home }).catch((err: Error) => err);
  assert.match((e as Error).message, /^network.ports needs network.mode = "private"/);
});

test.run();
