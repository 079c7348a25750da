// Looking at files of a root filesystem from the host, resolving symlinks as the box
// would (an absolute link target means the box's "/", never the host's). A rootfs is
// untrusted input: /etc/passwd may be a link to the host user's private key.
import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const MAX_LINKS = 40;

/**
 * Resolves `boxPath` as the box would, every symlink followed inside the box (an absolute
 * target restarts at the box's "/"): `hostOf` maps a box path to the host path behind it
 * (null: the box does not have it); `passThrough` names directories that exist only to hold
 * a mount point, taken as they are. Returns the box path reached, or null.
 */
export function walkBoxPath(boxPath: string, hostOf: (p: string) => string | null, passThrough: (p: string) => boolean = () => false): string | null {
  let parts = boxPath.split('/').filter((p) => p && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '..') {
      done.pop();
      continue;
    }
    const here = `/${[...done, name].join('/')}`;
    if (passThrough(here)) {
      done.push(name);
      continue;
    }
    const host = hostOf(here);
    if (!host) return null;
    let st: Stats;
    try {
      st = lstatSync(host);
    } catch {
      return null;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return null;
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      parts = [...target.split('/').filter((p) => p && p !== '.'), ...parts];
      continue;
    }
    if (parts.length && !st.isDirectory()) return null;
    done.push(name);
  }
  return `/${done.join('/')}`;
}

/** Host path of `boxPath` inside `root`, with every symlink resolved within root; null if absent. */
export function resolveInRoot(root: string, boxPath: string): string | null {
  const reached = walkBoxPath(boxPath, (p) => join(root, p));
  return reached === null ? null : reached === '/' ? root : join(root, reached);
}

/** Contents of a regular file of the rootfs, or null when absent or not a regular file. */
export function readFileInRoot(root: string, boxPath: string): string | null {
  const host = resolveInRoot(root, boxPath);
  if (!host) return null;
  try {
    if (!lstatSync(host).isFile()) return null;
    return readFileSync(host, 'utf8');
  } catch {
    return null;
  }
}

/** True when boxPath is a directory of the rootfs reached without following a symlink. */
export function isPlainDirInRoot(root: string, boxPath: string): boolean {
  const host = resolveInRoot(root, boxPath);
  try {
    return host === join(root, boxPath) && lstatSync(host).isDirectory();
  } catch {
    return false;
  }
}

/** True when boxPath names an executable regular file of the rootfs. */
export function isExecutableInRoot(root: string, boxPath: string): boolean {
  const host = resolveInRoot(root, boxPath);
  if (!host) return false;
  try {
    const st = lstatSync(host);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}
