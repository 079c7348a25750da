// Named volumes ($COOP_HOME/volumes/NAME, SPEC §4.5): which running boxes use one, and
// removing one no running box uses.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMountEntry } from '../config/mounts.js';
import type { CoopConfig } from '../config/types.js';
import { runningBoxes } from './discover.js';
import { CoopError } from '../errors.js';
import { boxPaths, volumesDir } from '../paths.js';
import { currentUser, idMappingFor } from './idmap.js';
import { removeBoxDir } from './remove.js';

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Volume name -> names of running boxes that mount it. */
export function volumeUsers(coopHome: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const box of runningBoxes(coopHome)) {
    let config: CoopConfig;
    try {
      config = (JSON.parse(readFileSync(boxPaths(coopHome, box.name).served, 'utf8')) as { config: CoopConfig }).config;
    } catch {
      continue;
    }
    for (const entry of config.sandbox.mounts) {
      try {
        const m = parseMountEntry(entry, config.workspace.mount);
        if (m.kind === 'volume') users.set(m.name, [...(users.get(m.name) ?? []), box.name]);
      } catch {
        // validated when the box was made
      }
    }
  }
  return users;
}

/** Deletes a named volume; refused while a running box mounts it. */
export async function removeVolume(coopHome: string, name: string): Promise<void> {
  const dir = join(volumesDir(coopHome), name);
  if (!VOLUME_NAME.test(name) || !existsSync(dir)) throw new CoopError('BAD_ARGUMENTS', `no volume named ${name} (\`coop system volumes\` lists them)`);
  const users = volumeUsers(coopHome).get(name);
  if (users?.length) throw new CoopError('BAD_ARGUMENTS', `volume ${name} is in use by ${users.join(', ')}; kill ${users.length > 1 ? 'those boxes' : 'that box'} first`);
  await removeBoxDir(dir, idMappingFor(currentUser()));
}
