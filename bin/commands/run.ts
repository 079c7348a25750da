// coop run [--image X] [--network M] [--allow DOMAIN]... [-w DIR] [--] CMD...
import { constants } from 'node:os';
import { loadConfig } from '../../lib/config/load.js';
import { native } from '../../lib/native.js';
import { withCaCerts } from '../../lib/sandbox/ca-certs.js';
import { run } from '../../lib/boxes.js';
import type { RunResult } from '../../lib/sandbox/run.js';
import { printError, printWarning } from '../cli/output.js';
import type { Args, CliContext, Handler } from '../cli/spec.js';
import { withRawTerminal } from '../cli/terminal.js';
import { prepareImage } from './build.js';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

const str = (args: Args, name: string) => args.opts[name] as string | undefined;

/** The shell-style exit code for how the command ended. */
const exitCode = (r: RunResult) => r.code ?? 128 + (constants.signals[r.signal as keyof typeof constants.signals] ?? 0);

export const runCommand: Handler = async (args, ctx: CliContext) => {
  const loaded = loadConfig({
    cwd: ctx.cwd, workspace: str(args, 'workspace'), configPath: str(args, 'config'), env: ctx.env,
    overrides: { image: str(args, 'image'), network: str(args, 'network'), allow: args.opts.allow as string[] | undefined },
  });
  for (const w of loaded.warnings) printWarning(ctx, w);
  await prepareImage(loaded, args, ctx);
  const config = withCaCerts(loaded.config);
  const base = { cmd: args.rest, config, env: ctx.env };

  // On a terminal the command gets a terminal inside the box (never the user's own).
  const terminal = native().isatty(0) && native().isatty(1);
  const box = run({ ...base, stdio: 'inherit', terminal });
  const forward = (sig: NodeJS.Signals) => box.kill(sig);
  for (const sig of FORWARDED) process.on(sig, forward);
  try {
    const r = terminal ? await withRawTerminal(box) : await box;
    if (r.failure) printError(ctx, r.failure);
    return exitCode(r);
  } finally {
    for (const sig of FORWARDED) process.off(sig, forward);
  }
};
