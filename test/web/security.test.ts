// The web server's promises (SPEC §10, §12): only its token opens anything — pages, REST and
// WebSocket — and only in its two accepted places; WebSocket upgrades from a foreign Origin
// are refused; a web peer cannot stop the daemon, send mounts or turn its input filter off;
// the token is written nowhere under $COOP_HOME, the daemon's log included.
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCoop } from '../helpers/daemon.js';
import { Proto, wsPipe } from '../helpers/proto.js';
import { http, serve, upgradeStatus, type Served } from '../helpers/web.js';

const t = new TestCoop('[sandbox]\nagent = "sh"\n');
let s: Served;
let name: string;

test.before(async () => {
  name = await t.create();
  s = await serve(t);
});
test.after(() => t.stop());

test('a random token of at least 128 bits; `coop serve` again keeps it', async () => {
  assert.ok(Buffer.from(s.token, 'base64url').length >= 16, s.token);
  const again = await serve(t, ['-p', String(s.port)]);
  assert.is(again.token, s.token);
});

test('no token, a wrong one, or the token in a wrong place: 403 for the page, REST and WebSocket', async () => {
  const wrong = `${s.token.slice(0, -2)}xx`;
  const cases: [string, Record<string, string>][] = [
    ['', {}],
    [`?token=${wrong}`, {}],
    [`?token=`, {}],
    ['', { Authorization: `Bearer ${wrong}` }],
    ['', { Authorization: `Basic ${Buffer.from(`coop:${s.token}`).toString('base64')}` }],
    ['', { Cookie: `token=${s.token}` }],
    ['', { 'X-Coop-Token': s.token }],
    [`?TOKEN=${s.token}`, {}],
    [`#token=${s.token}`, {}],
    [`?token=${s.token}&token=${wrong}`, {}],
  ];
  for (const [query, headers] of cases) {
    for (const path of ['/', '/api/boxes', `/${s.token}`]) {
      const r = await http(`${s.base}${path}${query}`, { headers });
      assert.is(r.status, 403, `${path}${query} ${JSON.stringify(headers)}`);
      assert.not.match(r.body, s.token);
    }
    assert.is(await upgradeStatus(`${s.base}/ws${query}`, headers), 403, `ws ${query} ${JSON.stringify(headers)}`);
  }
  const del = await http(`${s.base}/api/boxes/${name}`, { method: 'DELETE' });
  assert.is(del.status, 403);
});

