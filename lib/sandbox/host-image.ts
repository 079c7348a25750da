// The built-in `host` image (SPEC §3): the host's own system, read-only, as the base.
// Overlayfs refuses `/` itself as a lower layer inside a user namespace (it has locked
// submounts such as /proc), so each shared top-level directory gets an overlay of its
// own over a per-box skeleton root. Directories with submounts of their own are bound
// read-only instead. Everything else of the host (/home, /root, /tmp, /run, /mnt, /media,
// /boot, any other top-level directory) is absent or empty, and secrets are hidden.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Top-level host directories a `host` box sees (read-only, writes go to the box's overlay). */
export const HOST_SHARED = ['usr', 'etc', 'opt', 'var', 'srv', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'nix'];

/** Empty directories of the skeleton root (the host's contents stay invisible). */
export const HOST_EMPTY = ['home', 'root', 'tmp', 'run', 'mnt', 'media', 'proc', 'sys', 'dev'];

export type HostEntry =
  | { name: string; kind: 'symlink'; target: string }
  | { name: string; kind: 'overlay' }
  | { name: string; kind: 'bind' };

export interface HostLayout {
  entries: HostEntry[];
  /** Box paths of secret files that exist on the host and must not be visible. */
  secrets: string[];
}

/** Mount points listed in a /proc/PID/mountinfo text. */
export function mountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

function secretFiles(hostRoot: string): string[] {
  const out = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/security/opasswd'];
  const listed = (dir: string, match: RegExp) => {
    try {
      return readdirSync(join(hostRoot, dir)).filter((n) => match.test(n)).map((n) => `${dir}/${n}`);
    } catch {
      return [];
    }
  };
  out.push(...listed('/etc/ssh', /^ssh_host_.*_key$/), ...listed('/var/backups', /shadow/));
  return out.filter((p) => {
    try {
      lstatSync(join(hostRoot, p));
      return true;
    } catch {
      return false;
    }
  });
}

/** Reads the host's top level and mount table into a layout for `host` boxes. */
export function scanHost(hostRoot = '/', mountinfoPath = '/proc/self/mountinfo'): HostLayout {
  const points = mountPoints(readFileSync(mountinfoPath, 'utf8'));
  const entries: HostEntry[] = [];
  for (const name of HOST_SHARED) {
    const path = join(hostRoot, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) entries.push({ name, kind: 'symlink', target: readlinkSync(path) });
    else if (st.isDirectory()) {
      const below = `/${name}/`;
      entries.push({ name, kind: points.some((p) => p.startsWith(below)) ? 'bind' : 'overlay' });
    }
  }
  return { entries, secrets: secretFiles(hostRoot) };
}
