// The user's terminal while a box's command runs on a terminal of its own: raw mode (the
// box's terminal does the line editing), window size changes passed on, and the mode put
// back however the command ends.
import type { RunHandle, RunResult } from '../../lib/sandbox/run.js';

export async function withRawTerminal(box: RunHandle): Promise<RunResult> {
  const stdin = process.stdin;
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  const onResize = () => box.kill('SIGWINCH');
  process.stdout.on('resize', onResize);
  try {
    return await box;
  } finally {
    process.stdout.off('resize', onResize);
    stdin.setRawMode(wasRaw);
  }
}
