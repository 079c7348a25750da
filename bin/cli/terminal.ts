// Relaying the user's terminal to a box's pseudo-terminal: raw mode, window size, and
// the terminal put back the way it was however the relay ends.
import type { PtyRun } from '../../lib/sandbox/run-pty.js';
import type { RunResult } from '../../lib/sandbox/run.js';

export async function relayTerminal(box: PtyRun): Promise<RunResult> {
  const stdin = process.stdin;
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  stdin.resume();
  const onInput = (d: Buffer) => box.write(d);
  const onResize = () => box.resize(process.stdout.columns, process.stdout.rows);
  const forward = (sig: NodeJS.Signals) => box.kill(sig);
  stdin.on('data', onInput);
  process.stdout.on('resize', onResize);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  box.onData((d) => process.stdout.write(d));
  try {
    return await box.done;
  } finally {
    stdin.off('data', onInput);
    process.stdout.off('resize', onResize);
    process.off('SIGTERM', forward);
    process.off('SIGHUP', forward);
    stdin.setRawMode(wasRaw);
    stdin.pause();
  }
}
