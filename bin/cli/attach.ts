// Attaching the user's terminal to a PTY: raw mode, Ctrl+] detaches, window size follows,
// and on every way out (detach, exit, SIGTERM, SIGHUP, a daemon that goes away) the
// terminal is restored and reset, and "[detached]" printed.
import type { AttachStream } from '../../lib/client/attach.js';

/** Ctrl+]: the detach key. */
export const DETACH_KEY = 0x1d;

/** Undoes what a full-screen program may have left on: colours, hidden cursor, alternate
 * screen, mouse reporting, bracketed paste, focus events. */
export const TERMINAL_RESET = '\x1b[0m\x1b[?25h\x1b[?1049l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1004l';

export interface AttachOutcome {
  how: 'detached' | 'exited' | 'lost' | 'signal';
  code: number | null;
  signal: string | null;
}

export function attachTerminal(stream: AttachStream): Promise<AttachOutcome> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const tty = !!stdin.isTTY;
  const wasRaw = tty && stdin.isRaw;
  if (tty) stdin.setRawMode(true);
  stdin.resume();

  return new Promise((resolve) => {
    let done = false;
    let outcome: AttachOutcome = { how: 'lost', code: null, signal: null };
    const finish = () => {
      if (done) return;
      done = true;
      stdin.off('data', onInput);
      stdin.pause();
      stdout.off('resize', onResize);
      for (const s of SIGNALS) process.off(s, onSignal);
      if (tty) stdin.setRawMode(wasRaw);
      stdout.write(`${TERMINAL_RESET}\r\n[detached]\r\n`);
      stream.destroy();
      resolve(outcome);
    };
    const onInput = (data: Buffer) => {
      const at = data.indexOf(DETACH_KEY);
      if (at < 0) return void stream.write(data);
      if (at > 0) stream.write(data.subarray(0, at));
      outcome = { how: 'detached', code: null, signal: null };
      stream.detach();
      setTimeout(finish, 200).unref(); // the daemon answers with `detached`; do not wait forever
    };
    const onResize = () => stream.resize(stdout.columns, stdout.rows);
    const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
    const onSignal = (sig: NodeJS.Signals) => {
      outcome = { how: 'signal', code: null, signal: sig };
      finish();
    };
    stdin.on('data', onInput);
    stdout.on('resize', onResize);
    for (const s of SIGNALS) process.on(s, onSignal);
    stream.on('data', (d: Buffer) => stdout.write(d));
    stream.on('lagged', () => stdout.write('\x1b[H\x1b[2J')); // a fresh replay follows
    stream.on('pty_exited', (e) => {
      outcome = { how: 'exited', code: e.code, signal: e.signal };
    });
    stream.on('detached', () => {
      if (outcome.how === 'lost') outcome = { how: 'detached', code: null, signal: null };
    });
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

/** The CLI's exit code after an attach. */
export function attachExitCode(o: AttachOutcome): number {
  if (o.how === 'exited') return o.code ?? 1;
  if (o.how === 'lost') return 1;
  return 0;
}
