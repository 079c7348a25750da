// Timing helpers shared by the benchmarks: interleaved runs, medians, percentiles.

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
