// Running the real coop CLI (the bundled dist/bin/coop.cjs) as a subprocess.
import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const COOP = fileURLToPath(new URL('../../bin/coop.cjs', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function coop(args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [COOP, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdin!.end(opts.input ?? '');
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
