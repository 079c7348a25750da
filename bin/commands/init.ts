// coop init [--force]
import { initConfig } from '../../lib/config/template.js';
import type { Handler } from '../cli/spec.js';

export const initCommand: Handler = async (args, ctx) => {
  const file = initConfig(ctx.cwd, { force: args.opts.force === true });
  if (!ctx.quiet) ctx.stdout.write(`Wrote ${file}. Set your agent under [sandbox], then run \`coop\`.\n`);
  return 0;
};