test('with the token: the page (with a strict CSP), REST, and a WebSocket from its own origin only', async () => {
  const page = await http(s.url);
  assert.is(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'.*connect-src 'self'/);
  assert.is(page.headers['referrer-policy'], 'no-referrer');
  assert.match(page.body, /<div id="root">/);
  const ls = await http(`${s.base}/api/boxes`, { headers: { Authorization: `Bearer ${s.token}` } });
  assert.is(ls.status, 200);
  assert.ok((JSON.parse(ls.body) as { boxes: { name: string }[] }).boxes.some((r) => r.name === name));
  const ws = `${s.base}/ws?token=${encodeURIComponent(s.token)}`;
  assert.is(await upgradeStatus(ws), 101);
  assert.is(await upgradeStatus(ws, { Origin: s.base }), 101);
  for (const origin of ['http://evil.example', `http://localhost:${s.port}`, `http://127.0.0.1:${s.port + 1}`, 'null']) {
    assert.is(await upgradeStatus(ws, { Origin: origin }), 403, origin);
  }
  const foreignRest = await http(`${s.base}/api/boxes?token=${s.token}`, { headers: { Origin: 'http://evil.example' } });
  assert.is(foreignRest.status, 403);
});

test("the gateway refuses a web peer's shutdown, foreign mounts and filter-off attach", async () => {
  const p = await Proto.over(await wsPipe(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`));
  const shut = await p.request({ cmd: 'shutdown' });
  assert.is(shut.error, 'FORBIDDEN');
  const config = t.config();
  config.sandbox.mounts = [{ kind: 'path', host: '/', box: '/host', readonly: false }];
  const create = await p.request({ cmd: 'create', workspace: t.workspace, config });
  assert.is(create.error, 'FORBIDDEN');
  assert.match(String(create.message), /web clients cannot send a box configuration/);
  const all = await p.request({ cmd: 'kill', all: true });
  assert.is(all.error, 'FORBIDDEN');
  const attach = await p.request({ cmd: 'attach', box: name, pty: 0, cols: 80, rows: 24, filtered: false });
  assert.is(attach.error, 'FORBIDDEN'); // (a refused stream request ends its connection, as on the socket)
  p.close();
  const rest = await http(`${s.base}/api/boxes?token=${s.token}`, { method: 'POST', body: JSON.stringify({ workspace: t.workspace, config }) });
  assert.is(rest.status, 403);
  assert.match(rest.body, /cannot send a box configuration/);
  const st = await t.cli(['system', 'status', '--json']);
  assert.is(JSON.parse(st.stdout).running, true, 'the daemon still runs');
  assert.is((await t.cli(['ls'])).stdout.includes(name), true, 'the box still runs');
});

test('REST: create for a workspace (its own coop.toml), shell, list, kill', async () => {
  const auth = { Authorization: `Bearer ${s.token}` };
  const created = await http(`${s.base}/api/boxes`, { method: 'POST', headers: auth, body: JSON.stringify({ workspace: t.workspace }) });
  assert.is(created.status, 200, created.body);
  assert.equal(JSON.parse(created.body), { ok: true, box: name, existing: true });
  const sh = await http(`${s.base}/api/boxes/${name}/shell`, { method: 'POST', headers: auth, body: '{"command":"sleep 100"}' });
  assert.is(sh.status, 200, sh.body);
  const pty = (JSON.parse(sh.body) as { pty: number }).pty;
  assert.ok(pty >= 1);
  const missing = await http(`${s.base}/api/boxes/nope`, { method: 'DELETE', headers: auth });
  assert.is(missing.status, 404);
  // Bad requests: a clear error, nothing changed.
  const bad: [string, string, string | undefined, number, RegExp][] = [
    ['POST', '/api/boxes', '{not json', 400, /must be a JSON object/],
    ['POST', '/api/boxes', '{"workspace": 7}', 400, /workspace.{0,3}: expected a string/],
    ['DELETE', '/api/boxes/%E0%A4%A', undefined, 400, /percent-encoding/],
    ['PUT', '/api/boxes', '{}', 400, /not part of the REST API/],
    ['GET', '/nothing', undefined, 404, /nothing at/],
  ];
  for (const [method, path, body, status, message] of bad) {
    const r = await http(`${s.base}${path}`, { method, headers: auth, body });
    assert.is(r.status, status, `${method} ${path}: ${r.body}`);
    assert.match(r.body, message);
  }
  assert.ok(((await cliJson()) as { name: string }[]).some((r) => r.name === name));
});

const cliJson = async () => JSON.parse((await t.cli(['ls', '--json'])).stdout) as unknown;

test('the token is in no file under $COOP_HOME, the daemon log included', () => {
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        try {
          walk(p);
        } catch {
          // a box's private directory
        }
      } else if (st.isFile()) {
        try {
          if (readFileSync(p).includes(s.token)) hits.push(p);
        } catch {
          // unreadable
        }
      }
    }
  };
  walk(t.home);
  assert.equal(hits, []);
  assert.match(readFileSync(join(t.home, 'logs', 'daemon.log'), 'utf8'), /web-started/);
});

test('`coop serve --stop` stops it; the port refuses connections', async () => {
  const r = await t.cli(['serve', '--stop']);
  assert.is(r.code, 0, r.stderr);
  const err = await http(s.url).then(() => null, (e: Error) => e);
  assert.ok(err, 'no answer any more');
});

test.run();
