// The daemon's memory is bounded whatever its clients send or fail to read (SPEC §5, §12):
// responses nobody reads, PTY input a box does not read, partial frames on many connections,
// more connections than it serves, silent connections. During each attack the daemon's RSS
// stays under 150 MB and another client's `status` is answered in under 100 ms. Each attack
// is scaled so that a daemon without the bound would hold well over 150 MB.
import { performance } from 'node:perf_hooks';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Client } from '../../lib/client/index.js';
import { encodeData, encodeMessage, MAX_FRAME } from '../../lib/ipc/frames.js';
import { LARGE_FRAME_BUDGET, MAX_CONNECTIONS, SMALL_INPUT } from '../../lib/ipc/limits.js';
import { sleep, TestCoop } from '../helpers/daemon.js';
import { hello, RawConn, rssOf } from '../helpers/wire.js';

const MB = 1024 * 1024;
const RSS_LIMIT = 150 * 1000 * 1000;
const STATUS_LIMIT_MS = 100;

// The agent fills its 256 KiB scrollback, then sleeps without reading its terminal (raw mode:
// the kernel does not discard what it is not given to read, so the terminal fills up).
const t = new TestCoop('[sandbox]\nagent = ["sh", "-c", "stty raw -echo; yes | head -c 400000; exec sleep 1000000"]\n');
let name: string;
let daemon: number;
const sock = () => `${t.home}/sock`;

test.before(async () => {
  name = await t.create();
  daemon = t.daemonPid()!;
  const c = await t.client();
  for (let i = 0; i < 600 && (await c.logs({ box: name })).length < 256 * 1024; i++) await sleep(50);
  assert.is((await c.logs({ box: name })).length, 256 * 1024, 'the scrollback is full');
  c.close();
});
test.after(() => t.stop());

/** Connect, handshake and `status` on a fresh connection, as `coop status` does; milliseconds. */
async function statusMs(): Promise<number> {
  const start = performance.now();
  const c = await Client.connect({ coopHome: t.home, env: t.env, spawn: false });
  await c.status();
  const ms = performance.now() - start;
  c.close();
  return ms;
}

/** The daemon is within its bounds and answers another client at once (several samples). */
async function stillBounded(what: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const rss = rssOf(daemon);
    assert.ok(rss < RSS_LIMIT, `${what}: daemon RSS ${Math.round(rss / MB)} MiB`);
    const ms = await statusMs();
    assert.ok(ms < STATUS_LIMIT_MS, `${what}: status took ${ms.toFixed(1)} ms`);
    await sleep(100);
  }
}

test('1000 pipelined `logs` requests that are never read: requests wait, memory stays bounded, all are answered later', async () => {
  const N = 1000; // 1000 answers of 256 KiB: 250 MiB if they were all queued
  const c = await RawConn.greeted(sock());
  c.keep = false;
  c.socket.pause(); // the attacker reads nothing more
  const req = encodeMessage({ cmd: 'logs', box: name, pty: 0 });
  c.send(Buffer.concat(Array.from({ length: N }, () => req)));
  await sleep(500); // time enough for an unbounded daemon to queue them all
  await stillBounded('unread logs responses');
  // Nothing was lost: once read, every request has its answer, in order.
  c.socket.resume();
  await c.until(() => c.frames >= N + 1);
  assert.is(c.frames, N + 1);
  c.close();
});

test('input to a PTY whose process does not read it: the client is paused, memory stays bounded, and is freed when it goes', async () => {
  const c = await RawConn.greeted(sock());
  c.send(encodeMessage({ cmd: 'attach', box: name, pty: 0, cols: 80, rows: 24 }));
  await c.until(() => c.frames >= 2);
  assert.is(c.messages[1]!.ok, true);
  c.keep = false;
  const chunk = encodeData(Buffer.alloc(MAX_FRAME - 1, 0x61));
  const limit = 300 * MB; // what an unbounded daemon would take in and hold
  let sent = 0;
  let stalled = false;
  while (sent < limit && !c.closed) {
    sent += chunk.length;
    if (c.send(chunk)) continue;
    // Wait for the socket to take more; the daemon stops reading when the box does not.
    const drained = await Promise.race([new Promise((r) => c.socket.once('drain', () => r(true))), sleep(1500).then(() => false)]);
    if (!drained) {
      stalled = true;
      break;
    }
  }
  assert.ok(stalled, `the daemon took all ${Math.round(sent / MB)} MiB`);
  assert.ok(sent < 64 * MB, `${Math.round(sent / MB)} MiB were accepted before the daemon paused the client`);
  await stillBounded('unread PTY input');
  c.close();
  await c.done;
  await sleep(300);
  await stillBounded('after the writer disconnected');
});

test('200 connections each holding a partial frame of 1 MiB: only a bounded budget is held, the rest are refused', async () => {
  const N = 200; // 200 MiB if every partial frame were buffered
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_FRAME);
  const body = Buffer.alloc(MAX_FRAME - 1, 0x62); // one byte short: the frame never completes
  const conns: RawConn[] = [];
  for (let i = 0; i < N; i++) {
    const c = await RawConn.greeted(sock());
    c.send(head);
    c.send(body);
    conns.push(c);
  }
  await sleep(500);
  await stillBounded('partial frames');
  const fit = Math.floor(LARGE_FRAME_BUDGET / (MAX_FRAME + 4 - SMALL_INPUT)); // frames the budget holds
  const refused = conns.filter((c) => c.messages.some((m) => m.error === 'BUSY'));
  const held = conns.filter((c) => !c.closed);
  assert.ok(refused.length >= N - fit, `${refused.length} of ${N} refused`);
  assert.ok(held.length <= fit, `${held.length} partial frames held`);
  assert.match(String(refused[0]!.messages.at(-1)!.message), /already receiving 32 MiB of large frames/);
  for (const c of conns) c.close();
  await Promise.all(conns.map((c) => c.done));
});

test('partial frames before the handshake are refused at once; a silent connection is closed after a few seconds', async () => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_FRAME);
  const c = await RawConn.open(sock());
  c.send(head);
  c.send(Buffer.alloc(64 * 1024));
  await c.until(() => c.closed && c.messages.length > 0);
  assert.is(c.messages[0]!.error, 'MESSAGE_TOO_LARGE');
  const silent = await RawConn.open(sock());
  await silent.until(() => silent.closed); // within 60 s at the very most; the daemon's limit is 5 s
  assert.is(silent.messages[0]!.error, 'VERSION_MISMATCH');
  assert.match(String(silent.messages[0]!.message), /no handshake within 5 s/);
});

test(`connections beyond ${MAX_CONNECTIONS} are refused with an error frame; status works again once they go`, async () => {
  const conns = await Promise.all(Array.from({ length: MAX_CONNECTIONS + 8 }, async () => {
    const c = await RawConn.open(sock());
    c.send(hello());
    await c.until(() => c.frames >= 1);
    return c;
  }));
  const busy = conns.filter((c) => c.messages[0]?.error === 'BUSY');
  assert.ok(busy.length >= 8 && conns.length - busy.length <= MAX_CONNECTIONS, `${busy.length} refused`);
  assert.match(String(busy[0]!.messages[0]!.message), new RegExp(`already serves ${MAX_CONNECTIONS} connections`));
  await Promise.all(busy.map((c) => c.done));
  for (const c of conns) c.close();
  await Promise.all(conns.map((c) => c.done));
  await sleep(100);
  await stillBounded('after many connections');
});

test.run();
