// The protocol (SPEC §6) against a real daemon on a real socket: handshake, errors, stream
// frames that arrive in the same chunk as their response, and a seeded fuzz of thousands of
// random, truncated, oversized and wrongly typed frames.
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { pack } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Connection } from '../../lib/client/connection.js';
import { decodeBody, encodeControl, encodeData, encodeMessage, FrameDecoder, MAX_FRAME } from '../../lib/ipc/frames.js';
import { alive, TestCoop } from '../helpers/daemon.js';
import { prng, testSeed } from '../helpers/prng.js';
import { tmp } from '../helpers/tmp.js';

const t = new TestCoop();
const sock = () => join(t.home, 'sock');
test.before(async () => {
  await t.cli(['status']); // starts the daemon
});
test.after(() => t.stop());

/** Sends bytes on a fresh connection; collects decoded responses until the daemon closes or `want` arrive. */
function exchange(bytes: Buffer[], want: number, opts: { endAfter?: boolean } = {}): Promise<{ responses: Record<string, unknown>[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(sock());
    const dec = new FrameDecoder();
    const responses: Record<string, unknown>[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ responses, closed });
    };
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
      if (opts.endAfter) s.end();
    });
    s.on('data', (d) => {
      dec.push(d);
      for (let f = dec.next(); f; f = dec.next()) responses.push(decodeBody((f as { body: Buffer }).body) as Record<string, unknown>);
      if (responses.length >= want) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

const hello = encodeMessage({ version: PROTOCOL_VERSION });

test('handshake, then requests answered in order on one connection', async () => {
  const { responses } = await exchange([hello, encodeMessage({ cmd: 'ls' }), encodeMessage({ cmd: 'status' }), encodeMessage({ cmd: 'nope' })], 4);
  assert.equal(responses[0], { version: PROTOCOL_VERSION, ok: true });
  assert.equal(responses[1], { ok: true, boxes: [] });
  assert.is(responses[2]!.ok, true);
  assert.is(responses[2]!.pid, t.daemonPid());
  assert.equal(responses[3], { ok: false, error: 'INVALID_COMMAND', message: 'unknown command "nope"' });
});

test('a wrong protocol version gets VERSION_MISMATCH and a closed connection', async () => {
  const r = await exchange([encodeMessage({ version: PROTOCOL_VERSION + 1 })], 2);
  assert.is(r.responses[0]!.error, 'VERSION_MISMATCH');
  assert.ok(r.closed);
});

test('a frame over 1 MiB gets MESSAGE_TOO_LARGE and a closed connection', async () => {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX_FRAME + 1);
  const r = await exchange([hello, head, Buffer.alloc(64)], 3);
  assert.is(r.responses[1]!.error, 'MESSAGE_TOO_LARGE');
  assert.ok(r.closed);
});

test('wrongly typed fields are named in the error', async () => {
  const r = await exchange([hello, encodeMessage({ cmd: 'attach', box: 'a/b', pty: 0, cols: 80, rows: 24 }), encodeMessage({ cmd: 'logs', box: 'x', pty: -1 })], 3);
  assert.equal(r.responses[1], { ok: false, error: 'INVALID_COMMAND', message: 'field "box": expected a box name (letters, digits, "_", "." and "-", no "/")' });
  assert.equal(r.responses[2], { ok: false, error: 'INVALID_COMMAND', message: 'field "pty": expected a whole number >= 0' });
});

test('the client keeps stream frames that arrive in the same chunk as the response', async () => {
  const path = join(tmp(), 's');
  const server = createServer((s: Socket) => {
    const dec = new FrameDecoder();
    s.on('data', (d) => {
      dec.push(d);
      for (let f = dec.next(); f; f = dec.next()) {
        const msg = decodeBody((f as { body: Buffer }).body) as Record<string, unknown>;
        if ('version' in msg) s.write(encodeMessage({ version: PROTOCOL_VERSION, ok: true }));
        else {
          dec.mode = 'stream';
          // response, output, an event and more output: one write, one chunk
          s.write(Buffer.concat([encodeMessage({ ok: true, box: 'x', pty: 0 }), encodeData(Buffer.from('early ')), encodeControl({ type: 'lagged', dropped_bytes: 5 }), encodeData(Buffer.from('bytes'))]));
          s.end();
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  const c = await Connection.open(path);
  const { stream } = await c.openStream({ cmd: 'attach', box: 'x', pty: 0, cols: 80, rows: 24 });
  let got = '';
  const lagged: number[] = [];
  stream.on('lagged', (e) => lagged.push(e.dropped_bytes));
  stream.on('data', (d: Buffer) => (got += d));
  await new Promise((r) => stream.on('close', r));
  server.close();
  assert.is(got, 'early bytes');
  assert.equal(lagged, [5]);
});

// ---- fuzz -----------------------------------------------------------------------------

const COMMANDS = ['create', 'attach', 'shell', 'ls', 'kill', 'restart', 'logs', 'pty_ls', 'pty_kill', 'serve', 'serve_stop', 'tunnel', 'status', 'bogus'];
const FIELDS = ['name', 'workspace', 'config', 'box', 'pty', 'cols', 'rows', 'readonly', 'filtered', 'command', 'new', 'all', 'force', 'follow', 'lines', 'host', 'port', 'token', 'stun', 'detach', '__proto__'];

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * 11);
  switch (pick) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return Math.floor(rand() * 2 ** 33) - 2 ** 32;
    case 3: return rand() * 1e6;
    case 4: return 'x'.repeat(Math.floor(rand() * 80));
    case 5: return '../'.repeat(Math.floor(rand() * 5)) + 'etc';
    case 6: return Buffer.from(Array.from({ length: Math.floor(rand() * 16) }, () => Math.floor(rand() * 256)));
    case 7: return depth > 3 ? [] : Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    case 8: return depth > 3 ? {} : Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [FIELDS[Math.floor(rand() * FIELDS.length)]!, randomValue(rand, depth + 1)]));
    case 9: return -1;
    default: return Number.NaN;
  }
}

/** One fuzz case: the bytes to send after the handshake, and whether the daemon may close instead of answering. */
function fuzzCase(rand: () => number): { bytes: Buffer; mayClose: boolean } {
  const kind = Math.floor(rand() * 6);
  if (kind === 0) {
    const msg: Record<string, unknown> = { cmd: COMMANDS[Math.floor(rand() * COMMANDS.length)] };
    for (let i = Math.floor(rand() * 6); i > 0; i--) {
      // an own property, even for "__proto__" (which the daemon must treat as plain data)
      Object.defineProperty(msg, FIELDS[Math.floor(rand() * FIELDS.length)]!, { value: randomValue(rand), enumerable: true, configurable: true, writable: true });
    }
    if (msg.cmd === 'kill') msg.box = 'no-such-box'; // never kill a real one
    return { bytes: encodeMessage(msg), mayClose: false };
  }
  if (kind === 1) return { bytes: encodeMessage(randomValue(rand) as object ?? 0), mayClose: false };
  if (kind === 2) {
    // random bytes as a body, with a correct length
    const body = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    return { bytes: Buffer.concat([head, body]), mayClose: false };
  }
  if (kind === 3) {
    // truncated: a length that promises more than is sent, then the client goes away
    const full = encodeMessage({ cmd: 'ls', pad: 'y'.repeat(Math.floor(rand() * 100)) });
    return { bytes: full.subarray(0, Math.floor(rand() * (full.length - 1))), mayClose: true };
  }
  if (kind === 4) {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_FRAME + 1 + Math.floor(rand() * 2 ** 30));
    return { bytes: head, mayClose: true };
  }
  return { bytes: Buffer.from(pack(randomValue(rand))), mayClose: true }; // no length prefix at all
}

test('fuzz: thousands of bad frames are each answered with an error or a closed connection', async () => {
  const seed = testSeed();
  const rand = prng(seed);
  const daemon = t.daemonPid()!;
  let answered = 0;
  let closed = 0;
  for (let i = 0; i < 3000; i++) {
    const c = fuzzCase(rand);
    const r = await exchange([hello, c.bytes], 2, { endAfter: c.mayClose });
    const reply = r.responses[1];
    if (reply) {
      answered++;
      assert.ok(reply.ok === true || (typeof reply.error === 'string' && typeof reply.message === 'string'), `seed ${seed} case ${i}: ${JSON.stringify(reply)}`);
      assert.is.not(reply.error, 'INTERNAL', `seed ${seed} case ${i}: ${JSON.stringify(reply)}`);
    } else {
      assert.ok(r.closed, `seed ${seed} case ${i}: neither answered nor closed`);
      closed++;
    }
  }
  assert.ok(answered > 1000 && closed > 100, `answered ${answered}, closed ${closed}`);
  assert.ok(alive(daemon), `seed ${seed}: the daemon died`);
  const ok = await t.cli(['ls', '--json']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(t.daemonPid(), daemon);
});

test.run();
