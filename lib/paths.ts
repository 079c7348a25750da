// Where coop keeps its state: $COOP_HOME (default ~/.coop), and the one definition of a
// box's directory under it. Several independent coops can run side by side with different
// COOP_HOME values (tests do). The on-disk names are kept as they are (a box's directory is
// `sessions/<name>`, its served record `session.json`) so that boxes made by earlier
// versions are still found.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The state directory for an environment (default: the caller's). */
export function coopHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.COOP_HOME ? resolve(env.COOP_HOME) : join(homedir(), '.coop');
}

/** $COOP_HOME/sessions: one directory per box, named after it. */
export const boxesDir = (home: string) => join(home, 'sessions');

/**
 * $COOP_HOME/stage: where a one-shot box (and a build step) mounts a private tmpfs that holds
 * its layers inside its own mount namespace; nothing of it stays on disk.
 */
export const stageDir = (home: string) => join(home, 'stage');

/** A box's writable layers: what a box makes under its directory (or a one-shot box's stage). */
export interface LayerPaths {
  /** Mount point that becomes the box's "/". */
  root: string;
  /** Overlay upper and work directories (one subdirectory per overlay with the host image). */
  upper: string;
  work: string;
  /** Files bound over a read-only /etc (a host image whose /etc has submounts). */
  files: string;
  /** Id-mapped copies of the host's directories (the host image for a root caller). */
  host: string;
}

/** The layer directories below `base` (a box's directory, or the stage of a one-shot box). */
export function layerDirs(base: string): LayerPaths {
  return { root: join(base, 'root'), upper: join(base, 'upper'), work: join(base, 'work'), files: join(base, 'files'), host: join(base, 'host') };
}

/** Paths of one box's state under $COOP_HOME/sessions/<name>. */
export interface BoxPaths extends LayerPaths {
  dir: string;
  /** `session.persist` directories, kept across restarts and kills. */
  persist: string;
  /** Box record (no secrets) for rediscovery: box.json. */
  record: string;
  /** The daemon's record of a served box: its configuration ([env] values redacted) and TERM. */
  served: string;
  /** The workspace this name belongs to (a line of text): names stay with their workspace. */
  owner: string;
  /** The allowlist proxy's refusals, one per line. */
  networkLog: string;
  /** Present while the agent is stopped after a crash loop (a daemon taking over keeps it so). */
  agentStopped: string;
}

export function boxPaths(home: string, name: string): BoxPaths {
  const dir = join(boxesDir(home), name);
  return {
    dir,
    ...layerDirs(dir),
    persist: join(dir, 'persist'),
    record: join(dir, 'box.json'),
    served: join(dir, 'session.json'),
    owner: join(dir, 'workspace'),
    networkLog: join(dir, 'network.log'),
    agentStopped: join(dir, 'agent-stopped'),
  };
}

/**
 * What a box leaves under its directory and removing it takes (after a kill, or when its
 * init is gone): its layers and the records of that box. Never its persist directories, nor
 * the name's owner (the name stays with its workspace).
 */
export const layerPaths = (p: BoxPaths): string[] => [p.root, p.upper, p.work, p.files, p.host, p.record, p.served, p.networkLog, p.agentStopped];

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
