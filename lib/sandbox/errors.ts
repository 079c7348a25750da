// Turning the helper's error reports into one line that names the syscall, the path,
// the reason and — where we can tell — the fix.
import { readFileSync } from 'node:fs';
import { getSystemErrorName } from 'node:util';
import { CoopError } from '../errors.js';

/** A failure reported by coop-helper. */
export interface HelperFailure {
  syscall: string;
  path: string;
  errno: number;
  message: string;
}

/** A CoopError (SANDBOX_FAILED) from coop-helper: the system call, its path and errno. */
export class SandboxError extends CoopError {
  readonly syscall: string;
  readonly path: string;
  readonly errno: number;
  /** e.g. "EPERM", or "" when the failure is not an errno. */
  readonly errnoName: string;
  /** The bare reason (e.g. "Operation not permitted"). */
  readonly reason: string;
  constructor(f: HelperFailure, hint: string | null) {
    const where = f.path ? ` ${f.path}` : '';
    super('SANDBOX_FAILED', `${f.syscall}${where}: ${f.message}${hint ? ` — ${hint}` : ''}`);
    this.name = 'SandboxError';
    this.syscall = f.syscall;
    this.path = f.path;
    this.errno = f.errno;
    this.errnoName = f.errno > 0 ? safeName(f.errno) : '';
    this.reason = f.message;
  }
}

function safeName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return '';
  }
}

const readSysctl = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
};

const SEE = 'see docs/troubleshooting.md';

/** Why user namespaces cannot be created here, or null when nothing explains it. */
export function userNamespaceBlocker(sysctl = readSysctl): string | null {
  if (sysctl('/proc/sys/user/max_user_namespaces') === '0') {
    return 'user namespaces are disabled (user.max_user_namespaces = 0); enable them with `sudo sysctl -w user.max_user_namespaces=15000`';
  }
  if (sysctl('/proc/sys/kernel/unprivileged_userns_clone') === '0') {
    return 'unprivileged user namespaces are disabled; enable them with `sudo sysctl -w kernel.unprivileged_userns_clone=1`';
  }
  if (sysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns') === '1') {
    return 'AppArmor restricts unprivileged user namespaces; allow them with `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile for node';
  }
  return null;
}

/** The fix for a failure, when one is known. */
export function hintFor(f: HelperFailure, sysctl = readSysctl): string | null {
  const blocked = userNamespaceBlocker(sysctl);
  if (f.syscall === 'clone' && f.path.includes('user')) {
    return `${blocked ?? 'this system does not allow creating user namespaces'}; ${SEE}`;
  }
  if (f.syscall.startsWith('newuidmap') || f.syscall.startsWith('newgidmap') || f.syscall.includes('/newuidmap') || f.syscall.includes('/newgidmap')) {
    return `the subordinate id range in /etc/subuid and /etc/subgid could not be used; check both files list your user; ${SEE}`;
  }
  if (f.syscall.startsWith('mount overlay') && (f.errno === 1 || f.errno === 22)) {
    return `overlayfs inside a user namespace needs Linux 5.11 or newer and a filesystem that supports it for $COOP_HOME; ${SEE}`;
  }
  if (f.syscall.startsWith('mount proc') && f.errno === 1) {
    return `the host's /proc is partly covered (is coop running inside a container?); coop needs a fully visible /proc; ${SEE}`;
  }
  if (f.syscall.startsWith('mount bind') && f.errno === 2) return 'the mount source does not exist';
  return null;
}

export function toSandboxError(f: HelperFailure): SandboxError {
  return new SandboxError(f, hintFor(f));
}
