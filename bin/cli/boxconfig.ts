// The configuration a box is created (or its agent restarted) with: coop.toml's layers,
// the image built, the CA bundle, and the agent made to work in the box — or one line
// saying what to do.
import { dirname } from 'node:path';
import { ConfigError } from '../../lib/config/errors.js';
import { globalConfigPath, loadConfig, type LoadedConfig } from '../../lib/config/load.js';
import type { CoopConfig } from '../../lib/config/types.js';
import { CoopError } from '../../lib/errors.js';
import { boxReadyConfig } from '../../lib/agents/prepare.js';
import { coopHome } from '../../lib/paths.js';
import { prepareImage } from '../commands/build.js';
import { printWarning } from './output.js';
import type { Args, CliContext } from './spec.js';

export interface BoxConfig {
  loaded: LoadedConfig;
  /** What to send to the daemon. */
  config: CoopConfig;
}

/** The error for a call with no agent anywhere: names the file to edit, or says to run `coop init`. */
function noAgent(loaded: LoadedConfig, ctx: CliContext): Error {
  if (loaded.projectFile) {
    return new ConfigError({ file: loaded.projectFile, key: 'sandbox.agent' }, 'no agent configured: set agent = "claude" (or "codex", "aider", any command) under [sandbox], or pass --agent CMD');
  }
  return new CoopError(
    'CONFIG_INVALID',
    `no coop.toml in ${loaded.workspace} or above it, and no agent in ${globalConfigPath(ctx.env)}: run \`coop init --agent claude\` (or your agent) there, or pass --agent CMD`,
  );
}

export async function boxConfig(args: Args, ctx: CliContext, opts: { workspace?: string; agent?: string; build?: boolean } = {}): Promise<BoxConfig> {
  const loaded = loadConfig({
    cwd: opts.workspace ?? ctx.cwd, workspace: opts.workspace ?? (args.opts.workspace as string | undefined), configPath: args.opts.config as string | undefined,
    env: ctx.env, overrides: { agent: opts.agent },
  });
  for (const w of loaded.warnings) printWarning(ctx, w);
  if (!loaded.config.sandbox.agent) throw noAgent(loaded, ctx);
  const { sandbox } = loaded.config;
  const usedAsIs = sandbox.image === 'host' || sandbox.image.startsWith('dir:');
  if (usedAsIs && (sandbox.setup.length || Object.keys(sandbox.packages).length)) {
    printWarning(ctx, `sandbox.setup and sandbox.packages are ignored with image = "${sandbox.image}" (it is used as it is); name an image such as "debian:bookworm" to have them built`);
  }
  if (opts.build !== false) await prepareImage(loaded, args, ctx);
  const baseDir = loaded.projectFile ? dirname(loaded.projectFile) : loaded.workspace;
  const prepared = boxReadyConfig(loaded.config, { env: ctx.env, coopHome: coopHome(ctx.env), baseDir });
  if (ctx.verbose) for (const n of prepared.notes) ctx.stderr.write(`coop: ${n}\n`);
  return { loaded, config: prepared.config };
}
