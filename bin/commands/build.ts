// coop build [--no-cache] [--insecure-registry HOST]
import { dirname } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../lib/config/load.js';
import { coopHome } from '../../lib/paths.js';
import { printWarning } from '../cli/output.js';
import type { Args, CliContext, Handler } from '../cli/spec.js';

const insecure = (args: Args) => (args.opts['insecure-registry'] ? [String(args.opts['insecure-registry'])] : []);
const baseDir = (loaded: LoadedConfig) => (loaded.projectFile ? dirname(loaded.projectFile) : loaded.workspace);

export const buildCommand: Handler = async (args, ctx) => {
  const loaded = loadConfig({ cwd: ctx.cwd, workspace: args.opts.workspace as string | undefined, configPath: args.opts.config as string | undefined, env: ctx.env });
  for (const w of loaded.warnings) printWarning(ctx, w);
  const { buildImage } = await import('../../lib/image/build.js');
  const r = await buildImage({
    config: loaded.config, coopHome: coopHome(ctx.env), baseDir: baseDir(loaded), noCache: args.opts['no-cache'] === true,
    verify: args.opts.verify === true, registry: { insecure: insecure(args) }, out: ctx.quiet ? null : ctx.stdout, progress: ctx.stderr, warn: (m) => printWarning(ctx, m),
  });
  if (!ctx.quiet) {
    ctx.stdout.write(`${r.cached ? 'Up to date' : 'Built'}: ${loaded.config.sandbox.image} (${r.digest.slice(0, 19)}) -> ${r.path}\n`);
  }
  return 0;
};

/** Before a box starts: its rootfs, built when missing (unless --no-build), rebuilt with --build. */
export async function prepareImage(loaded: LoadedConfig, args: Args, ctx: CliContext): Promise<void> {
  const image = loaded.config.sandbox.image;
  if (image === 'host' || image.startsWith('dir:')) return; // used as they are
  const { ensureRootfs } = await import('../../lib/image/build.js');
  await ensureRootfs({
    config: loaded.config, coopHome: coopHome(ctx.env), baseDir: baseDir(loaded),
    build: args.opts['no-build'] ? 'never' : args.opts.build ? 'always' : 'auto', noCache: args.opts['no-cache'] === true,
    registry: { insecure: insecure(args) }, out: ctx.quiet ? null : ctx.stderr, progress: ctx.stderr,
    warn: (m) => printWarning(ctx, m), say: (m) => !ctx.quiet && ctx.stderr.write(`${m}\n`),
  });
}
