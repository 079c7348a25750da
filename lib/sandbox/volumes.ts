// Named volumes ($COOP_HOME/volumes/NAME, SPEC §4.5): which running boxes use one, and
// removing one no running box uses.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VOLUME_NAME } from '../config/mounts.js';
import { CoopError } from '../errors.js';
import { boxPaths, volumesDir } from '../paths.js';
import { readConfigRecord } from './config-record.js';
import { runningBoxes } from './discover.js';
import { currentUser, idMappingFor } from './idmap.js';
import { removeBoxDir } from './remove.js';

/** Volume name -> names of running boxes that mount it. */
export function volumeUsers(coopHome: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const box of runningBoxes(coopHome)) {
    let mounts;
    try {
      mounts = readConfigRecord(boxPaths(coopHome, box.name)).config.sandbox.mounts;
    } catch {
      continue; // (a box of the library, not the daemon's: it has no record)
    }
    for (const m of mounts) if (m.kind === 'volume') users.set(m.name, [...(users.get(m.name) ?? []), box.name]);
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
