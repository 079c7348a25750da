// Carries out a Preparation (see box-plan.ts) on the host, as the invoking user.
import { chmodSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { native } from '../native.js';
import type { Preparation } from './box-plan.js';

export function prepare(prep: Preparation): void {
  for (const d of prep.dirs) {
    mkdirSync(d.path, { recursive: true, mode: d.mode });
    chmodSync(d.path, d.mode);
  }
  for (const f of prep.files) writeFileSync(f.path, f.content, { mode: f.mode });
  for (const w of prep.whiteouts) native().mknodWhiteout(w);
  for (const v of prep.volumes) {
    if (existsSync(v.dir)) continue;
    mkdirSync(v.dir, { recursive: true, mode: 0o755 });
    if (v.seed && existsSync(v.seed)) cpSync(v.seed, v.dir, { recursive: true, preserveTimestamps: true });
  }
}
