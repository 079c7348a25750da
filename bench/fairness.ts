// bench/fairness: ten clients attached to one PTY read its output as fast as they can, with
// and without an eleventh client that has stopped reading (its socket full). The active
// clients must keep >= 0.9 of their unloaded throughput. Rounds alternate; the same
// measurement (test/helpers/fanout.ts) backs test/daemon/fanout.test.ts.
import { Client } from '../lib/client/index.js';
import type { AttachStream } from '../lib/client/attach.js';
import { blast } from '../test/helpers/fanout.js';
import { TestCoop } from '../test/helpers/daemon.js';
import { runMain } from './harness.js';
import { median } from './stats.js';

const MB = 1024 * 1024;
const BYTES = Number(process.env.BENCH_FAIR_MB ?? 32) * MB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function main(): Promise<void> {
  const t = new TestCoop();
  const name = await t.create();
  const c: Client = await t.client();
  const readers = await Promise.all(Array.from({ length: 10 }, () => c.attach({ box: name, cols: 200, rows: 50 })));
  const rate = async (tag: string) => {
    const got = await blast(readers[0]!, readers, BYTES, tag, false);
    const lagged = got.filter((g) => g.dropped > 0).length;
    // Per-client throughput, MiB/s; a reader that lagged counts what it received.
    return { mean: got.reduce((s, g) => s + g.got / MB / (g.ms / 1000), 0) / got.length, lagged };
  };
  await rate('warm');
  const alone: number[] = [];
  const loaded: number[] = [];
  let laggedActive = 0;
  let laggedAlone = 0;
  for (let i = 0; i < RUNS; i++) {
    const a = await rate(`alone${i}`);
    alone.push(a.mean);
    laggedAlone += a.lagged;
    const stalled: AttachStream = await c.attach({ box: name, cols: 200, rows: 50 });
    stalled.pause();
    const r = await rate(`stalled${i}`);
    loaded.push(r.mean);
    laggedActive += r.lagged;
    stalled.destroy();
  }
  console.log(`\nfairness: ${BYTES / MB} MiB through one PTY to 10 attached clients, alone and beside a stalled 11th (${RUNS} rounds each, alternating)`);
  console.log(`  10 active               ${alone.map((x) => x.toFixed(0)).join(' / ')} MiB/s per client (median ${median(alone).toFixed(0)}); told they lagged: ${laggedAlone}`);
  console.log(`  10 active + 1 stalled   ${loaded.map((x) => x.toFixed(0)).join(' / ')} MiB/s per client (median ${median(loaded).toFixed(0)}); active clients told they lagged: ${laggedActive}`);
  console.log(`  ratio with / without the stalled client = ${(median(loaded) / median(alone)).toFixed(2)}   (target >= 0.9)`);
  readers[0]!.write('stty echo\r');
  for (const r of readers) r.destroy();
  c.close();
  await t.stop();
}

runMain(main);
