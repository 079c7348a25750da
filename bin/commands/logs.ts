// coop logs / coop shell logs: a PTY's scrollback rendered as the terminal shows it, as
// plain text lines (-n counts them), or the bytes themselves with --raw; -f follows.
import { LineFollower, renderLines, tailText } from '../../lib/term/render.js';
import { connectClient, targetBox } from '../cli/client.js';
import type { Args, CliContext, Handler } from '../cli/spec.js';

function untilStopped(stop: () => void): () => void {
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
}

/** Prints a PTY's scrollback (-n: its last lines); -f keeps following. */
export async function printLogs(args: Args, ctx: CliContext, pty: number, boxName?: string): Promise<number> {
  const client = await connectClient(args, ctx);
  try {
    const box = boxName ?? (await targetBox(client, args, ctx)).name;
    const lines = args.opts.lines as number | undefined;
    const raw = args.opts.raw === true;
    if (!args.opts.follow) {
      if (raw) ctx.stdout.write(await client.logs({ box, pty, lines }));
      else {
        const s = await client.scrollback({ box, pty });
        ctx.stdout.write(tailText(await renderLines(s.data, s.cols, s.rows), lines));
      }
      return 0;
    }
    const stream = await client.follow({ box, pty, lines: raw ? lines : undefined });
    const done = untilStopped(() => stream.destroy());
    if (raw) {
      stream.on('data', (d: Buffer) => ctx.stdout.write(d));
      await new Promise<void>((resolve) => stream.on('close', resolve));
      done();
      return 0;
    }
    // Listeners now (events start on the next turn); the emulator comes a moment later.
    const size = stream.ptySize ?? { cols: 80, rows: 24 };
    const made = LineFollower.create(size.cols, size.rows, (text) => ctx.stdout.write(text));
    let replay: Buffer[] | null = [];
    let started: Promise<LineFollower> | null = null;
    const start = () => {
      const bytes = Buffer.concat(replay ?? []);
      replay = null;
      started = made.then(async (f) => {
        await f.start(bytes, lines);
        return f;
      });
    };
    stream.on('data', (d: Buffer) => {
      if (replay) replay.push(d);
      else void started?.then((f) => f.feed(d));
    });
    stream.on('replayed', start);
    await new Promise<void>((resolve) => stream.on('close', resolve));
    if (replay) start();
    await (await started!).finish();
    done();
    return 0;
  } finally {
    client.close();
  }
}

export const logsCommand: Handler = (args, ctx) => printLogs(args, ctx, 0);
