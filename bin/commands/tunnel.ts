// coop tunnel [--stun URL] [--no-stun] [--no-qr] [--timeout S] [--page URL] (SPEC §11): asks
// the daemon for a WebRTC peer, prints the connect link (and its QR code), takes the
// browser's answer when it is pasted here (a page served by this daemon posts it itself),
// and stays until the tunnel ends: Ctrl+C closes it, since the tunnel lives exactly as long
// as this command's connection to the daemon. No connection within the timeout: exit 6.
import { createInterface, type Interface } from 'node:readline';
import { isatty } from 'node:tty';
import type { Client } from '../../lib/client/index.js';
import { CoopError } from '../../lib/errors.js';
import { connectClient } from '../cli/client.js';
import { printError } from '../cli/output.js';
import type { Handler } from '../cli/spec.js';

export const DEFAULT_TIMEOUT_S = 120;

const INTERRUPTED = Symbol('interrupted');

export const tunnelCommand: Handler = async (args, ctx) => {
  const timeout = (args.opts.timeout as number | undefined) ?? DEFAULT_TIMEOUT_S;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86400) throw new CoopError('BAD_ARGUMENTS', `--timeout must be whole seconds from 1 to 86400, not ${args.opts.timeout}`);
  if (args.opts['no-stun'] && args.opts.stun !== undefined) throw new CoopError('BAD_ARGUMENTS', '--stun and --no-stun contradict each other: give one');
  const stun = args.opts['no-stun'] ? [] : args.opts.stun !== undefined ? String(args.opts.stun).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const page = args.opts.page as string | undefined;
  const out = ctx.stdout;
  const say = (s: string) => {
    if (!ctx.quiet) out.write(s);
  };

  let onSignal: () => void = () => {};
  const interrupted = new Promise<typeof INTERRUPTED>((resolve) => (onSignal = () => resolve(INTERRUPTED)));
  const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of SIGNALS) process.on(s, onSignal);
  const client = await connectClient(args, ctx);
  let answers: Client | null = null;
  let rl: Interface | null = null;
  const stopReading = () => {
    if (!rl) return;
    rl.close();
    rl = null;
    process.stdin.destroy(); // nothing more is read; a pipe left open would keep us running
  };
  /** The daemon went away under us (stopped, or crashed): the tunnel went with it. */
  const daemonGone = (e: unknown): number => {
    if (!(e instanceof CoopError && e.code === 'DAEMON_FAILED')) throw e;
    printError(ctx, 'the tunnel ended: the coop daemon stopped (`coop system shutdown`, or it crashed). Run `coop tunnel` again for a new link.');
    return 6;
  };
  const cancelled = () => {
    say('\nClosed the tunnel.\n');
    return 130;
  };
  try {
    const opened = await Promise.race([client.tunnel({ stun, page, timeout_ms: timeout * 1000 }), interrupted]);
    if (opened === INTERRUPTED) return cancelled();
    const { url, id } = opened;
    if (ctx.quiet) out.write(`${url}\n`);
    say(`Open this link on the phone or computer you want to use. The part after "#" carries this machine's half of a direct, encrypted connection; it never reaches a server:\n\n  ${url}\n\n`);
    if (/^(127\.|localhost$|\[::1\]$)/.test(new URL(url).hostname)) {
      say('(That page is on 127.0.0.1, so the link works on this machine only: `coop serve -H 0.0.0.0` serves your LAN, or put the page anywhere with `coop serve --export DIR` and pass --page URL.)\n\n');
    }
    if (args.opts.qr !== false && isatty(1) && !ctx.quiet) {
      const QRCode = (await import('qrcode')).default;
      out.write(`${await QRCode.toString(url, { type: 'terminal', small: true })}\n`);
    }
    say(`Waiting up to ${timeout} s for the browser. Paste the answer the page shows here and press Enter (a page served by this machine's \`coop serve\` sends it back by itself). Ctrl+C cancels.\n`);

    rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      const text = line.trim();
      if (!text) return;
      void (async () => {
        try {
          answers ??= await connectClient(args, ctx, false);
          await answers.tunnelAnswer({ answer: text });
          say('Answer taken; connecting…\n');
        } catch (e) {
          printError(ctx, e instanceof Error ? e.message : String(e));
          if (rl) say('Paste the answer again:\n');
        }
      })();
    });

    const connected = await Promise.race([client.tunnelWait({ id, until: 'connected' }).catch(daemonGone), interrupted]);
    if (typeof connected === 'number') return connected;
    if (connected === INTERRUPTED) return cancelled();
    stopReading();
    say('Connected: the browser now runs the web UI over the tunnel (its input to agents is filtered, as on the web). Ctrl+C closes the tunnel.\n');

    const end = await Promise.race([client.tunnelWait({ id, until: 'closed' }).catch(daemonGone), interrupted]);
    if (end === INTERRUPTED) return cancelled();
    if (typeof end === 'number') return end;
    if (end.lost) {
      printError(ctx, `the tunnel was lost: ${end.reason ?? 'no reason given'}. Run \`coop tunnel\` again for a new link.`);
      return 6;
    }
    say(`The tunnel closed: ${end.reason ?? 'no reason given'}.\n`);
    return 0;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    stopReading();
    (answers as Client | null)?.close();
    client.close(); // the daemon closes the peer with this connection
  }
};
