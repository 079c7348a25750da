// network.allow in a box: the proxy is the only way out. Allowed names are reached (plain
// HTTP and CONNECT), others get a 403 naming the key to change, a name resolving to a
// loopback address is refused, each refusal is a notice on the box's terminal (stderr for
// `coop run`), and direct connections fail at once. network.hosts points names at the
// test's own servers (no /etc/hosts edits).
import type { Server } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoopConfig } from '../../lib/config/types.js';
import { runCaptured } from '../helpers/box.js';
import { coop } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';
import { httpServer, ownAddress } from './peers.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const inBox = (script: string, network: Partial<CoopConfig['network']>) =>
  runCaptured({ cmd: ['sh', '-c', script], config: testConfig(ws, { network }), coopHome: home });

const servers: Server[] = [];
let port = 0;
test.before(async () => {
  const s = await httpServer('127.0.0.1', 'allowed-server\n');
  servers.push(s.server);
  port = s.port;
});
test.after(() => {
  for (const s of servers) s.close();
});

const network = () => ({
  allow: ['allowed.coop-test', 'loop.coop-test', '127.0.0.1'],
  hosts: ['allowed.coop-test=127.0.0.1', 'loop.coop-test=127.0.0.2', 'blocked.coop-test=127.0.0.1'],
});

test('allowed names are reached through the proxy, plain and through CONNECT', async () => {
  const r = await inBox(`echo "$HTTP_PROXY $https_proxy $NO_PROXY"; curl -sS http://allowed.coop-test:${port}/; curl -sS -p http://allowed.coop-test:${port}/`, network());
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'http://127.0.0.1:3128 http://127.0.0.1:3128 localhost,127.0.0.1,::1\nallowed-server\nallowed-server\n');
  assert.is(r.stderr, '');
});

test('other names get a 403 naming the key to add; each refusal is a notice on the terminal', async () => {
  const r = await inBox(`curl -s -w ' %{http_code}\\n' http://blocked.coop-test:${port}/x; curl -sS -p https://blocked.coop-test/ 2>&1; echo "connect exit $?"`, network());
  const fix = 'To allow it, add "blocked.coop-test" to network.allow in coop.toml (coop run: --allow blocked.coop-test)';
  assert.is(r.stdout, `coop: blocked: "blocked.coop-test" is not in network.allow. ${fix}\n 403\ncurl: (56) CONNECT tunnel failed, response 403\nconnect exit 56\n`);
  assert.is(r.stderr,
    `[coop blocked GET blocked.coop-test:${port}: "blocked.coop-test" is not in network.allow. ${fix}]\n` +
    `[coop blocked CONNECT blocked.coop-test:443: "blocked.coop-test" is not in network.allow. ${fix}]\n`);
});

test('an allowed name that resolves to a loopback address is refused', async () => {
  const r = await inBox(`curl -s -p http://loop.coop-test:${port}/ -o /dev/null -w '%{http_connect}\\n'`, network());
  assert.is(r.stdout, '403\n');
  assert.match(r.stderr, `[coop blocked CONNECT loop.coop-test:${port}: "loop.coop-test" resolves to 127.0.0.2 is a loopback address. To allow it, add "127.0.0.2" to network.allow`);
});

test('direct connections fail at once: loopback is the box\'s own, and there is no route out', async () => {
  const address = ownAddress() ?? '192.0.2.1';
  const r = await inBox(`curl --noproxy '*' -sS --max-time 10 http://127.0.0.1:${port}/ 2>&1; curl --noproxy '*' -sS --max-time 10 http://${address}:${port}/ 2>&1; true`, network());
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /Couldn't connect to server|Connection refused/);
  assert.match(lines[1]!, /Network is unreachable|Couldn't connect to server/);
  assert.not.match(r.stdout, /timed out/);
});

test("in-box root cannot change the box's network", async () => {
  const r = await inBox(`id -u; ip route add default dev lo 2>&1; ip link set lo down 2>&1; ip addr add 10.9.9.9/24 dev lo 2>&1; ip -br link | cut -d' ' -f1 | tr '\\n' ' '; curl -sS http://allowed.coop-test:${port}/`, network());
  assert.is(r.stdout, '0\n' + 'RTNETLINK answers: Operation not permitted\n'.repeat(3) + 'lo allowed-server\n');
});

test('coop run --allow (repeatable) puts the box behind the proxy', async () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, COOP_HOME: home };
  const r = await coop(['run', '--allow', 'one.coop-test', '--allow', '*.two.coop-test', '--', 'sh', '-c',
    'echo "$HTTPS_PROXY"; ip -br link | cut -d" " -f1; curl -s -o /dev/null -w "%{http_connect}\\n" -p http://three.coop-test/; true'], { cwd: ws, env });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'http://127.0.0.1:3128\nlo\n403\n');
  assert.match(r.stderr, '[coop blocked CONNECT three.coop-test:80: "three.coop-test" is not in network.allow.');
});

test('npm install through the allowlisted registry', async () => {
  try {
    const res = await fetch('https://registry.npmjs.org/is-number', { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (e) {
    console.log(`skipped: registry.npmjs.org is not reachable from this machine (${(e as Error).message})`);
    return;
  }
  const r = await inBox('cd /tmp && npm install --no-audit --no-fund --no-update-notifier --loglevel=error is-number@7.0.0 >/dev/null && cat node_modules/is-number/package.json | grep \'"version"\'', { allow: ['registry.npmjs.org'] });
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /"version": "7.0.0"/);
});

test.run();
