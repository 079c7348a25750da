// `coop doctor`'s checks that only look: the kernel, the three switches that turn user
// namespaces off, subordinate ids and the tools that map them, pasta/slirp4netns, cgroup v2
// delegation, $COOP_HOME. Each says ok, warning or failing with the fix, in the words of the
// one-line errors coop gives when the same thing stops a box.
import { accessSync, constants, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { checkCoopHome } from '../client/safe-path.js';
import { CGROUP_FIX, cgroupSubtree } from '../sandbox/cgroup.js';
import { userNamespaceBlocker } from '../sandbox/errors.js';
import { currentUser, findProgram, readSubidRange } from '../sandbox/idmap.js';

export type CheckStatus = 'ok' | 'warning' | 'failing';

/** One line of `coop doctor`: what was checked, how it stands, and the fix when it is not ok. */
export interface HostCheck {
  name: string;
  status: CheckStatus;
  message: string;
  /** The box start: how long it took, in milliseconds. */
  ms?: number;
}

const SEE = 'see docs/troubleshooting.md';
const check = (name: string, status: CheckStatus, message: string): HostCheck => ({ name, status, message });

const readSysctl = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
};

/** Linux 5.12 or newer: overlayfs in user namespaces (5.11) and id-mapped mounts (5.12). */
export function kernelCheck(version = release()): HostCheck {
  const m = /^(\d+)\.(\d+)/.exec(version);
  const ok = m !== null && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 12));
  return ok
    ? check('kernel', 'ok', `Linux ${version}`)
    : check('kernel', 'failing', `Linux ${version}: coop needs Linux 5.12 or newer (overlayfs in user namespaces, id-mapped mounts); upgrade the kernel`);
}

const SWITCHES: [name: string, path: string, off: string][] = [
  ['user.max_user_namespaces', '/proc/sys/user/max_user_namespaces', '0'],
  ['kernel.unprivileged_userns_clone', '/proc/sys/kernel/unprivileged_userns_clone', '0'],
  ['kernel.apparmor_restrict_unprivileged_userns', '/proc/sys/kernel/apparmor_restrict_unprivileged_userns', '1'],
];

/**
 * The three switches of docs/troubleshooting.md, one line each, with the words of the error a
 * box gets when one of them is off (userNamespaceBlocker, asked about that switch alone).
 */
export function userNamespaceSwitches(sysctl = readSysctl): HostCheck[] {
  return SWITCHES.map(([name, path, off]) => {
    const value = sysctl(path);
    if (value === null) return check(name, 'ok', 'not present on this kernel');
    const blocker = userNamespaceBlocker((p) => (p === path ? value : null));
    if (value !== off || !blocker) return check(name, 'ok', value);
    // The last two only hold back unprivileged users: root creates user namespaces anyway.
    if (name !== SWITCHES[0]![0] && process.getuid!() === 0) return check(name, 'ok', `${value} (holds back ordinary users, not root)`);
    return check(name, 'failing', `${value}: ${blocker}`);
  });
}

/** The caller's range in /etc/subuid and /etc/subgid (several users inside a box), and the tools that map it. */
export function idChecks(env: NodeJS.ProcessEnv = process.env): HostCheck[] {
  const user = currentUser();
  const uid = readSubidRange('/etc/subuid', user);
  const gid = readSubidRange('/etc/subgid', user);
  const range = uid && gid;
  const out: HostCheck[] = [];
  if (range) out.push(check('subordinate ids', 'ok', `${user.name}: uids ${uid.start}-${uid.start + uid.count - 1}, gids ${gid.start}-${gid.start + gid.count - 1}`));
  else {
    const missing = [uid ? null : '/etc/subuid', gid ? null : '/etc/subgid'].filter(Boolean).join(' and ');
    out.push(check('subordinate ids', 'warning', `no range for ${user.name} in ${missing}: everything in a box belongs to one user (images are unpacked as yours); add 65536 ids no one else uses for ${user.name} to both (\`sudo usermod --add-subuids FROM-TO --add-subgids FROM-TO ${user.name}\`); ${SEE}`));
  }
  const tools = ['newuidmap', 'newgidmap'].map((t) => findProgram(t, env.PATH ?? ''));
  const label = 'newuidmap/newgidmap';
  if (user.uid === 0) out.push(check(label, 'ok', 'not needed: root writes its id maps itself'));
  else if (tools.every(Boolean)) out.push(check(label, 'ok', tools.join(', ')));
  else if (range) out.push(check(label, 'failing', `not found: boxes map only your own id although /etc/subuid gives you a range; install them (Debian/Ubuntu: \`sudo apt install uidmap\`); ${SEE}`));
  else out.push(check(label, 'warning', 'not found (needed only with a range in /etc/subuid); install them with `sudo apt install uidmap` (Debian/Ubuntu)'));
  return out;
}

/** pasta or slirp4netns: the network of boxes with network.mode "private". */
export function networkToolsCheck(env: NodeJS.ProcessEnv = process.env): HostCheck {
  const found = ['pasta', 'slirp4netns'].map((t) => findProgram(t, env.PATH ?? '')).filter(Boolean);
  if (found.length) return check('pasta/slirp4netns', 'ok', found.join(', '));
  return check('pasta/slirp4netns', 'warning', 'neither is installed: boxes can use network.mode "host" or "none" only; install passt (Debian/Ubuntu: `sudo apt install passt`) or slirp4netns');
}

/** A cgroup v2 subtree delegated to the caller: what sandbox.memory and sandbox.pids need. */
export function cgroupCheck(): HostCheck {
  const name = 'cgroup v2';
  const { parent, problem } = cgroupSubtree(['memory', 'pids']);
  if (problem || !parent) return check(name, 'warning', `${problem}: sandbox.memory and sandbox.pids cannot be used; ${CGROUP_FIX}`);
  try {
    accessSync(parent, constants.W_OK);
    accessSync(join(parent, 'cgroup.subtree_control'), constants.W_OK);
  } catch {
    return check(name, 'warning', `${parent} is not delegated to you (not writable): sandbox.memory and sandbox.pids cannot be used; ${CGROUP_FIX}`);
  }
  return check(name, 'ok', `${parent} (memory, pids)`);
}

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlay', 0x6969: 'nfs',
  0xff534d42: 'cifs', 0x65735546: 'fuse', 0x2fc12fc1: 'zfs', 0x858458f6: 'ramfs', 0x4d44: 'vfat', 0xf15f: 'ecryptfs',
};

/** $COOP_HOME: the caller's own, not writable by others, and writable (made when missing). */
export function coopHomeCheck(home: string): HostCheck {
  const name = '$COOP_HOME';
  try {
    checkCoopHome(home);
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const probe = join(home, `.doctor-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return check(name, 'failing', err.code && err.syscall ? `${home}: cannot write to it (${err.code}); set COOP_HOME to a directory of your own` : err.message);
  }
  let type = 'unknown';
  try {
    const t = statfsSync(home).type;
    type = FS_TYPES[t] ?? `0x${t.toString(16)}`;
  } catch {
    // the type is only information
  }
  return check(name, 'ok', `${home} (${type})`);
}
