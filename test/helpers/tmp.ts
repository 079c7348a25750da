// Temporary directories owned by whoever runs the test (root or the CI's ordinary users).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

export function tmp(prefix = 'coop-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes what tmp() made (best effort; box uppers are removed by coop itself). */
export function cleanupTmp(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

process.on('exit', cleanupTmp);
