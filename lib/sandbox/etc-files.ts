// Files coop writes into a box's /etc: an account for the in-box user, hostname, hosts.
import { readFileInRoot } from './in-root.js';

/** /etc/passwd with `user` as the name of uid 0, listed first so lookups of uid 0 find it. */
export function passwdFor(base: string | null, user: string, home: string, shell: string): string {
  const lines = (base ?? 'root:x:0:0:root:/root:/bin/sh\n').split('\n').filter(Boolean);
  if (user === 'root') return lines.join('\n') + '\n';
  const others = lines.filter((l) => l.split(':')[0] !== user);
  return [`${user}:x:0:0:${user}:${home}:${shell}`, ...others].join('\n') + '\n';
}

/** /etc/group with a group named `user` for gid 0, listed first. */
export function groupFor(base: string | null, user: string): string {
  const lines = (base ?? 'root:x:0:\n').split('\n').filter(Boolean);
  if (user === 'root') return lines.join('\n') + '\n';
  return [`${user}:x:0:`, ...lines.filter((l) => l.split(':')[0] !== user)].join('\n') + '\n';
}

/**
 * apt drops privileges to its `_apt` user for downloads; in a box that has only one user id
 * (no subordinate range) that user does not exist, so apt must stay root there. Written to
 * /etc/apt/apt.conf.d of such boxes and build steps.
 */
export const APT_ONE_ID = {
  path: 'apt/apt.conf.d/00coop-one-id',
  content: '// Written by coop: this box has a single user id, so apt cannot switch to _apt.\nAPT::Sandbox::User "root";\n',
};

export function hostsFor(hostname: string): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname}\n`;
}

const SHELL_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** Path of `shell` inside the rootfs (a name is looked up like PATH would), else /bin/sh. */
export function resolveShell(rootfs: string, shell: string, isExec: (root: string, p: string) => boolean): string {
  const candidates = shell.startsWith('/') ? [shell] : SHELL_DIRS.map((d) => `${d}/${shell}`);
  return candidates.find((p) => isExec(rootfs, p)) ?? '/bin/sh';
}

/** The rootfs's own /etc/passwd and /etc/group (symlinks resolved inside the rootfs). */
export function baseAccounts(rootfs: string) {
  return { passwd: readFileInRoot(rootfs, '/etc/passwd'), group: readFileInRoot(rootfs, '/etc/group') };
}
