// coop shell [-c CMD] [--new], and coop shell ls|attach|kill|logs|restart for shell PTYs.
import { CoopError } from '../../lib/errors.js';
import { attachTerminal } from '../cli/attach.js';
import { connectClient, onTerminal, targetBox, terminalSize } from '../cli/client.js';
import { UsageError } from '../cli/parse.js';
import { attachPlain } from '../cli/plain.js';
import type { Args, Handler } from '../cli/spec.js';
import { table } from './info.js';
import { printLogs } from './logs.js';

function ptyId(args: Args): number {
  const raw = args.positionals[0] ?? '';
  if (!/^\d+$/.test(raw)) throw new UsageError(`a PTY id is a number (see \`coop shell ls\`), got "${raw}"`, null);
  return Number(raw);
}

export const shellCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, args, ctx);
    // Without a terminal the shell gets a quiet one of its own (no echo, LF endings), always a new one.
    const tty = onTerminal();
    const { pty, stream } = await client.shell({
      box: box.name, command: args.opts.command as string | undefined, new: args.opts.new === true || !tty,
      term: ctx.env.TERM || 'xterm-256color', ...terminalSize(ctx), cwd: ctx.cwd, plain: !tty,
    });
    if (tty) return await attachTerminal(stream, { role: 'shell' });
    return await attachPlain(stream, { role: 'shell', shell: true, kill: () => client.ptyKill({ box: box.name, pty }) });
  } finally {
    client.close();
  }
};

export const shellLsCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, { ...args, positionals: [] }, ctx);
    const ptys = await client.ptyLs({ box: box.name });
    if (args.opts.json) ctx.stdout.write(`${JSON.stringify(ptys, null, 2)}\n`);
    else ctx.stdout.write(table([['ID', 'ROLE', 'STATE', 'PID', 'COMMAND'], ...ptys.map((p) => [String(p.id), p.role, p.state, String(p.pid ?? '-'), p.command])]));
    return 0;
  } finally {
    client.close();
  }
};

export const shellAttachCommand: Handler = async (args, ctx) => {
  const id = ptyId(args);
  const client = await connectClient(args, ctx);
  try {
    if (!onTerminal()) throw new CoopError('BAD_ARGUMENTS', `coop shell attach needs a terminal (stdin and stdout); \`coop shell logs ${id} -f\` prints its output`);
    const box = await targetBox(client, { ...args, positionals: [] }, ctx);
    const stream = await client.attach({ box: box.name, pty: id, ...terminalSize(ctx) });
    return await attachTerminal(stream, { role: 'shell' });
  } finally {
    client.close();
  }
};

export const shellKillCommand: Handler = async (args, ctx) => {
  const id = ptyId(args);
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, { ...args, positionals: [] }, ctx);
    await client.ptyKill({ box: box.name, pty: id });
    return 0;
  } finally {
    client.close();
  }
};

export const shellRestartCommand: Handler = async (args, ctx) => {
  const only = args.positionals.length ? ptyId(args) : null;
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, { ...args, positionals: [] }, ctx);
    const ids = only !== null ? [only] : (await client.ptyLs({ box: box.name })).filter((p) => p.role === 'shell').map((p) => p.id);
    for (const id of ids) await client.restart({ box: box.name, pty: id });
    return 0;
  } finally {
    client.close();
  }
};

export const shellLogsCommand: Handler = async (args, ctx) => {
  const id = ptyId(args);
  const client = await connectClient(args, ctx);
  let name: string;
  try {
    name = (await targetBox(client, { ...args, positionals: [] }, ctx)).name;
  } finally {
    client.close();
  }
  return printLogs(args, ctx, id, name);
};
