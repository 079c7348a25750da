// Before a client says anything to a daemon (its requests carry [env] secrets): the socket
// and $COOP_HOME must be the caller's own and writable by no one else (SPEC §5), so that
// no other user can have put a listener there or swap one in.
import { lstatSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { CoopError } from '../errors.js';

const octal = (st: Stats) => `0${(st.mode & 0o7777).toString(8)}`;

function refuse(path: string, why: string, fix: string): never {
  throw new CoopError('DAEMON_FAILED', `refusing to use ${path}: ${why}; ${fix}`);
}

function statOrNull(path: string, follow: boolean): Stats | null {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CoopError('DAEMON_FAILED', `cannot check ${path}: ${(e as Error).message}`);
  }
}

/** $COOP_HOME (when it exists): a directory of the caller's, writable by no one else. */
export function checkCoopHome(home: string): void {
  const uid = process.getuid!();
  const st = statOrNull(home, true);
  if (!st) return;
  if (!st.isDirectory()) refuse(home, 'it is not a directory', 'set COOP_HOME to a directory of your own');
  if (st.uid !== uid) refuse(home, `it belongs to uid ${st.uid} (mode ${octal(st)}), not to you (uid ${uid})`, 'set COOP_HOME to a directory of your own');
  if (st.mode & 0o022) refuse(home, `group or others can write to it (mode ${octal(st)})`, `run \`chmod go-w ${home}\``);
}

/**
 * A daemon socket (when it exists): a socket of the caller's, writable by no one else, in a
 * directory others cannot replace it in (theirs, root's, or sticky).
 */
export function checkSocket(path: string): void {
  const uid = process.getuid!();
  const dir = dirname(path);
  const d = statOrNull(dir, true);
  if (d && d.uid !== uid && d.uid !== 0) refuse(path, `its directory ${dir} belongs to uid ${d.uid}`, 'use a socket in a directory of your own');
  if (d && d.mode & 0o022 && !(d.mode & 0o1000)) refuse(path, `others can write to its directory ${dir} (mode ${octal(d)})`, `run \`chmod go-w ${dir}\``);
  const st = statOrNull(path, false);
  if (!st) return;
  if (st.isSymbolicLink()) refuse(path, 'it is a symbolic link', 'remove it (the daemon makes a new socket)');
  if (!st.isSocket()) refuse(path, 'it is not a socket', 'remove it (the daemon makes a new socket)');
  if (st.uid !== uid) refuse(path, `it belongs to uid ${st.uid} (mode ${octal(st)}), not to you (uid ${uid})`, 'remove it, or set COOP_HOME to a directory of your own');
  if (st.mode & 0o022) refuse(path, `group or others can write to it (mode ${octal(st)})`, `remove it (the daemon makes a new one) or run \`chmod 600 ${path}\``);
}
