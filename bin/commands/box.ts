// coop (create-or-attach), coop attach, coop kill, coop restart.
import type { Client } from '../../lib/client/index.js';
import { CoopError } from '../../lib/errors.js';
import { renderLines } from '../../lib/term/render.js';
import { attachTerminal } from '../cli/attach.js';
import { boxConfig } from '../cli/boxconfig.js';
import { connectClient, onTerminal, targetBox, terminalSize } from '../cli/client.js';
import { printError, printWarning } from '../cli/output.js';
import { attachPlain } from '../cli/plain.js';
import type { Handler } from '../cli/spec.js';

const str = (v: unknown) => v as string | undefined;

/** How long `coop -d` watches a new agent: one that exits this soon did not stay up. */
const START_WATCH_MS = 750;

/**
 * Watches a just-started agent for a moment; when it exits (or is restarting), says so
 * with the last lines of its screen. Null when it stayed up.
 */
async function startTrouble(client: Client, box: string): Promise<string | null> {
  const stream = await client.follow({ box });
  const chunks: Buffer[] = [];
  let ended: string | null = null;
  stream.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve) => {
    let watching = true;
    const timer = setTimeout(() => {
      watching = false;
      resolve();
    }, START_WATCH_MS);
    const failed = (what: string) => {
      if (!watching) return;
      watching = false;
      ended = what;
      clearTimeout(timer);
      setTimeout(resolve, 50); // the rest of its last words
    };
    stream.on('pty_restarting', () => failed('exited right after starting (auto_restart is trying again)'));
    stream.on('pty_exited', (e) => failed(e.reason === 'crash_loop' ? 'was stopped by a crash loop' : `exited (${e.signal ? `signal ${e.signal}` : `code ${e.code}`})`));
  });
  stream.destroy();
  // It may have exited before we watched: it is not running now.
  const state = (await client.ptyLs({ box })).find((p) => p.role === 'agent')?.state;
  if (!ended && state !== 'running') ended = state === 'restarting' ? 'exited right after starting (auto_restart is trying again)' : `is ${state}`;
  if (!ended) return null;
  const size = stream.ptySize ?? { cols: 100, rows: 30 };
  const lines = (await renderLines(Buffer.concat(chunks), size.cols, size.rows)).filter((l) => l.trim());
  const last = lines.slice(-8).map((l) => `  | ${l}\n`).join('');
  return `the agent of ${box} ${ended}; its last lines:\n${last}Fix sandbox.agent (coop.toml) or the agent's setup, then run \`coop restart\`; \`coop logs\` shows all of it.`;
}

/** `coop`: the box of the workspace, created if needed, then attached (unless -d). */
export const openCommand: Handler = async (args, ctx) => {
  const detach = args.opts.detach === true;
  if (!detach && !onTerminal()) {
    throw new CoopError('BAD_ARGUMENTS', 'not on a terminal: start the box with `coop -d`, then watch it with `coop attach --readonly` or `coop logs -f`');
  }
  const agent = str(args.opts.agent);
  const { loaded, config } = await boxConfig(args, ctx, { agent });
  const client = await connectClient(args, ctx);
  try {
    const size = terminalSize(ctx);
    const { box, existing } = await client.create({
      workspace: loaded.workspace, config, name: str(args.opts.name), detach, term: ctx.env.TERM || 'xterm-256color', ...size,
    });
    if (existing && agent) printWarning(ctx, `--agent was ignored: box ${box} is already running; \`coop restart --agent '${agent}'\` restarts its agent with it`);
    if (detach) {
      const trouble = existing ? null : await startTrouble(client, box);
      if (trouble) {
        printError(ctx, trouble);
        return 1;
      }
      if (!ctx.quiet) ctx.stdout.write(`${existing ? 'Box already running' : 'Started box'}: ${box} (attach with \`coop attach ${box}\`)\n`);
      return 0;
    }
    return await attachTerminal(await client.attach({ box, ...size }), { role: 'agent', rawReplay: !existing });
  } finally {
    client.close();
  }
};

export const attachCommand: Handler = async (args, ctx) => {
  const readonly = args.opts.readonly === true;
  const tty = onTerminal();
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, args, ctx);
    if (!tty && !readonly) {
      await client.ptyLs({ box: box.name }); // what is wrong with the box comes first
      throw new CoopError('BAD_ARGUMENTS', 'not on a terminal (stdin and stdout): `coop attach --readonly` prints the agent\'s output instead, `coop logs -f` its text');
    }
    const stream = await client.attach({ box: box.name, pty: 0, ...terminalSize(ctx), readonly });
    return tty ? await attachTerminal(stream, { role: 'agent', readonly }) : await attachPlain(stream, { role: 'agent' });
  } finally {
    client.close();
  }
};

export const killCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const force = args.opts.force === true;
    const killed = args.opts.all
      ? await client.kill({ all: true, force })
      : await client.kill({ box: (await targetBox(client, args, ctx)).name, force });
    if (!ctx.quiet) ctx.stdout.write(killed.length ? `Killed ${killed.join(', ')}\n` : 'No boxes were running\n');
    return 0;
  } finally {
    client.close();
  }
};

/**
 * `coop restart`: the agent again, with coop.toml read afresh — its command and [env]
 * apply; settings only a new box applies are listed. `--box` recreates the box (persist
 * directories and volumes are kept).
 */
export const restartCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const box = await targetBox(client, args, ctx);
    const { config } = await boxConfig(args, ctx, { workspace: box.workspace, agent: str(args.opts.agent) });
    if (args.opts.box) {
      await client.kill({ box: box.name });
      await client.create({ workspace: box.workspace, config, name: box.name, detach: true, term: ctx.env.TERM || 'xterm-256color', ...terminalSize(ctx) });
      if (!ctx.quiet) ctx.stdout.write(`Recreated box ${box.name} (persist directories and volumes kept)\n`);
      return 0;
    }
    const pending = await client.restart({ box: box.name, config });
    if (!ctx.quiet) ctx.stdout.write(`Restarted the agent of ${box.name} (agent command and [env] as in coop.toml now)\n`);
    if (pending.length) {
      printWarning(ctx, `changed, but only a new box applies it: ${pending.join(', ')}; \`coop restart --box\` recreates the box (persist directories and volumes are kept)`);
    }
    return 0;
  } finally {
    client.close();
  }
};
