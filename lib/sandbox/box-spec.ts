// Configuration + request -> BoxSpec: the one place that looks at the host (users, id
// ranges, the rootfs's accounts, canonical paths) before planning.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { BoxMount, CoopConfig } from '../config/types.js';
import { canonicalPath } from '../config/widen.js';
import { CoopError } from '../errors.js';
import { coopHome as defaultHome, boxPaths } from '../paths.js';
import { rootfsDirOf, type BoxSpec, type RootfsSource } from './box-plan.js';
import { baseAccounts, resolveShell } from './etc-files.js';
import { currentUser, idMappingFor } from './idmap.js';
import { isPlainDirInRoot, isExecutableInRoot } from './in-root.js';
import { boxNetworkFor, effectiveMode } from './network.js';

export interface BoxRequest {
  config: CoopConfig;
  /** The box's base, resolved from `config.sandbox.image` (lib/image/rootfs.ts resolveRootfs). */
  rootfs: RootfsSource;
  /** Box name; default a fresh `run-XXXXXXXX`. */
  name?: string;
  /** State directory; default $COOP_HOME or ~/.coop. */
  coopHome?: string;
  /** @deprecated Replaces `config.sandbox.mounts` (which is used when this is absent). */
  mounts?: BoxMount[];
  init: 'run' | 'box';
  command?: { argv: string[]; cwd?: string };
  /** The caller's environment: TERM and LANG come from it. */
  callerEnv?: NodeJS.ProcessEnv;
}

const existingDir = (path: string, what: string): string => {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new CoopError('CONFIG_INVALID', `${what} ${path} does not exist`);
  }
  if (!st.isDirectory()) throw new CoopError('CONFIG_INVALID', `${what} ${path} is not a directory`);
  return realpathSync(path);
};

/** Canonical host paths (symlinks resolved); a missing source is an error naming it. */
function canonicalMounts(mounts: BoxMount[]): BoxMount[] {
  return mounts.map((m) => {
    if (m.kind !== 'path') return m;
    try {
      return { ...m, host: realpathSync(m.host) };
    } catch {
      throw new CoopError('CONFIG_INVALID', `mount source ${m.host} does not exist (sandbox.mounts "${m.host}:${m.box}")`);
    }
  });
}

const readOrNull = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** A fresh name for a one-shot box (a name, not a secret: node:crypto would cost startup time). */
export function newRunName(): string {
  const hex = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return `run-${hex}`;
}

/**
 * The path of `target` below `dir` when `target` lies inside it, decided by inode: each
 * ancestor of `target` is compared (device and inode) with `dir`, so a bind-mount alias of a
 * directory is recognised as that directory. "" when they are the same; null when outside.
 */
export function pathInside(dir: string, target: string): string | null {
  let want;
  try {
    want = statSync(dir);
  } catch {
    return null;
  }
  const parts: string[] = [];
  for (let cur = target; ; cur = dirname(cur)) {
    try {
      const st = statSync(cur);
      if (st.dev === want.dev && st.ino === want.ino) return parts.reverse().join('/');
    } catch {
      // not there (yet): keep walking up
    }
    if (dirname(cur) === cur) return null;
    parts.push(basename(cur));
  }
}

/** Where $COOP_HOME is reachable from a box: under the workspace, under a shared host directory. */
function coopHomeIn(home: string, workspace: string, rootfs: RootfsSource, mounts: BoxMount[]): { workspace: string | null; host: string | null } {
  for (const m of mounts) {
    if (m.kind === 'path' && pathInside(m.host, home) !== null) {
      throw new CoopError('CONFIG_INVALID', `mount "${m.host}:${m.box}": refusing to mount ${m.host}: it contains coop's state directory ${home}`);
    }
  }
  if (rootfs.kind === 'dir' && pathInside(rootfs.path, home) !== null) {
    throw new CoopError('CONFIG_INVALID', `image dir:${rootfs.path}: refusing a root directory that contains coop's state directory ${home}`);
  }
  const shared = rootfs.kind === 'host' ? rootfs.layout.entries.filter((e) => e.kind !== 'symlink').map((e) => `/${e.name}`) : [];
  return { workspace: pathInside(workspace, home), host: shared.some((d) => home.startsWith(`${d}/`)) ? home : null };
}

/** Gathers what planning needs from the host. Throws CoopError for bad input. */
export function boxSpecFor(req: BoxRequest): BoxSpec {
  const { config } = req;
  const home = canonicalPath(req.coopHome ?? defaultHome());
  const name = req.name ?? newRunName();
  const workspace = existingDir(config.workspace.mount, 'workspace');
  const { rootfs } = req;
  if (rootfs?.kind !== 'host' && rootfs?.kind !== 'dir') {
    throw new CoopError('BAD_ARGUMENTS', "the sandbox's run() and createBox() take a resolved `rootfs`: resolve it with resolveRootfs() of '@coop/core/image', or use run() and createBox() of '@coop/core'");
  }
  const rootDir = rootfsDirOf(rootfs);
  const mounts = canonicalMounts(req.mounts ?? config.sandbox.mounts);
  const user = currentUser();
  const env = req.callerEnv ?? process.env;
  const paths = boxPaths(home, name);
  const net = boxNetworkFor(config.network, { name, init: req.init, log: paths.networkLog });
  return {
    name,
    coopHome: home,
    paths,
    rootfs,
    workspace: { host: workspace, path: config.workspace.path },
    mounts,
    persist: config.session.persist,
    network: effectiveMode(config.network),
    net,
    hostname: config.sandbox.hostname,
    user: config.sandbox.user,
    shell: resolveShell(rootDir, config.sandbox.shell, isExecutableInRoot),
    env: config.env,
    term: env.TERM,
    lang: env.LANG,
    created: Math.floor(Date.now() / 1000),
    idmap: idMappingFor(user),
    init: req.init,
    command: req.command,
    hostHome: user.home,
    accounts: baseAccounts(rootDir),
    resolvConf: readOrNull('/etc/resolv.conf'),
    apt: isPlainDirInRoot(rootDir, '/etc/apt/apt.conf.d'),
    confine: config.sandbox.seccomp,
    tmpfsSize: config.sandbox.tmpfs_size,
    nestedProc: user.uid !== 0,
    hideHostRoot: user.uid === 0 && rootfs.kind === 'host',
    coopHomeIn: coopHomeIn(home, workspace, rootfs, mounts),
  };
}
