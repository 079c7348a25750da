// bench/cli-run: `coop run -- true` end to end (Node start, CLI, configuration, box,
// exit) against `node -e 0` — Node's own start — timed by hyperfine in the same run.
import { tmp } from '../test/helpers/tmp.js';
import { coop, hyperfine } from './harness.js';

const results = hyperfine([['node -e 0', `${process.execPath} -e 0`], ['coop run -- true', `${process.execPath} ${coop} run -- true`]], {
  warmup: 10, runs: process.env.BENCH_RUNS ?? '100', cwd: tmp('coop-bench-ws-'), env: { ...process.env, COOP_HOME: tmp('coop-bench-home-') },
});
console.log('\ncli-run: `coop run -- true` end to end vs `node -e 0` (hyperfine)');
for (const r of results) console.log(`  ${r.command.padEnd(34)} median ${(r.median * 1000).toFixed(2)} ms   mean ${(r.mean * 1000).toFixed(2)} ms`);
const ratio = results[1]!.median / results[0]!.median;
console.log(`  ratio coop run -- true / node -e 0 = ${ratio.toFixed(2)}   (target <= 1.5)`);
