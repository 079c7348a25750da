// Running a one-shot box through the library and collecting its output.
import { run } from '../../lib/boxes.js';
import type { RunOptions, RunResult } from '../../lib/sandbox/run.js';

export interface Captured extends RunResult {
  stdout: string;
  stderr: string;
}

export async function runCaptured(opts: RunOptions, input?: string): Promise<Captured> {
  const h = run({ ...opts, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  h.stdout?.on('data', (d) => (stdout += d));
  h.stderr?.on('data', (d) => (stderr += d));
  h.stdin?.on('error', () => {}); // EPIPE when the box is gone before its stdin is read
  h.stdin?.end(input ?? '');
  const r = await h; // (after the output is read to its end)
  return { ...r, stdout, stderr };
}
