// The test runner behind `npm test`.
//
// Every `*.test.js` file under dist/test runs in its own Node process (uvu prints a
// summary per file, which we add up). Files under the folders listed in PRIVILEGE_SUITES
// exercise the kernel sandbox; when this runner is root and COOP_TEST_USERS names
// ordinary users (".ci/run" creates them), those files run again as each of them.
// Every process gets COOP_TEST_SHARED: a directory readable by all of them (removed at the
// end), where a root run can leave what only root can make for the ordinary users' runs.
// Lines a test prints starting with "skipped:" are shown. The last line is always
// `N passed, M failed[, K skipped]`.
//
// Usage: node dist/test/run.js [substring ...]   (only files whose path contains one)
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PRIVILEGE_SUITES = ['sandbox', 'cli', 'daemon', 'image', 'security', 'web', 'agents', 'library'];

interface Totals { passed: number; failed: number; skipped: number }
interface Job { file: string; user?: string }

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

function parseUvu(output: string): Totals | null {
  const num = (label: string) => {
    const m = new RegExp(`${label}:\\s+(\\d+)`).exec(output);
    return m ? Number(m[1]) : null;
  };
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped') ?? 0;
  if (total === null || passed === null) return null;
  return { passed, failed: total - passed, skipped };
}

function runJob(job: Job, shared: string): Promise<{ totals: Totals; output: string; code: number | null }> {
  const [cmd, args] = job.user
    ? ['runuser', ['-u', job.user, '--', 'env', `PATH=${process.env.PATH}`, `HOME=/home/${job.user}`,
        `COOP_TEST_AS=${job.user}`, `COOP_TEST_SHARED=${shared}`, process.execPath, job.file]]
    : [process.execPath, [job.file]];
  return new Promise((resolve) => {
    const child = spawn(cmd as string, args as string[], {
      cwd: root,
      env: job.user ? { PATH: process.env.PATH ?? '/usr/bin:/bin' } : { ...process.env, FORCE_COLOR: '0', COOP_TEST_SHARED: shared },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      const parsed = parseUvu(output);
      // A file that crashed before uvu could print its summary counts as one failure.
      const totals = parsed ?? { passed: 0, failed: 1, skipped: 0 };
      if (parsed && code !== 0 && parsed.failed === 0) totals.failed = 1;
      resolve({ totals, output, code });
    });
  });
}

async function main() {
  const filters = process.argv.slice(2);
  const files = findTests(here).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  const users = process.getuid?.() === 0
    ? (process.env.COOP_TEST_USERS ?? '').split(',').map((s) => s.trim()).filter(Boolean)
    : [];
  const jobs: Job[] = [];
  for (const file of files) {
    jobs.push({ file });
    const suite = relative(here, file).split('/')[0];
    if (PRIVILEGE_SUITES.includes(suite)) for (const user of users) jobs.push({ file, user });
  }
  const sum: Totals = { passed: 0, failed: 0, skipped: 0 };
  const shared = mkdtempSync(join(tmpdir(), 'coop-test-shared-'));
  chmodSync(shared, 0o755);
  for (const job of jobs) {
    const label = relative(join(root, 'dist'), job.file) + (job.user ? ` (as ${job.user})` : '');
    const { totals, output } = await runJob(job, shared);
    sum.passed += totals.passed;
    sum.failed += totals.failed;
    sum.skipped += totals.skipped;
    const mark = totals.failed ? 'FAIL' : 'ok  ';
    console.log(`${mark} ${label}: ${totals.passed} passed, ${totals.failed} failed` +
      (totals.skipped ? `, ${totals.skipped} skipped` : ''));
    if (totals.failed || process.env.COOP_TEST_VERBOSE) console.log(output.replace(/^/gm, '     | '));
    else for (const line of output.split('\n').filter((l) => l.startsWith('skipped:'))) console.log(`     | ${line}`);
  }
  rmSync(shared, { recursive: true, force: true });
  console.log(`${sum.passed} passed, ${sum.failed} failed` + (sum.skipped ? `, ${sum.skipped} skipped` : ''));
  process.exitCode = sum.failed ? 1 : 0;
}

await main();
