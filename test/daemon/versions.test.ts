// A daemon of another coop version (protocol 1, as before "box" replaced "session" on the
// wire) still runs after an update: commands say what it is and how to replace it, and
// `coop system shutdown` stops it in its own protocol version, so its boxes live on.
import { mkdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBody, encodeMessage, FrameDecoder } from '../../lib/ipc/frames.js';
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import { coop } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';

const OLD = PROTOCOL_VERSION - 1;

/** A daemon that speaks only protocol OLD; records the requests it was sent after a handshake. */
function oldDaemon(path: string) {
  const requests: Record<string, unknown>[] = [];
  const server = createServer((s: Socket) => {
    const dec = new FrameDecoder();
    let greeted = false;
    s.on('data', (d) => {
      dec.push(d);
      for (let f = dec.next(); f; f = dec.next()) {
        const msg = decodeBody((f as { body: Buffer }).body) as Record<string, unknown>;
        if (!greeted) {
          if (msg.version !== OLD) {
            s.end(encodeMessage({ ok: false, error: 'VERSION_MISMATCH', message: `this daemon speaks protocol version ${OLD}; start with {version: ${OLD}}` }));
            return;
          }
          greeted = true;
          s.write(encodeMessage({ version: OLD, ok: true }));
        } else {
          requests.push(msg);
          s.end(encodeMessage({ ok: true }));
          if (msg.cmd === 'shutdown') server.close();
        }
      }
    });
  });
  return { server, requests, listening: new Promise<void>((r) => server.listen(path, r)) };
}

test('an older daemon is named as such, and `coop system shutdown` stops it in its own protocol', async () => {
  const home = join(tmp(), 'home');
  mkdirSync(home, { mode: 0o700 });
  const d = oldDaemon(join(home, 'sock'));
  await d.listening;
  const env = { ...process.env, COOP_HOME: home };

  const ls = await coop(['ls'], { env });
  assert.is.not(ls.code, 0);
  assert.match(ls.stderr, `the running daemon speaks protocol ${OLD} and this coop speaks ${PROTOCOL_VERSION}: it is another version of coop; \`coop system shutdown\` replaces it (its boxes keep running)`);
  assert.equal(d.requests, [], 'nothing was asked of it in the wrong protocol');

  const stop = await coop(['system', 'shutdown'], { env });
  assert.is(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, 'The coop daemon (another version of coop) stopped; its boxes keep running');
  assert.equal(d.requests, [{ cmd: 'shutdown' }]);
});

test.run();
