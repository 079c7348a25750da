// bench/cli-run: `coop run -- true` end to end (Node start, CLI, configuration, box,
// exit) against `node -e 0` — Node's own start — timed by hyperfine in the same run.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmp } from '../test/helpers/tmp.js';

const coop = fileURLToPath(new URL('../bin/coop.cjs', import.meta.url));
const runs = process.env.BENCH_RUNS ?? '100';
const out = join(tmp('coop-bench-'), 'hyperfine.json');
const ws = tmp('coop-bench-ws-');
execFileSync('hyperfine', ['-N', '--warmup', '10', '--runs', runs, '--export-json', out,
  '-n', 'node -e 0', `${process.execPath} -e 0`,
  '-n', 'coop run -- true', `${process.execPath} ${coop} run -- true`], {
  cwd: ws, env: { ...process.env, COOP_HOME: tmp('coop-bench-home-') }, stdio: ['ignore', 'ignore', 'inherit'],
});
const results = (JSON.parse(readFileSync(out, 'utf8')) as { results: { command: string; median: number; mean: number }[] }).results;
console.log('\ncli-run: `coop run -- true` end to end vs `node -e 0` (hyperfine)');
for (const r of results) console.log(`  ${r.command.padEnd(34)} median ${(r.median * 1000).toFixed(2)} ms   mean ${(r.mean * 1000).toFixed(2)} ms`);
const ratio = results[1]!.median / results[0]!.median;
console.log(`  ratio coop run -- true / node -e 0 = ${ratio.toFixed(2)}   (target <= 1.5)`);
