// What the CLI prints on errors and warnings: one line, "coop: ...", coloured on a TTY.
import { ConfigError } from '../../lib/config/errors.js';
import { CoopError } from '../../lib/errors.js';
import { SandboxError } from '../../lib/sandbox/errors.js';
import type { CliContext } from './spec.js';
import { UsageError } from './parse.js';

const paint = (ctx: CliContext, code: string, s: string) => (ctx.color ? `\x1b[${code}m${s}\x1b[0m` : s);

export function printError(ctx: CliContext, message: string): void {
  ctx.stderr.write(`${paint(ctx, '1;31', 'coop:')} ${message}\n`);
}

export function printWarning(ctx: CliContext, message: string): void {
  if (!ctx.quiet) ctx.stderr.write(`${paint(ctx, '33', 'coop: warning:')} ${message}\n`);
}

/** The exit code for an error (SPEC §9). */
export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return 2;
  if (e instanceof CoopError) return e.exitCode;
  return 1;
}

/** Prints an error as one line (a stack trace only with --verbose) and returns its exit code. */
export function reportError(ctx: CliContext, e: unknown): number {
  const known = e instanceof CoopError || e instanceof ConfigError || e instanceof SandboxError || e instanceof UsageError;
  const message = e instanceof Error ? e.message : String(e);
  printError(ctx, known ? message : `internal error: ${message}`);
  if (e instanceof UsageError) {
    const name = e.command ? `coop ${e.command.path.join(' ')}`.trim() : 'coop';
    ctx.stderr.write(`Run \`${name} --help\` for usage.\n`);
  }
  if (ctx.verbose && e instanceof Error && e.stack) ctx.stderr.write(`${e.stack}\n`);
  return exitCodeFor(e);
}
