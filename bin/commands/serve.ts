// coop serve [-p 8888] [-H 127.0.0.1] [--token T] [--no-qr] [--stop]: the daemon's web UI.
import { isatty } from 'node:tty';
import { CoopError } from '../../lib/errors.js';
import { connectClient } from '../cli/client.js';
import type { Handler } from '../cli/spec.js';

export const DEFAULT_PORT = 8888;

export const serveCommand: Handler = async (args, ctx) => {
  if (args.opts.stop) {
    let client;
    try {
      client = await connectClient(args, ctx, false);
    } catch (e) {
      if (!(e instanceof CoopError && e.code === 'DAEMON_FAILED')) throw e;
      if (!ctx.quiet) ctx.stdout.write('The coop daemon is not running, so nothing is served.\n');
      return 0;
    }
    try {
      await client.serveStop();
      if (!ctx.quiet) ctx.stdout.write('Stopped the web UI.\n');
      return 0;
    } finally {
      client.close();
    }
  }
  const port = (args.opts.port as number | undefined) ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CoopError('BAD_ARGUMENTS', `-p must be a TCP port (0 to 65535), not ${args.opts.port}`);
  const host = (args.opts.host as string | undefined) ?? '127.0.0.1';
  const token = args.opts.token as string | undefined;
  const client = await connectClient(args, ctx);
  try {
    const { urls } = await client.serve({ host, port, token });
    const [local, ...lan] = urls;
    if (ctx.quiet) return 0;
    const out = ctx.stdout;
    out.write(`Serving the coop web UI (the token in these URLs lets anyone who has it use your boxes):\n  ${local}\n`);
    for (const u of lan) out.write(`  ${u}\n`);
    if (lan.length === 0 && /^(127\.|::1$|localhost$)/.test(host)) out.write('Only this machine can reach it; `coop serve -H 0.0.0.0` serves your LAN too.\n');
    const qr = args.opts.qr !== false && isatty(1) && lan.length > 0;
    if (qr) {
      const QRCode = (await import('qrcode')).default;
      out.write(`\n${await QRCode.toString(lan[0]!, { type: 'terminal', small: true })}\n`);
    }
    out.write('Stop with `coop serve --stop` (boxes keep running).\n');
    return 0;
  } finally {
    client.close();
  }
};
