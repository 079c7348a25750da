// Which directory a box's root comes from, for an image source of coop.toml: resolved here,
// above the sandbox, which takes the result (a path, or the host's layout).
import { realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SandboxSection } from '../config/types.js';
import { CoopError } from '../errors.js';
import { rootfsDir } from '../paths.js';
import type { RootfsSource } from '../sandbox/box-plan.js';
import { scanHost } from '../sandbox/host-image.js';
import { allRecords, readRecord, recipeFor } from './store.js';

export interface RootfsOptions {
  /** Directory relative `dir:` paths resolve against (the coop.toml's). */
  baseDir: string;
  coopHome: string;
}

/** The rootfs for the sandbox's image; built images are looked up in the image store. Throws CoopError. */
export function resolveRootfs(sandbox: Pick<SandboxSection, 'image' | 'packages' | 'setup'>, opts: RootfsOptions): RootfsSource {
  const image = sandbox.image;
  if (image === 'host') return { kind: 'host', layout: scanHost() };
  if (image.startsWith('dir:')) {
    const path = resolve(opts.baseDir, image.slice(4));
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new CoopError('CONFIG_INVALID', `image dir:${image.slice(4)}: ${path} does not exist`);
    }
    if (!st.isDirectory()) throw new CoopError('CONFIG_INVALID', `image dir:${image.slice(4)}: ${path} is not a directory`);
    return { kind: 'dir', path: realpathSync(path) };
  }
  const found = recipeFor(sandbox, opts.baseDir);
  const rec = found && readRecord(opts.coopHome, found.recipe);
  if (rec) return { kind: 'dir', path: join(rootfsDir(opts.coopHome), rec.hash) };
  const same = found && allRecords(opts.coopHome).some((r) => r.image === found.recipe.image);
  throw new CoopError(
    'ROOTFS_NOT_BUILT',
    same ? `image "${image}": packages or setup changed since it was built; run \`coop build\``
      : `image "${image}" is not built yet; run \`coop build\``,
  );
}
