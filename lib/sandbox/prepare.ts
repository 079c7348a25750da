// What must exist on the host before the helper runs: $COOP_HOME and its stage
// directory, and named volumes (created on first use, seeded from a host path).
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { stageDir } from '../paths.js';
import type { VolumeToCreate } from './box-plan.js';

export function prepareHost(coopHome: string, volumes: VolumeToCreate[]): void {
  const stage = stageDir(coopHome);
  if (!existsSync(stage)) mkdirSync(stage, { recursive: true, mode: 0o700 });
  for (const v of volumes) {
    if (existsSync(v.dir)) continue;
    mkdirSync(v.dir, { recursive: true, mode: 0o755 });
    if (v.seed && existsSync(v.seed) && statSync(v.seed).isDirectory()) {
      cpSync(v.seed, v.dir, { recursive: true, preserveTimestamps: true });
    }
  }
}
