// execInBox(): a process in a running box as a promise with streams, the shape run() has
// (execa's subprocess): await it for how the process ended; read and write its stdio.
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { spawnInBox, type Box, type BoxProcess } from './box.js';

export interface ExecOptions extends BoxProcess {
  /** 'pipe' (default): the handle's stdin/stdout/stderr are streams; 'inherit': the caller's; 'ignore': /dev/null. */
  stdio?: 'pipe' | 'inherit' | 'ignore';
}

export interface ExecResult {
  /** Exit code of the process, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started (code 126/127): one line saying why. */
  failure?: string;
}

export interface ExecHandle extends Promise<ExecResult> {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Passes a signal to the process. */
  kill(signal?: NodeJS.Signals): void;
}

/** Waits for piped output that someone reads to be read to its end (unread output is not waited for). */
async function drained(streams: (Readable | null)[]): Promise<void> {
  await Promise.all(streams.map((s) => (s && s.readableFlowing ? finished(s).catch(() => {}) : undefined)));
}

/**
 * Starts a process in a running box. Resolves with how it ended (a command that does not
 * exist: code 127 and `failure`); rejects with a SandboxError when the box cannot be entered
 * (e.g. it is gone).
 */
export function execInBox(box: Box, opts: ExecOptions): ExecHandle {
  const { stdio = 'pipe', ...proc } = opts;
  const h = spawnInBox(box, proc, [stdio, stdio, stdio]);
  const { stdin, stdout, stderr } = h.child;
  const promise = h.outcome.then(async (o): Promise<ExecResult> => {
    await drained([stdout, stderr]);
    const { code, signal } = o.helper;
    if (o.error?.syscall === 'execve') return { code, signal, failure: `${o.error.path}: ${o.error.reason}` };
    if (o.error && code === 125) throw o.error;
    return { code, signal };
  });
  return Object.assign(promise, { stdin, stdout, stderr, kill: (signal?: NodeJS.Signals) => h.kill(signal) });
}
