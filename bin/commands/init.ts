// coop init [--agent CMD] [--force]
import { presetFor } from '../../lib/agents/presets.js';
import { initConfig } from '../../lib/config/template.js';
import { splitWords } from '../../lib/config/words.js';
import type { Handler } from '../cli/spec.js';

export const initCommand: Handler = async (args, ctx) => {
  const agent = args.opts.agent as string | undefined;
  const file = initConfig(ctx.cwd, { force: args.opts.force === true, agent });
  if (ctx.quiet) return 0;
  const preset = presetFor(agent ? splitWords(agent) : ['claude']);
  ctx.stdout.write(preset
    ? `Wrote ${file} for ${preset.title}; run \`coop\` to start it in a box.\n`
    : `Wrote ${file}; run \`coop\` to start ${agent} in a box.\n`);
  return 0;
};
