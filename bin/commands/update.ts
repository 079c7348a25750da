// coop update [--check]: the newest version from the npm registry, installed with npm -g; a
// running daemon hands over to it (boxes keep running; the next command starts the new daemon).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '../../lib/client/index.js';
import { CoopError } from '../../lib/errors.js';
import { coopHome } from '../../lib/paths.js';
import { findProgram } from '../../lib/sandbox/idmap.js';
import { checkForUpdate, installVersion } from '../../lib/update/index.js';
import { printWarning } from '../cli/output.js';
import type { CliContext, Handler } from '../cli/spec.js';

/** Tells a running daemon to stop (as `coop system shutdown`); what happened, in words. */
async function handOver(ctx: CliContext, version: string): Promise<string> {
  let client: Client;
  try {
    client = await Client.connect({ coopHome: coopHome(ctx.env), env: ctx.env, spawn: false });
  } catch (e) {
    if (e instanceof CoopError && / not running$/.test(e.message)) return 'no daemon was running';
    printWarning(ctx, `the daemon could not be told to hand over: ${(e as Error).message}; run \`coop system shutdown\``);
    return 'the daemon still runs the old version';
  }
  try {
    const s = await client.status();
    await client.shutdown();
    const boxes = s.boxes === 1 ? 'its box keeps' : `its ${s.boxes} boxes keep`;
    return `the daemon (pid ${s.pid}, version ${s.version}) handed over: ${boxes} running, and the next coop command starts a daemon of ${version} that takes ${s.boxes === 1 ? 'it' : 'them'} over`;
  } finally {
    client.close();
  }
}

/** Where `npm install -g` put the command, when npm says. */
function installedBin(env: NodeJS.ProcessEnv): string | null {
  const npm = findProgram('npm', env.PATH ?? '');
  const r = npm ? spawnSync(npm, ['prefix', '--global'], { env, encoding: 'utf8' }) : null;
  return r?.status === 0 && r.stdout.trim() ? join(r.stdout.trim(), 'bin', 'coop') : null;
}

export const updateCommand: Handler = async (args, ctx) => {
  const info = await checkForUpdate({ env: ctx.env });
  if (!info.newer) {
    ctx.stdout.write(`coop ${info.current} is up to date (the newest in ${info.registry} is ${info.latest}).\n`);
    return 0;
  }
  if (args.opts.check) {
    ctx.stdout.write(`coop ${info.current} → ${info.latest} is available from ${info.registry}; \`coop update\` installs it.\n`);
    return 0;
  }
  ctx.stdout.write(`Updating ${info.name} ${info.current} → ${info.latest} with \`npm install --global ${info.name}@${info.latest}\`\n`);
  await installVersion(info, { env: ctx.env, out: ctx.quiet ? undefined : ctx.stderr });
  const where = installedBin(ctx.env);
  const handed = await handOver(ctx, info.latest);
  ctx.stdout.write(`coop ${info.latest} is installed${where ? ` (${where})` : ''}; ${handed}.\n`);
  return 0;
};
