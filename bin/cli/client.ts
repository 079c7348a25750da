// What the daemon-facing commands share: a client for the call's --socket and $COOP_HOME,
// the box the call means (a name, or the caller's directory), and the terminal's size.
import { isatty } from 'node:tty';
import { Client, resolveBox } from '../../lib/client/index.js';
import type { LsRow } from '../../lib/ipc/messages.js';
import type { Args, CliContext } from './spec.js';

export function connectClient(args: Args, ctx: CliContext, spawn = true): Promise<Client> {
  return Client.connect({ socket: args.opts.socket as string | undefined, env: ctx.env, spawn });
}

/** The box named by the first positional (or --name), else the box of the caller's directory. */
export async function targetBox(client: Client, args: Args, ctx: CliContext): Promise<LsRow> {
  const name = (args.positionals[0] ?? args.opts.name) as string | undefined;
  const { boxes, gone } = await client.listing();
  return resolveBox(boxes, name, ctx.cwd, gone);
}

/** Both stdin and stdout are terminals: an interactive attach is possible. */
export const onTerminal = () => isatty(0) && isatty(1);

export function terminalSize(ctx: CliContext): { cols: number; rows: number } {
  return { cols: ctx.stdout.columns || 80, rows: ctx.stdout.rows || 24 };
}
