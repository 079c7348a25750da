// The protocol over a Unix socket: a listener with the socket safety rules of SPEC §5
// (mode 0600, created under umask 0177, a stale socket of ours replaced, anything else at
// the path — a symlink above all — refused) and the peer's uid checked on every connection.
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { CoopError } from '../errors.js';
import { native } from '../native.js';

/** The fd of a connected socket (libuv pipe handle). */
export const socketFd = (s: Socket): number => (s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;

/** The uid at the other end of a connected Unix socket, or null when unknown. */
export function peerUid(s: Socket): number | null {
  const fd = socketFd(s);
  if (fd < 0) return null;
  try {
    return native().peerCred(fd).uid;
  } catch {
    return null;
  }
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
  /** A connection from this process's own uid. */
  onConnection: (socket: Socket) => void;
  /** A connection from another uid, already closed (for the log). */
  onRefused?: (uid: number | null) => void;
}

/** Listens on `path` (0600). */
export async function listenUnix(path: string, opts: ListenOptions): Promise<Server> {
  await clearPath(path);
  const me = process.getuid!();
  const server = createServer((socket) => {
    const uid = peerUid(socket);
    if (uid !== me) {
      socket.destroy();
      opts.onRefused?.(uid);
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
