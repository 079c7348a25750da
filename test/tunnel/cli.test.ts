// `coop tunnel` against the browser's side played by werift (test/helpers/tunnel.ts): the
// link and its envelope, the answer pasted into the waiting command or posted to the web
// server, the daemon's protocol over the data channels as a `tunnel` peer (what the gateway
// refuses it, filtered input, the channel key), Ctrl+C closing the peer, a daemon that stops,
// and the timeout's exit code 6.
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '../../lib/client/index.js';
import { encodeMessage } from '../../lib/ipc/frames.js';
import { sleep, TestCoop } from '../helpers/daemon.js';
import { Proto } from '../helpers/proto.js';
import { answerLink, dcPipe, TunnelCli, type Answerer } from '../helpers/tunnel.js';
import { http, serve } from '../helpers/web.js';

const t = new TestCoop('[sandbox]\nagent = "sh"\n');
const PAGE = 'http://127.0.0.1:9/connect';
let name: string;

test.before(async () => {
  name = await t.create();
});
test.after(() => t.stop());

const status = async () => {
  const c = await t.client(false);
  try {
    return await c.status();
  } finally {
    c.close();
  }
};

test('no connect page to point at: a clear error naming coop serve and --page', async () => {
  const r = await t.cli(['tunnel', '--no-stun', '--no-qr']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /coop serve/);
  assert.match(r.stderr, /--page URL/);
});

let cli: TunnelCli;
let peer: Answerer;
let control: Proto;

test('the link carries the envelope; the pasted answer connects', async () => {
  cli = new TunnelCli(['--no-stun', '--page', PAGE], t.env, t.workspace);
  const url = await cli.url();
  assert.ok(url.startsWith(`${PAGE}#`), url);
  peer = await answerLink(url);
  assert.is(peer.offer.version, 1);
  assert.match(peer.offer.machine_id, /^[0-9a-f]{32}$/);
  assert.ok(peer.offer.hostname.length > 0);
  assert.equal(peer.offer.stun, []);
  assert.match(peer.offer.sdp, /a=fingerprint:sha-256 /);
  cli.paste('not an answer at all');
  await cli.until(/answer is damaged/);
  cli.paste(peer.answer);
  await cli.until(/Connected/);
  control = await Proto.over(dcPipe(await peer.control, peer.offer.key));
  const ls = await control.request({ cmd: 'ls' });
  assert.ok((ls.boxes as { name: string }[]).some((r) => r.name === name), JSON.stringify(ls));
  assert.is((await status()).tunnels, 1);
});

test('the agent over a coop-pty channel: output, filtered input, counted as a tunnel client', async () => {
  const p = await Proto.over(dcPipe(await peer.channel(), peer.offer.key));
  const r = await p.stream({ cmd: 'attach', box: name, pty: 0, cols: 80, rows: 24 });
  assert.is(r.ok, true, JSON.stringify(r));
  p.input('echo tun-$((6*7))\n');
  await p.until(() => p.output.includes('tun-42'), 'tun-42');
  p.input('exit\n');
  await p.until(() => p.events.some((e) => e.type === 'blocked'), 'a blocked event');
  p.input('echo alive-$((2*2))\n');
  await p.until(() => p.output.includes('alive-4'), 'alive-4');
  const rows = (await control.request({ cmd: 'ls' })).boxes as { name: string; clients: { tunnel: number } }[];
  assert.is(rows.find((x) => x.name === name)!.clients.tunnel, 1);
  p.close();
});

test("the gateway refuses a tunnel peer's shutdown, foreign mounts, unfiltered attach and tunnels of its own", async () => {
  assert.is((await control.request({ cmd: 'shutdown' })).error, 'FORBIDDEN');
  const config = t.config();
  config.sandbox.mounts = [{ kind: 'path', host: '/', box: '/host', readonly: false }];
  assert.is((await control.request({ cmd: 'create', workspace: t.workspace, config })).error, 'FORBIDDEN');
  assert.is((await control.request({ cmd: 'tunnel', stun: [] })).error, 'FORBIDDEN');
  assert.is((await control.request({ cmd: 'kill', all: true })).error, 'FORBIDDEN');
  assert.is((await status()).pid > 0, true, 'the daemon still runs');
  // (A refused stream request ends its channel, as it ends a socket connection.)
  const p = await Proto.over(dcPipe(await peer.channel(), peer.offer.key));
  assert.is((await p.stream({ cmd: 'attach', box: name, pty: 0, cols: 80, rows: 24, filtered: false })).error, 'FORBIDDEN');
});

