// What a box will see of the filesystem, worked out on the host before it starts: its
// rootfs (the host's shared directories for `host`, a directory otherwise), the workspace
// and the mounts of its configuration. Symlinks are followed as the box would follow them
// (an absolute target means the box's "/"), so a link from /usr/local/bin into a hidden
// home directory counts as missing.
import { accessSync, constants, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { CoopConfig } from '../config/types.js';
import { coopHome as defaultHome, volumesDir } from '../paths.js';
import { DEFAULT_PATH, homeOf } from '../sandbox/env.js';
import { HOST_SHARED } from '../sandbox/host-image.js';
import { walkBoxPath } from '../sandbox/in-root.js';


export class BoxView {
  /** Box path prefix -> host directory, longest first. */
  private readonly binds: [string, string][];

  constructor(
    /** The rootfs directory, or null for the `host` image. */
    private readonly rootfs: string | null,
    binds: [string, string][],
    /** Where relative command paths start (the workspace path: the agent's working directory). */
    private readonly cwd = '/',
  ) {
    this.binds = [...binds].sort((a, b) => b[0].length - a[0].length);
  }

  /** The view of a configuration (rootfs: the built directory of an image; null for `host`). */
  static of(config: CoopConfig, rootfs: string | null, coopHome = defaultHome()): BoxView {
    const home = homeOf(config.sandbox.user);
    const expand = (p: string) => posix.normalize(p === '~' ? home : p.startsWith('~/') ? posix.join(home, p.slice(2)) : p).replace(/(.)\/+$/, '$1');
    const binds: [string, string][] = [[expand(config.workspace.path), config.workspace.mount]];
    for (const m of config.sandbox.mounts) {
      binds.push([expand(m.box), m.kind === 'path' ? m.host : join(volumesDir(coopHome), m.name)]);
    }
    return new BoxView(rootfs, binds, binds[0]![0]);
  }

  /** Where a box path (no symlinks resolved) lies on the host; null where the box has nothing. */
  private hostOf(boxPath: string): string | null {
    for (const [prefix, host] of this.binds) {
      if (boxPath === prefix) return host;
      if (boxPath.startsWith(`${prefix}/`)) return join(host, boxPath.slice(prefix.length + 1));
    }
    if (this.rootfs !== null) return join(this.rootfs, boxPath);
    const top = boxPath.split('/')[1] ?? '';
    return HOST_SHARED.includes(top) ? boxPath : null;
  }

  /** The host file a box path names, every symlink resolved as the box would; null when the box does not have it. */
  resolve(boxPath: string): string | null {
    // A directory made to hold a mount point: on the way to a bind, not inside one.
    const holdsMount = (here: string) =>
      this.binds.some(([prefix]) => prefix.startsWith(`${here}/`)) && !this.binds.some(([prefix]) => here === prefix || here.startsWith(`${prefix}/`));
    const reached = walkBoxPath(boxPath, (p) => this.hostOf(p), holdsMount);
    return reached === null ? null : this.hostOf(reached);
  }

  /** True when the box has an executable file at boxPath. */
  isExecutable(boxPath: string): boolean {
    const host = this.resolve(boxPath);
    if (!host) return false;
    try {
      if (!statSync(host).isFile()) return false;
      accessSync(host, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  /** The box path a command runs from: itself when it holds a "/", else the first hit on the box's PATH. */
  findCommand(cmd: string, path = DEFAULT_PATH): string | null {
    if (cmd.includes('/')) {
      const p = posix.resolve(this.cwd, cmd);
      return this.isExecutable(p) ? p : null;
    }
    for (const dir of path.split(':')) {
      if (!dir.startsWith('/')) continue;
      const p = posix.join(dir, cmd);
      if (this.isExecutable(p)) return p;
    }
    return null;
  }
}
