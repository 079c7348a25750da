// coop (create-or-attach), coop attach, coop kill, coop restart, coop logs.
import { loadConfig } from '../../lib/config/load.js';
import { attachExitCode, attachTerminal } from '../cli/attach.js';
import { connectClient, targetBox, terminalSize } from '../cli/client.js';
import { printWarning } from '../cli/output.js';
import type { Handler } from '../cli/spec.js';
import { prepareImage } from './build.js';

const str = (v: unknown) => v as string | undefined;

/** `coop`: the box of the workspace, created if needed, then attached (unless -d). */
export const openCommand: Handler = async (args, ctx) => {
  const loaded = loadConfig({
    cwd: ctx.cwd, workspace: str(args.opts.workspace), configPath: str(args.opts.config), env: ctx.env,
    overrides: { agent: str(args.opts.agent) }, requireAgent: true,
  });
  for (const w of loaded.warnings) printWarning(ctx, w);
  await prepareImage(loaded, args, ctx);
  const client = await connectClient(args, ctx);
  try {
    const size = terminalSize(ctx);
    const { session, existing } = await client.create({
      workspace: loaded.workspace, config: loaded.config, name: str(args.opts.name), detach: args.opts.detach === true,
      term: ctx.env.TERM || 'xterm-256color', ...size,
    });
    if (args.opts.detach) {
      if (!ctx.quiet) ctx.stdout.write(`${existing ? 'Box already running' : 'Started box'}: ${session} (attach with \`coop attach ${session}\`)\n`);
      return 0;
    }
    return attachExitCode(await attachTerminal(await client.attach({ session, ...size })));
  } finally {
    client.close();
  }
};

export const attachCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, args, ctx);
    const stream = await client.attach({ session: box.name, pty: 0, ...terminalSize(ctx), readonly: args.opts.readonly === true });
    return attachExitCode(await attachTerminal(stream));
  } finally {
    client.close();
  }
};

export const killCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const force = args.opts.force === true;
    const killed = args.opts.all
      ? await client.kill({ all: true }, force)
      : await client.kill({ session: (await targetBox(client, args, ctx)).name }, force);
    if (!ctx.quiet) ctx.stdout.write(killed.length ? `Killed ${killed.join(', ')}\n` : 'No boxes were running\n');
    return 0;
  } finally {
    client.close();
  }
};

/** `coop restart`: the agent again, with coop.toml read afresh. */
export const restartCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, args, ctx);
    const loaded = loadConfig({ cwd: box.workspace, workspace: box.workspace, configPath: str(args.opts.config), env: ctx.env, requireAgent: true });
    for (const w of loaded.warnings) printWarning(ctx, w);
    await client.restart(box.name, 0, loaded.config);
    if (!ctx.quiet) ctx.stdout.write(`Restarted the agent of ${box.name}\n`);
    return 0;
  } finally {
    client.close();
  }
};

/** Prints a PTY's scrollback (-n: its last lines); -f keeps following. */
export async function printLogs(args: Parameters<Handler>[0], ctx: Parameters<Handler>[1], pty: number, boxName?: string): Promise<number> {
  const client = await connectClient(args, ctx);
  try {
    const session = boxName ?? (await targetBox(client, args, ctx)).name;
    const lines = args.opts.lines as number | undefined;
    if (!args.opts.follow) {
      ctx.stdout.write(await client.logs(session, pty, lines));
      return 0;
    }
    const stream = await client.follow(session, pty, lines);
    const stop = () => stream.destroy();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    stream.on('data', (d: Buffer) => ctx.stdout.write(d));
    await new Promise<void>((resolve) => stream.on('close', resolve));
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    return 0;
  } finally {
    client.close();
  }
}

export const logsCommand: Handler = (args, ctx) => printLogs(args, ctx, 0);
