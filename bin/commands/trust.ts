// coop trust [--config FILE] [-w DIR] [--revoke]: like `direnv allow`, for a project's coop.toml.
import { join, resolve } from 'node:path';
import { ConfigError } from '../../lib/config/errors.js';
import { findProject } from '../../lib/config/load.js';
import { revokeTrust, trustFile } from '../../lib/config/trust.js';
import { formatWidening } from '../../lib/config/widen.js';
import type { Handler } from '../cli/spec.js';

export const trustCommand: Handler = async (args, ctx) => {
  const config = args.opts.config as string | undefined;
  const workspace = args.opts.workspace as string | undefined;
  const opts = { env: ctx.env };
  if (args.opts.revoke) {
    // A file given by path may be gone already; its record can still be removed.
    const file = config ? resolve(ctx.cwd, config) : findProject(ctx.cwd, workspace).file;
    if (!file) throw new ConfigError({ file: join(resolve(ctx.cwd, workspace ?? '.'), 'coop.toml') }, 'no such file; nothing to revoke');
    const had = revokeTrust(file, opts);
    if (!ctx.quiet) ctx.stdout.write(had ? `No longer trusted: ${file}\n` : `${file} was not trusted\n`);
    return 0;
  }
  const project = findProject(ctx.cwd, workspace, config);
  if (!project.file) {
    throw new ConfigError({ file: join(project.dir, 'coop.toml') }, 'no such file, here or in a parent directory; nothing to trust');
  }
  const t = trustFile(project.file, { ...opts, workspace: project.dir });
  if (!ctx.quiet) {
    const what = t.widening.length
      ? `${project.file} reaches outside the box:\n${t.widening.map((w) => `  ${formatWidening(w)}\n`).join('')}`
      : `Nothing in ${project.file} reaches outside the box.\n`;
    ctx.stdout.write(`${what}Trusted ${project.file} (sha256 ${t.sha256.slice(0, 16)}); once it changes, it needs \`coop trust\` again.\n`);
  }
  return 0;
};
