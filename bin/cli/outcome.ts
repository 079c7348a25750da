// How an attach ended, in words and as the CLI's exit code (documented in the README):
//   0        detached (Ctrl+])
//   N        a shell (or an agent without auto_restart) exited with code N (128+n for signal n)
//   3        the box was killed (by `coop kill` elsewhere)
//   4        the daemon went away (boxes keep running: `coop attach` reconnects)
//   7        the agent was stopped by a crash loop
//   128+n    this client got signal n (SIGHUP: its terminal closed)
//   141      output pipe closed (SIGPIPE's conventional status)
// And how the CLI learns it, the same for a terminal and for plain (pipe) mode: watchEnd.
import { constants } from 'node:os';
import type { AttachStream } from '../../lib/client/attach.js';
import type { ExitReason } from '../../lib/ipc/messages.js';

export type AttachEnd =
  | { how: 'detached' }
  | { how: 'exited'; code: number | null; signal: string | null; reason: ExitReason }
  | { how: 'lost' }
  | { how: 'daemon-stopped' }
  | { how: 'signal'; signal: NodeJS.Signals }
  | { how: 'epipe' };

export type PtyRole = 'agent' | 'shell';

export const EXIT = { detached: 0, boxKilled: 3, daemonLost: 4, crashLoop: 7, epipe: 141 } as const;

const signalNumber = (sig: string | null) => constants.signals[sig as keyof typeof constants.signals] ?? 0;

/** The shell-style status of a process that ended with code or signal. */
export const statusOf = (code: number | null, signal: string | null) => (signal ? 128 + signalNumber(signal) : (code ?? 1));

const how = (code: number | null, signal: string | null) => (signal ? `signal ${signal}` : `code ${code}`);

/** The line shown when an attach ends (null: nothing to say) and the exit code. */
export function describeEnd(end: AttachEnd, role: PtyRole): { text: string | null; code: number } {
  switch (end.how) {
    case 'detached':
      return { text: '[detached]', code: EXIT.detached };
    case 'lost':
      return { text: '[daemon lost — coop attach to reconnect]', code: EXIT.daemonLost };
    case 'daemon-stopped':
      return { text: '[daemon stopped — coop attach to reconnect]', code: EXIT.daemonLost };
    case 'signal':
      return { text: `[detached: ${end.signal}]`, code: 128 + signalNumber(end.signal) };
    case 'epipe':
      return { text: null, code: EXIT.epipe };
    case 'exited':
      if (end.reason === 'killed') return { text: '[box killed]', code: EXIT.boxKilled };
      if (end.reason === 'crash_loop') return { text: '[agent stopped: crash loop — coop logs / coop restart]', code: EXIT.crashLoop };
      return { text: `[${role === 'shell' ? 'shell' : 'agent'} exited (${how(end.code, end.signal)})]`, code: statusOf(end.code, end.signal) };
  }
}

export interface EndWatch {
  /** How the attach is ending: `lost` until something says otherwise. */
  end: AttachEnd;
  /** Stops listening for the signals. */
  stop(): void;
}

const END_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];

/**
 * Follows how an attach ends: the PTY's exit and the daemon's `detached` are noted in `end`;
 * the stream's close or error, and SIGTERM, SIGHUP or SIGINT to this process (noted too),
 * call `finish` — except a signal that `takeSignal` takes (returns true for).
 */
export function watchEnd(stream: AttachStream, finish: () => void, takeSignal?: (sig: NodeJS.Signals) => boolean): EndWatch {
  const onSignal = (sig: NodeJS.Signals) => {
    if (takeSignal?.(sig)) return;
    watch.end = { how: 'signal', signal: sig };
    finish();
  };
  const watch: EndWatch = {
    end: { how: 'lost' },
    stop: () => {
      for (const s of END_SIGNALS) process.off(s, onSignal);
    },
  };
  for (const s of END_SIGNALS) process.on(s, onSignal);
  stream.on('pty_exited', (e) => {
    watch.end = { how: 'exited', code: e.code, signal: e.signal, reason: e.reason ?? 'exited' };
  });
  stream.on('detached', () => {
    if (watch.end.how === 'lost') watch.end = { how: 'daemon-stopped' };
  });
  stream.on('close', finish);
  stream.on('error', finish);
  return watch;
}
