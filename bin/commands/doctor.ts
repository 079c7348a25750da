// coop doctor [--json]: everything a box depends on, each ok / warning / failing with the fix,
// then one box started and timed. Exit 1 when something is failing.
import { checkHost } from '../../lib/doctor/index.js';
import { coopHome } from '../../lib/paths.js';
import type { Handler } from '../cli/spec.js';

const COLORS = { ok: '32', warning: '33', failing: '1;31' } as const;

export const doctorCommand: Handler = async (args, ctx) => {
  const checks = await checkHost({ coopHome: coopHome(ctx.env), env: ctx.env });
  const failing = checks.filter((c) => c.status === 'failing').length;
  if (args.opts.json) {
    ctx.stdout.write(`${JSON.stringify({ ok: failing === 0, checks }, null, 2)}\n`);
    return failing ? 1 : 0;
  }
  for (const c of checks) {
    const word = c.status.padEnd(7);
    ctx.stdout.write(`${ctx.color ? `\x1b[${COLORS[c.status]}m${word}\x1b[0m` : word} ${c.name}: ${c.message}\n`);
  }
  const warnings = checks.filter((c) => c.status === 'warning').length;
  if (!ctx.quiet) {
    ctx.stdout.write(`\n${checks.length - failing - warnings} ok, ${warnings} warning${warnings === 1 ? '' : 's'}, ${failing} failing` +
      (failing ? ': boxes will not start until the failing lines are fixed (docs/troubleshooting.md)\n' : '\n'));
  }
  return failing ? 1 : 0;
};
