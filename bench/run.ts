// `npm run bench`: runs every benchmark (or those whose name contains an argument).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
/** Modules the benchmarks share, not benchmarks themselves. */
const SHARED = ['run.js', 'stats.js', 'harness.js', 'term.js', 'page.js'];
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !SHARED.includes(f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
console.log(`coop benchmarks — ${new Date().toISOString()} — node ${process.version}`);
let failed = 0;
for (const file of benches) {
  const r = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
