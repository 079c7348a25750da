// Timing helpers shared by the benchmarks: interleaved runs, medians, percentiles, keystroke round trips.

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
export const median = (xs: number[]) => percentile(xs, 50);

/** A latency line's figures: `p50 X ms   p99 Y ms`. */
export const p50p99 = (xs: number[], digits = 3) => `p50 ${percentile(xs, 50).toFixed(digits)} ms   p99 ${percentile(xs, 99).toFixed(digits)} ms`;

/**
 * Runs each named case `runs` times, interleaved (a b a b ...) so that machine noise
 * hits all cases alike, after `warmup` rounds. Returns the samples per case.
 */
export async function compare(
  cases: Record<string, () => Promise<unknown>>,
  runs: number,
  warmup = 5,
): Promise<Record<string, number[]>> {
  const names = Object.keys(cases);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const name of names) {
      const ms = await time(cases[name]!);
      if (i >= warmup) samples[name]!.push(ms);
    }
  }
  return samples;
}

export function report(title: string, samples: Record<string, number[]>, ours: string, peer: string, target: string): void {
  console.log(`\n${title}`);
  for (const [name, xs] of Object.entries(samples)) {
    console.log(`  ${name.padEnd(34)} median ${median(xs).toFixed(2)} ms   p90 ${percentile(xs, 90).toFixed(2)} ms   (n=${xs.length})`);
  }
  const ratio = median(samples[ours]!) / median(samples[peer]!);
  console.log(`  ratio ${ours} / ${peer} = ${ratio.toFixed(2)}   (target ${target})`);
}

/**
 * Keystroke round trips: n keys sent one at a time, each timed from `send` until `echoed`
 * resolves (asked for before the key is sent); Ctrl+U every 50 keys empties the line, then
 * `settleMs` pass. The first 20 are left out (warm-up).
 */
export async function timeKeys(n: number, send: (keys: string) => void, echoed: (ch: string) => Promise<void>, settleMs = 0): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 50 === 0) {
      send('\x15');
      if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
    }
    const ch = String.fromCharCode(0x61 + (i % 26));
    const t0 = performance.now();
    const echo = echoed(ch);
    send(ch);
    await echo;
    out.push(performance.now() - t0);
  }
  send('\x15');
  return out.slice(20);
}
