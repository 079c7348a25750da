// The CLI: parse, then run the command's handler; errors become one line and an exit code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { native, packageRoot } from '../../lib/native.js';
import { COMMANDS } from './commands.js';
import { reportError } from './output.js';
import { parseArgv, type Parsed } from './parse.js';
import type { CliContext } from './spec.js';

export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * A closed output pipe (`coop logs | head -1`) ends the CLI quietly with SIGPIPE's
 * conventional status, unless a command handles it itself (a listener of its own).
 */
function quietPipe(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (stream.listenerCount('error') > 1) return;
    if (e.code === 'EPIPE') process.exit(141);
    process.stderr.write(`coop: cannot write the output: ${e.message}\n`);
    process.exit(1);
  });
  return stream;
}

export async function main(argv: string[]): Promise<number> {
  // process.stdout/stderr are made on first use (a few ms each): only when a command writes.
  let stdout: NodeJS.WriteStream | null = null;
  const ctx: CliContext = {
    cwd: process.cwd(),
    env: process.env,
    get stdout() {
      return (stdout ??= quietPipe(process.stdout));
    },
    get stderr() {
      return process.stderr;
    },
    get color() {
      return !process.env.NO_COLOR && native().isatty(2); // only once something is printed
    },
    verbose: false,
    quiet: false,
  };
  let parsed: Parsed;
  try {
    parsed = parseArgv(argv, COMMANDS);
  } catch (e) {
    ctx.verbose = argv.includes('-v') || argv.includes('--verbose');
    return reportError(ctx, e);
  }
  const { command, args } = parsed;
  ctx.verbose = args.opts.verbose === true;
  ctx.quiet = args.opts.quiet === true;
  if (args.opts.version) {
    ctx.stdout.write(`${version()}\n`);
    return 0;
  }
  if (args.opts.help || !command) {
    const { renderHelp } = await import('./help.js');
    ctx.stdout.write(`${await renderHelp(COMMANDS, command, parsed.partial)}\n`);
    return args.opts.help ? 0 : 2;
  }
  try {
    const handler = await command.load();
    return await handler(args, ctx);
  } catch (e) {
    return reportError(ctx, e);
  }
}
