// network.mode = "none": a private network namespace with only loopback, brought up.
import { createServer, type Server } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const none = (cmd: string[]) => runCaptured({ cmd, config: testConfig(ws, { network: { mode: 'none' } }), coopHome: home });

let hostServer: Server;
let hostPort = 0;

test.before(async () => {
  hostServer = createServer((s) => s.end('host-service\n'));
  await new Promise<void>((res) => hostServer.listen(0, '127.0.0.1', res));
  hostPort = (hostServer.address() as { port: number }).port;
});
test.after(() => {
  hostServer.close();
});

test('only lo exists, and it is up', async () => {
  const r = await none(['sh', '-c', 'ls /sys/class/net; cat /sys/class/net/lo/flags']);
  assert.is(r.code, 0, r.stderr);
  const [ifaces, flags] = r.stdout.trim().split('\n');
  assert.is(ifaces, 'lo');
  assert.ok((Number(flags) & 1) === 1, `lo flags ${flags}`);
});

test('a server on 127.0.0.1 inside is reachable inside', async () => {
  const script = `
    const net = require('net');
    const srv = net.createServer((s) => s.end('inside-ok')).listen(0, '127.0.0.1', () => {
      net.connect(srv.address().port, '127.0.0.1').on('data', (d) => { console.log(String(d)); process.exit(0); });
    });`;
  const r = await none(['node', '-e', script]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), 'inside-ok');
});

test("the host's loopback services are unreachable", async () => {
  const script = `
    require('net').connect(${hostPort}, '127.0.0.1')
      .on('data', (d) => { console.log('REACHED ' + d); process.exit(0); })
      .on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const r = await none(['node', '-e', script]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), 'ECONNREFUSED');
});

test('network.mode = "host" shares the host stack', async () => {
  const script = `require('net').connect(${hostPort}, '127.0.0.1').on('data', (d) => { process.stdout.write(d); process.exit(0); });`;
  const r = await runCaptured({ cmd: ['node', '-e', script], config: testConfig(ws), coopHome: home });
  assert.is(r.stdout.trim(), 'host-service');
});

test.run();
