// A daemon box with a network of its own: its published port and allowlist in `coop ls`
// and `coop status`, the proxy's refusals in the agent's PTY and `coop logs`, and coop-net
// (with its backend and proxy) living exactly as long as the box — through a daemon killed
// with -9 — and gone after `coop kill`.
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, sleep, TestCoop } from '../helpers/daemon.js';
import { commandOf, freePort, httpServer, nameOf, netProcesses, running } from './peers.js';

let t: TestCoop;
let hostPort = 0;
let blockedPort = 0;
let blocked: Server;
test.before(async () => {
  hostPort = await freePort();
  const s = await httpServer('127.0.0.1', 'never\n');
  blocked = s.server;
  blockedPort = s.port;
  t = new TestCoop(`[sandbox]
agent = "node /workspace/server.js"
[network]
mode = "private"
ports = ["${hostPort}:3000"]
allow = ["allowed.coop-test", "127.0.0.1"]
hosts = ["blocked.coop-test=127.0.0.1"]
`);
  writeFileSync(join(t.workspace, 'server.js'), "require('http').createServer((q, s) => s.end('agent-server')).listen(3000, () => console.log('agent listening'));\n");
});
test.after(async () => {
  await t.stop();
  blocked.close();
});

/** The body at url, once something answers (coop-net accepts before the agent listens, then closes). */
async function get(url: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    try {
      return await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${url} never answered`);
}

test('published port, ls and status; a refusal shows in the agent PTY and coop logs; kill -9 of the daemon, then coop kill', async () => {
  const name = await t.create();
  assert.is(await get(`http://127.0.0.1:${hostPort}/`), 'agent-server');

  const ls = JSON.parse((await t.cli(['ls', '--json'])).stdout) as { network: unknown }[];
  assert.equal(ls[0]!.network, { mode: 'private', ports: [`127.0.0.1:${hostPort}:3000`], allow: ['allowed.coop-test', '127.0.0.1'] });
  const table = (await t.cli(['ls'])).stdout;
  assert.match(table, new RegExp(`private :${hostPort} \\+2 allowed`));
  const status = await t.cli(['status']);
  assert.match(status.stdout, `Network private; published 127.0.0.1:${hostPort} -> box port 3000; only through coop's proxy to allowed.coop-test, 127.0.0.1\n`);

  const sh = await t.cli(['shell', '-c', `curl -s -o /dev/null -w '%{http_code}' http://blocked.coop-test:${blockedPort}/`]);
  assert.match(sh.stdout, /403/);
  let logs = '';
  for (let i = 0; i < 100 && !logs.includes('coop blocked'); i++) {
    logs = (await t.cli(['logs'])).stdout;
    if (!logs.includes('coop blocked')) await sleep(50);
  }
  assert.match(logs, `[coop blocked GET blocked.coop-test:${blockedPort}: "blocked.coop-test" is not in network.allow.`);

  const net = netProcesses(name);
  // coop-net, the proxy and its connector; no pasta: with an allowlist the proxy is the only way out.
  assert.equal(net.map(nameOf).sort(), ['coop-net', 'coop-net-dial', 'node'], net.map(commandOf).join('\n'));
  const daemon = t.daemonPid()!;
  process.kill(daemon, 'SIGKILL');
  for (let i = 0; i < 200 && alive(daemon); i++) await sleep(10);
  assert.equal(running(net), net, 'the network outlives the daemon');
  assert.is((await t.cli(['ls'])).code, 0); // a new daemon adopts the box and starts the agent again
  assert.is(await get(`http://127.0.0.1:${hostPort}/`), 'agent-server');
  assert.equal(netProcesses(name), net, 'the same network serves the adopted box');

  const k = await t.cli(['kill', name]);
  assert.is(k.code, 0, k.stderr);
  for (let i = 0; i < 100 && running(net).length; i++) await sleep(50);
  assert.equal(running(net).map(commandOf), []);
  const after = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.timeout(5000) }).then(() => 'answered', (e: Error) => (e.cause as NodeJS.ErrnoException)?.code);
  assert.is(after, 'ECONNREFUSED');
});

test.run();
