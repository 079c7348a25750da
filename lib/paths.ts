// Where coop keeps its state: $COOP_HOME (default ~/.coop). Several independent coops can
// run side by side with different COOP_HOME values (tests do).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The state directory for an environment (default: the caller's). */
export function coopHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.COOP_HOME ? resolve(env.COOP_HOME) : join(homedir(), '.coop');
}

/** Paths of one box's state under $COOP_HOME/sessions/<name>. */
export interface BoxPaths {
  dir: string;
  /** Mount point that becomes the box's "/". */
  root: string;
  /** Overlay upper and work directories (one subdirectory per overlay with the host image). */
  upper: string;
  work: string;
  /** `session.persist` directories, kept across restarts and kills. */
  persist: string;
  /** Box record (no secrets) for rediscovery. */
  record: string;
}

export function boxPaths(home: string, name: string): BoxPaths {
  const dir = join(home, 'sessions', name);
  return {
    dir,
    root: join(dir, 'root'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    persist: join(dir, 'persist'),
    record: join(dir, 'box.json'),
  };
}

export const volumesDir = (home: string) => join(home, 'volumes');
export const rootfsDir = (home: string) => join(home, 'rootfs');
export const cacheDir = (home: string) => join(home, 'cache');

/** The daemon's files under $COOP_HOME (SPEC §5). */
export function daemonPaths(home: string) {
  return {
    socket: join(home, 'sock'),
    pid: join(home, 'daemon.pid'),
    lock: join(home, 'daemon.lock'),
    log: join(home, 'logs', 'daemon.log'),
  };
}
