// Reaching the daemon, starting it when it is not there (SPEC §5): connect; on ENOENT or
// ECONNREFUSED take $COOP_HOME/daemon.lock, try again, start the daemon detached and wait
// up to 5 s for its socket. Ten clients started at once yield exactly one daemon.
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CoopError } from '../errors.js';
import { native, packageRoot } from '../native.js';
import { coopHome as defaultHome, daemonPaths } from '../paths.js';
import { Connection } from './connection.js';
import { checkCoopHome } from './safe-path.js';
import { builtin } from '../lazy.js';

/**
 * Where Client.connect finds the daemon: `coopHome` (default $COOP_HOME or ~/.coop), its
 * `socket`, whether to `spawn` it when none answers (default true), and the `env` to take
 * COOP_HOME and the daemon's PATH, HOME and LANG from.
 *
 * @example
 *   const client = await Client.connect({ coopHome: '/tmp/coop-ci', spawn: false } satisfies ConnectOptions);
 */
export interface ConnectOptions {
  /** State directory (default $COOP_HOME or ~/.coop). */
  coopHome?: string;
  /** Socket path (default $COOP_HOME/sock). */
  socket?: string;
  /** Start the daemon when none answers (default true). */
  spawn?: boolean;
  /** Environment to take COOP_HOME and the daemon's PATH/HOME/LANG from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const START_TIMEOUT_MS = 5000;
const NOT_RUNNING = 'the coop daemon is not running';

/** True for connect's error when no daemon answers (with `spawn: false`), not for a refused socket. */
export const daemonNotRunning = (e: unknown) => e instanceof CoopError && e.code === 'DAEMON_FAILED' && e.message === NOT_RUNNING;
const absent = (e: unknown) => ['ENOENT', 'ECONNREFUSED'].includes((e as NodeJS.ErrnoException).code ?? '');

/** The daemon's entry script. */
export const daemonEntry = () => join(packageRoot, 'dist', 'bin', 'coop-daemon.cjs');

function startDaemon(home: string, socket: string, env: NodeJS.ProcessEnv): ChildProcess {
  const { log } = daemonPaths(home);
  mkdirSync(dirname(log), { recursive: true, mode: 0o700 });
  const out = openSync(log, 'a', 0o600);
  // Only what the daemon needs: never the caller's other variables (they may hold secrets).
  // XDG_CONFIG_HOME: where the caller's trust records and global coop.toml are (a web
  // client's `create` loads a workspace's configuration in the daemon).
  const keep = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'TMPDIR', 'XDG_CONFIG_HOME', 'COOP_DAEMON_IDLE_MS'];
  const daemonEnv: Record<string, string> = { COOP_HOME: home, COOP_SOCKET: socket };
  for (const k of keep) if (env[k] !== undefined) daemonEnv[k] = env[k]!;
  const child = builtin('node:child_process').spawn(process.execPath, [daemonEntry()], { detached: true, stdio: ['ignore', out, out], cwd: '/', env: daemonEnv });
  child.unref();
  closeSync(out);
  return child;
}

/** The daemon's last words in its log (it writes "coop daemon: <why>" when it cannot start). */
function lastLogLine(log: string): string | null {
  try {
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const line = lines.at(-1) ?? '';
    return line.startsWith('coop daemon: ') ? line.slice('coop daemon: '.length) : null;
  } catch {
    return null;
  }
}

async function waitForSocket(socket: string, log: string, daemon: ChildProcess): Promise<Connection> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      return await Connection.open(socket);
    } catch (e) {
      if (e instanceof CoopError) throw e; // refused before connecting
      if (daemon.exitCode !== null) {
        throw new CoopError('DAEMON_FAILED', `the coop daemon could not start: ${lastLogLine(log) ?? `it exited with code ${daemon.exitCode}`} (log: ${log})`);
      }
      if (!absent(e) || Date.now() > deadline) {
        throw new CoopError('DAEMON_FAILED', `the coop daemon did not start within ${START_TIMEOUT_MS / 1000} s; see ${log}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Asks the daemon of opts to stop even when it is another version of coop (after an update
 * without `coop update`): the handshake in its protocol version, then `shutdown`, which every
 * version understands alike. Its boxes keep running; the next command's daemon takes them.
 */
export async function shutdownOtherVersion(opts: ConnectOptions, version: number): Promise<void> {
  const home = opts.coopHome ?? defaultHome(opts.env ?? process.env);
  const c = await Connection.open(opts.socket ?? daemonPaths(home).socket, version);
  try {
    await c.request({ cmd: 'shutdown' });
  } finally {
    c.close();
  }
}

/** A connection to the daemon of coopHome, starting the daemon if needed. */
export async function connectDaemon(opts: ConnectOptions = {}): Promise<Connection> {
  const env = opts.env ?? process.env;
  const home = opts.coopHome ?? defaultHome(env);
  const paths = daemonPaths(home);
  const socket = opts.socket ?? paths.socket;
  checkCoopHome(home);
  try {
    return await Connection.open(socket);
  } catch (e) {
    if (e instanceof CoopError) throw e; // refused before connecting
    if (opts.spawn === false) {
      if (absent(e)) throw new CoopError('DAEMON_FAILED', NOT_RUNNING);
      throw e;
    }
    if (!absent(e)) throw new CoopError('DAEMON_FAILED', `cannot reach the coop daemon at ${socket}: ${(e as Error).message}`);
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const lock = openSync(paths.lock, 'a', 0o600);
  try {
    native().flock(lock, true, true);
    try {
      return await Connection.open(socket); // someone else started it while we waited for the lock
    } catch (e) {
      if (!absent(e)) throw e;
    }
    return await waitForSocket(socket, paths.log, startDaemon(home, socket, env));
  } finally {
    closeSync(lock); // releases the lock
  }
}