test('a channel is served only after the key from the link: a wrong key, or data first, closes it unanswered', async () => {
  const channels = await Promise.all([peer.channel(), peer.channel()]); // (both open before either closes)
  for (const [i, key] of (['x'.repeat(24), null] as const).entries()) {
    const dc = channels[i]!;
    let answered = false;
    dc.onMessage.subscribe((m) => {
      if (typeof m !== 'string') answered = true;
    });
    const closed = new Promise<void>((r) => dc.stateChanged.subscribe((s) => s === 'closed' && r()));
    if (key) dc.send(JSON.stringify({ key }));
    dc.send(encodeMessage({ version: PROTOCOL_VERSION }));
    await closed;
    assert.not.ok(answered, `the handshake was answered (key ${key})`);
  }
  assert.ok(Array.isArray((await control.request({ cmd: 'ls' })).boxes), 'the tunnel itself lives on');
});

test('a link works once: a second answer to the same tunnel is refused', async () => {
  const c = await Client.connect({ coopHome: t.home, env: t.env, spawn: false });
  try {
    await c.tunnelAnswer({ answer: peer.answer });
    assert.unreachable('a second answer was taken');
  } catch (e) {
    assert.match((e as Error).message, /already answered/);
  } finally {
    c.close();
  }
});

test('Ctrl+C closes the tunnel: the browser is told, the daemon keeps no peer', async () => {
  cli.child.kill('SIGINT');
  assert.is(await cli.exited, 130, cli.stderr);
  assert.match(await peer.bye, /stopped/);
  for (let i = 0; i < 100 && (await status()).tunnels !== 0; i++) await sleep(50);
  assert.is((await status()).tunnels, 0);
  await peer.close();
});

test('the answer posted to the web server by a page it served (token required)', async () => {
  const s = await serve(t);
  const tc = new TunnelCli(['--no-stun'], t.env, t.workspace);
  const url = await tc.url();
  assert.ok(url.startsWith(`${s.base}/connect?token=`), url);
  assert.match(tc.stdout, /works on this machine only: `coop serve -H 0\.0\.0\.0`/);
  const p = await answerLink(url);
  const refused = await http(`${s.base}/tunnel/answer`, { method: 'POST', body: p.answer });
  assert.is(refused.status, 403);
  const posted = await http(`${s.base}/tunnel/answer?token=${s.token}`, { method: 'POST', body: p.answer });
  assert.is(posted.status, 200, posted.body);
  await tc.until(/Connected/);
  const pr = await Proto.over(dcPipe(await p.control, p.offer.key));
  assert.ok(Array.isArray((await pr.request({ cmd: 'ls' })).boxes));
  tc.child.kill('SIGINT');
  assert.is(await tc.exited, 130);
  await p.close();
  assert.is((await t.cli(['serve', '--stop'])).code, 0);
});

test('no browser within the timeout: exit 6 and a line suggesting coop serve on the LAN', async () => {
  const r = await t.cli(['tunnel', '--no-stun', '--no-qr', '--timeout', '1', '--page', PAGE]);
  assert.is(r.code, 6, r.stderr);
  assert.match(r.stderr, /no browser connected within 1 s/);
  assert.match(r.stderr, /coop serve -H 0\.0\.0\.0/);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.is((await status()).tunnels, 0);
});

test('the daemon stops: the browser is told, the command ends with exit 6 saying why', async () => {
  const tc = new TunnelCli(['--no-stun', '--page', PAGE], t.env, t.workspace);
  const p = await answerLink(await tc.url());
  tc.paste(p.answer);
  await tc.until(/Connected/);
  assert.is((await t.cli(['system', 'shutdown'])).code, 0);
  assert.match(await p.bye, /daemon stopped/);
  assert.is(await tc.exited, 6, tc.stderr);
  assert.match(tc.stderr, /the tunnel ended: the coop daemon stopped/);
  await p.close();
  assert.is((await t.cli(['ls'])).code, 0, 'a new daemon takes the box over (for the cleanup)');
});

test.run();
