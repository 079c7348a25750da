// Output fan-out (SPEC §7): a client that stops reading falls behind alone — the others keep
// their pace, it is told it lagged and gets a fresh replay, and the daemon's memory stays
// bounded; ten readers and a stalled one; replay on attach neither loses nor repeats bytes.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AttachStream } from '../../lib/client/attach.js';
import type { Client } from '../../lib/client/index.js';
import { Output, TestCoop } from '../helpers/daemon.js';
import { blast as blastTo } from '../helpers/fanout.js';

const t = new TestCoop();
let client: Client;
let name: string;
test.before(async () => {
  name = await t.create();
  client = await t.client();
});
test.after(async () => {
  client.close();
  await t.stop();
});

const MB = 1024 * 1024;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** The fan-out helper for one reader that also types. */
const blast = async (reader: AttachStream, bytes: number, tag: string) => (await blastTo(reader, [reader], bytes, tag))[0]!;

/** Every byte arrived, or the client was told how many it missed. */
function complete(r: { got: number; dropped: number }, total: number): void {
  if (r.dropped === 0) assert.is(r.got, total);
  else assert.ok(r.got + r.dropped >= total, `got ${r.got}, told of ${r.dropped} dropped, of ${total}`);
}

test('a stalled client slows no one, gets `lagged` and a fresh replay; daemon memory stays bounded', async () => {
  const fast = await client.attach({ box: name, cols: 200, rows: 50 });
  const out = new Output(fast);
  await out.until('# ');
  const alone = await blast(fast, 32 * MB, 'alone');
  complete(alone, 32 * MB);

  const slow = await client.attach({ box: name, cols: 200, rows: 50 });
  const lagged: number[] = [];
  slow.on('lagged', (e) => lagged.push(e.dropped_bytes));
  slow.pause(); // stops reading: the socket backs up
  const daemon = t.daemonPid()!;
  const rssBefore = rssOf(daemon);
  const shared = await blast(fast, 64 * MB, 'shared');
  const rssAfter = rssOf(daemon);
  complete(shared, 64 * MB);
  const rateAlone = alone.got / alone.ms;
  const rateShared = shared.got / shared.ms;
  assert.ok(rateShared > rateAlone / 3, `alone ${rateAlone.toFixed(0)} B/ms, beside a stalled client ${rateShared.toFixed(0)} B/ms`);
  assert.ok(rssAfter - rssBefore < 48 * MB, `daemon RSS grew by ${((rssAfter - rssBefore) / MB).toFixed(1)} MiB while 64 MiB went past a stalled client`);

  // Reading again: told how much it missed, then the ring's replay (the latest output).
  let replay = '';
  slow.on('data', (d: Buffer) => (replay = (replay + d.toString('latin1')).slice(-4096)));
  slow.resume();
  for (let i = 0; i < 600 && !(lagged.length && replay.includes('END-shared')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.is(lagged.length, 1);
  assert.ok(lagged[0]! > 32 * MB, `dropped ${lagged[0]}`);
  assert.match(replay, /END-shared-67108864/);
  fast.write('stty echo\r');
  slow.destroy();
  fast.destroy();
});

test('ten active clients and a stalled one: every active client gets every byte, only the stalled one lags', async () => {
  const readers = await Promise.all(Array.from({ length: 10 }, () => client.attach({ box: name, cols: 200, rows: 50 })));
  const stalled = await client.attach({ box: name, cols: 200, rows: 50 });
  const lagged: number[] = [];
  stalled.on('lagged', (e) => lagged.push(e.dropped_bytes));
  stalled.pause();
  const got = await blastTo(readers[0]!, readers, 16 * MB, 'ten');
  for (const r of got) complete(r, 16 * MB);
  // (On a loaded machine an active reader may fall behind too; then it is told, as here.)
  let replay = '';
  stalled.on('data', (d: Buffer) => (replay = (replay + d.toString('latin1')).slice(-4096)));
  stalled.resume();
  for (let i = 0; i < 600 && !(lagged.length && replay.includes('END-ten')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.is(lagged.length, 1);
  assert.match(replay, /END-ten-16777216/);
  readers[0]!.write('stty echo\r');
  for (const r of [...readers, stalled]) r.destroy();
});

test('attach replays the scrollback then live output, with nothing lost or doubled', async () => {
  const writer = await client.attach({ box: name, cols: 80, rows: 24 });
  const w = new Output(writer);
  writer.write('stty -echo; i=0; while [ $i -lt 3000 ]; do echo "line-$i"; i=$((i+1)); done; echo COUNT-$((1+1))-DONE\r');
  // attach while the loop is running
  await w.until('line-500');
  const late = await client.attach({ box: name, cols: 80, rows: 24 });
  const l = new Output(late);
  await l.until('COUNT-2-DONE');
  const lines = l.text.split(/\r?\n/).filter((x) => /^line-\d+$/.test(x)).map((x) => Number(x.slice(5)));
  assert.ok(lines.length > 100);
  for (let i = 1; i < lines.length; i++) assert.is(lines[i], lines[i - 1]! + 1, `line ${lines[i - 1]} then ${lines[i]}`);
  assert.is(lines.at(-1), 2999);
  writer.write('stty echo\r');
  writer.destroy();
  late.destroy();
});

test.run();
