// A CI step: run a project's tests in a box without network, stream their output, and exit
// with their exit code.
//
//   node ci.mjs [PROJECT_DIR] [-- COMMAND...]      (default: the current directory, `npm test`)
import { constants } from 'node:os';
import { coopHome, CoopError, ensureRootfs, loadConfig, run } from '@coop/core';

const args = process.argv.slice(2);
const dash = args.indexOf('--');
const dir = (dash === -1 ? args : args.slice(0, dash))[0] ?? process.cwd();
const cmd = dash === -1 ? ['npm', 'test'] : args.slice(dash + 1);

try {
  const { config, warnings, workspace } = loadConfig({ cwd: dir, overrides: { network: 'none' } });
  for (const w of warnings) console.error(`warning: ${w}`);
  // Images other than `host` and `dir:` are built on first use (their setup has network).
  await ensureRootfs({ config, coopHome: coopHome(), baseDir: workspace, build: 'auto', out: process.stderr, warn: console.error });

  const box = run({ cmd, config });
  box.stdin.end();
  box.stdout.pipe(process.stdout);
  box.stderr.pipe(process.stderr);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => box.kill(sig));

  const { code, signal, failure } = await box;
  if (failure) console.error(failure);
  const exit = code ?? 128 + constants.signals[signal];
  console.error(`exit code ${exit}${signal ? ` (${signal})` : ''}`);
  process.exitCode = exit;
} catch (e) {
  // A CoopError's message is one line naming what, why and the fix.
  console.error(e instanceof CoopError ? `${e.code}: ${e.message}` : e);
  process.exitCode = 125;
}
