// What coop keeps on disk and how it goes away (SPEC §3): `coop system df`, `clean` and
// `prune`. A rootfs a running box stands on is never removed.
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runningBoxes } from '../sandbox/discover.js';
import { boxesDir, cacheDir, rootfsDir, volumesDir } from '../paths.js';
import { currentUser, idMappingFor } from '../sandbox/idmap.js';
import { removeBoxDir } from '../sandbox/remove.js';
import { allRecords, imagesDir, recipeKey } from './store.js';

export interface DiskUsage {
  rootfs: { hash: string; image: string | null; bytes: number; inUse: boolean }[];
  cacheBytes: number;
  volumes: { name: string; bytes: number }[];
  boxesBytes: number;
}

/** Bytes under a path (not following symlinks, hard links counted once). */
export async function sizeOf(path: string, seen = new Set<string>()): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 0;
  }
  const key = `${st.dev}:${st.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  let total = st.isDirectory() ? 0 : st.blocks * 512;
  if (st.isDirectory()) {
    let names: string[] = [];
    try {
      names = await readdir(path);
    } catch {
      return total;
    }
    for (const n of names) total += await sizeOf(join(path, n), seen);
  }
  return total;
}

const list = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();

/** Rootfs directories running boxes stand on. */
function inUse(home: string): Set<string> {
  return new Set(runningBoxes(home).map((b) => b.rootfs).filter((p): p is string => !!p));
}

export async function diskUsage(home: string): Promise<DiskUsage> {
  const records = allRecords(home);
  const used = inUse(home);
  const rootfs = [];
  for (const hash of (await list(rootfsDir(home))).filter((n) => !n.startsWith('.'))) {
    const path = join(rootfsDir(home), hash);
    rootfs.push({ hash, image: records.find((r) => r.hash === hash)?.image ?? null, bytes: await sizeOf(path), inUse: used.has(path) });
  }
  const volumes = [];
  for (const name of await list(volumesDir(home))) volumes.push({ name, bytes: await sizeOf(join(volumesDir(home), name)) });
  return { rootfs, cacheBytes: await sizeOf(cacheDir(home)), volumes, boxesBytes: await sizeOf(boxesDir(home)) };
}

export interface CleanResult {
  removed: string[];
  freedBytes: number;
}

/**
 * `clean`: rootfs that newer builds of the same image replaced, those no record names, and
 * leftovers of interrupted builds; with `all`, every rootfs no running box uses. Records
 * of removed rootfs go too (their configurations build again when used).
 */
export async function clean(home: string, all = false): Promise<CleanResult> {
  const used = inUse(home);
  const records = allRecords(home);
  // The newest build of each image stays; older ones (other setup, an older digest) go.
  const newest = new Map<string, { hash: string; built: string }>();
  for (const r of records) if ((newest.get(r.image)?.built ?? '') < r.built) newest.set(r.image, r);
  const current = new Set([...newest.values()].map((r) => r.hash));
  const out: CleanResult = { removed: [], freedBytes: 0 };
  const idmap = idMappingFor(currentUser());
  for (const name of await list(rootfsDir(home))) {
    const path = join(rootfsDir(home), name);
    const leftover = name.startsWith('.');
    if (used.has(path) || (!leftover && !all && current.has(name))) continue;
    out.freedBytes += await sizeOf(path);
    await removeBoxDir(path, idmap);
    out.removed.push(`rootfs/${name}`);
    if (!leftover) {
      for (const r of records.filter((x) => x.hash === name)) await rm(join(imagesDir(home), `${recipeKey(r)}.json`), { force: true });
    }
  }
  return out;
}

/** `prune`: what `clean` removes, the download cache (layers come again when needed) and cached build steps. */
export async function prune(home: string): Promise<CleanResult> {
  const out = await clean(home, false);
  const steps = join(home, 'steps');
  for (const name of await list(steps)) {
    const path = join(steps, name);
    out.freedBytes += await sizeOf(path);
    await removeBoxDir(path, idMappingFor(currentUser()));
    out.removed.push(`steps/${name.slice(0, 12)}`);
  }
  const dir = cacheDir(home);
  for (const name of await list(dir)) {
    const path = join(dir, name);
    out.freedBytes += await sizeOf(path);
    await rm(path, { recursive: true, force: true });
    out.removed.push(`cache/${name}`);
  }
  return out;
}
