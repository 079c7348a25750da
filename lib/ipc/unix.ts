// The protocol over a Unix socket: a listener with the socket safety rules of SPEC §5
// (mode 0600, created under umask 0177, a stale socket of ours replaced, anything else at
// the path — a symlink above all — refused) and every peer checked: our uid, and our user
// namespace (a box mapped to our uid is still refused).
import { chmodSync, lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { CoopError } from '../errors.js';
import { native } from '../native.js';
import { processStat } from '../sandbox/box-inits.js';

/** The fd of a connected socket (libuv pipe handle). */
export const socketFd = (s: Socket): number => (s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;

/** SO_PEERCRED of a connected Unix socket, or null when unknown. */
export function peerCred(s: Socket): { pid: number; uid: number } | null {
  const fd = socketFd(s);
  if (fd < 0) return null;
  try {
    return native().peerCred(fd);
  } catch {
    return null;
  }
}

/** Start time of a process (clock ticks since boot), or null when it is gone. */
const startTicks = (pid: number): string | null => processStat(pid)?.startTime ?? null;

/**
 * Why a peer is not one of ours, or null when it is: another uid, or a process in another
 * user namespace (a box, even one mapped to our uid), or one whose namespace cannot be read.
 */
export function foreignPeer(s: Socket): string | null {
  const fd = socketFd(s);
  const cred = peerCred(s);
  if (!cred) return 'its credentials are unknown';
  if (cred.uid !== process.getuid!()) return `it runs as uid ${cred.uid}`;
  if (cred.pid <= 0) return 'its process is outside our PID namespace';
  const started = startTicks(cred.pid);
  let peer: { ns: string; pinned: boolean };
  try {
    peer = native().peerUserNs(fd);
  } catch (e) {
    return `the user namespace of pid ${cred.pid} is unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  // Without SO_PEERPIDFD (Linux < 6.5), at least the pid must not have changed hands meanwhile.
  if (!peer.pinned && (started === null || startTicks(cred.pid) !== started)) return `pid ${cred.pid} exited while it was checked`;
  if (peer.ns !== readlinkSync('/proc/self/ns/user')) return `pid ${cred.pid} is in another user namespace (${peer.ns})`;
  return null;
}

function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Makes `path` free for a new socket, or explains why it cannot be used. */
async function clearPath(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) throw new CoopError('DAEMON_FAILED', `refusing to use ${path}: it is a symbolic link`);
  if (!st.isSocket()) throw new CoopError('DAEMON_FAILED', `refusing to use ${path}: it exists and is not a socket`);
  if (st.uid !== process.getuid!()) throw new CoopError('DAEMON_FAILED', `refusing to use ${path}: it belongs to uid ${st.uid}`);
  if (await probe(path)) throw new CoopError('DAEMON_FAILED', `another daemon is already listening on ${path}`);
  unlinkSync(path); // a stale socket left by a daemon that died
}

export interface ListenOptions {
  /** A connection from this process's own uid in its own user namespace. */
  onConnection: (socket: Socket) => void;
  /** Any other connection, already closed, and why (for the log). */
  onRefused?: (why: string, peer: { pid: number; uid: number } | null) => void;
}

/** Listens on `path` (0600). */
export async function listenUnix(path: string, opts: ListenOptions): Promise<Server> {
  await clearPath(path);
  const server = createServer((socket) => {
    const why = foreignPeer(socket);
    if (why) {
      const peer = peerCred(socket);
      socket.destroy();
      opts.onRefused?.(why, peer);
      return;
    }
    opts.onConnection(socket);
  });
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(old);
  }
  chmodSync(path, 0o600);
  return server;
}
