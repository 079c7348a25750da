// Whose configuration files coop reads (SPEC §2, Trust): only regular files that the
// caller (or root) owns and that no other user can change — neither the file nor its
// directory writable by group or others, except a group that is the caller's own private
// group (user-private groups and umask 002, the Debian/Ubuntu default). Everything else
// is another user's file, and another user's files are never read as configuration.
import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { builtin } from '../lazy.js';

export interface OwnFile {
  /** The exact content read (what is parsed and what is hashed: one read). */
  text: string;
  /** sha256 of the exact bytes, hex. */
  sha256: string;
  /** The file's canonical path (symlinks resolved). */
  real: string;
}

/** Either the file, or why it is not the caller's own (one phrase, no trailing period). */
export type OwnRead = { ok: true; file: OwnFile } | { ok: false; reason: string };

const octal = (st: Stats) => (st.mode & 0o7777).toString(8).padStart(4, '0');

/** Fields of /etc/passwd or /etc/group, one array per line. */
function table(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/**
 * Whether gid is uid's user-private group: the group named like the user, with no
 * other member and no other account using it as its primary group.
 */
export function isPrivateGroup(uid: number, gid: number): boolean {
  const users = table('/etc/passwd');
  const me = users.find((u) => Number(u[2]) === uid);
  const group = table('/etc/group').find((g) => Number(g[2]) === gid);
  if (!me || !group || group[0] !== me[0]) return false;
  const members = (group[3] ?? '').split(',').filter(Boolean);
  if (members.some((m) => m !== me[0])) return false;
  return !users.some((u) => Number(u[3]) === gid && Number(u[2]) !== uid);
}

function writableByOthers(st: Stats, uid: number): string | null {
  if (st.mode & 0o002) return `other users can write it (mode ${octal(st)})`;
  if (st.mode & 0o020 && !isPrivateGroup(uid, st.gid)) return `its group (gid ${st.gid}) can write it (mode ${octal(st)})`;
  return null;
}

function ownerProblem(st: Stats, uid: number): string | null {
  return st.uid === uid || st.uid === 0 ? null : `it belongs to uid ${st.uid}, not to you or root`;
}

/** Why the file itself is not the caller's own, or null. */
export function fileProblem(st: Stats, uid: number): string | null {
  if (!st.isFile()) return 'it is not a regular file';
  return ownerProblem(st, uid) ?? writableByOthers(st, uid);
}

/** Why a directory lets others put or replace a file in it, or null. */
export function dirProblem(dir: string, uid: number): string | null {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (e) {
    return `its directory ${dir} cannot be checked (${(e as NodeJS.ErrnoException).code})`;
  }
  const p = ownerProblem(st, uid) ?? writableByOthers(st, uid);
  return p ? `its directory ${dir}: ${p.replace(/^it /, '')}` : null;
}

/** Reads a configuration file if it is the caller's own; never opens another user's file for long. */
export function readOwnFile(file: string, uid = process.geteuid?.() ?? 0): OwnRead {
  const fail = (reason: string): OwnRead => ({ ok: false, reason });
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    return fail(`it cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  const early = fileProblem(st, uid);
  if (early) return fail(early);
  let real: string;
  try {
    real = realpathSync(file);
  } catch (e) {
    return fail(`it cannot be resolved (${(e as NodeJS.ErrnoException).code})`);
  }
  for (const dir of new Set([dirname(file), dirname(real)])) {
    const p = dirProblem(dir, uid);
    if (p) return fail(p);
  }
  // O_NONBLOCK: a FIFO swapped in after the stat must not hang the caller; fstat decides.
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return fail(`it cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  try {
    const p = fileProblem(fstatSync(fd), uid);
    if (p) return fail(p);
    const bytes = readFileSync(fd);
    let sha256: string | undefined; // hashed when asked for (crypto is loaded only then)
    const sum = () => (sha256 ??= builtin('node:crypto').createHash('sha256').update(bytes).digest('hex'));
    return { ok: true, file: { text: bytes.toString('utf8'), get sha256() { return sum(); }, real } };
  } finally {
    closeSync(fd);
  }
}

/** The fix to suggest for a reason from readOwnFile. */
export function ownFix(file: string, reason: string): string {
  if (reason.startsWith('its directory')) return 'keep coop.toml in a directory only you can write';
  if (reason.startsWith('it belongs to')) return "other users' files are never read as configuration";
  if (reason.startsWith('it is not a regular file')) return 'coop.toml must be a regular file';
  if (reason.includes('can write it')) return `if it is yours, run: chmod go-w ${file}`;
  return 'check that you can read it';
}
