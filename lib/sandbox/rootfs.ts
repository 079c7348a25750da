// Which directory a box's root comes from, for an image source of coop.toml.
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CoopError } from '../errors.js';
import type { RootfsSource } from './box-plan.js';
import { scanHost } from './host-image.js';

export interface RootfsOptions {
  /** Directory relative `dir:` paths resolve against (the coop.toml's). */
  baseDir: string;
}

/** The rootfs for `image`; built images are looked up by the image store. */
export function resolveRootfs(image: string, opts: RootfsOptions): RootfsSource {
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
  throw new CoopError('ROOTFS_NOT_BUILT', `image "${image}" has no built rootfs; run \`coop build\``);
}

/** The host directory to read rootfs files from (accounts, shells). */
export const rootfsDirOf = (r: RootfsSource) => (r.kind === 'host' ? '/' : r.path);
