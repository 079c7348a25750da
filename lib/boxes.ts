// run() and createBox() from a configuration alone, as the library (and the daemon) offer
// them: the image layer resolves the configuration's rootfs, then the sandbox, which takes
// that resolved source, makes the box.
import { canonicalPath } from './config/widen.js';
import { resolveRootfs } from './image/rootfs.js';
import { coopHome as defaultHome } from './paths.js';
import { createBox as createBoxOn, type Box, type CreateBoxOptions } from './sandbox/box.js';
import type { RootfsSource } from './sandbox/box-plan.js';
import { failedRun, run as runOn, type RunHandle, type RunOptions } from './sandbox/run.js';

/** The rootfs of a box's configuration (relative `dir:` images against baseDir, else the workspace). */
function rootfsFor(opts: { config: CreateBoxOptions['config']; coopHome?: string; baseDir?: string }): RootfsSource {
  return resolveRootfs(opts.config.sandbox, {
    baseDir: opts.baseDir ?? opts.config.workspace.mount,
    coopHome: canonicalPath(opts.coopHome ?? defaultHome()),
  });
}

/** Runs `opts.cmd` in a fresh box on the configuration's rootfs (see lib/sandbox/run.ts). */
export function run(opts: RunOptions): RunHandle {
  let rootfs;
  try {
    rootfs = rootfsFor(opts);
  } catch (e) {
    return failedRun(e, opts.name);
  }
  return runOn({ ...opts, rootfs });
}

/** Creates a box on the configuration's rootfs (see lib/sandbox/box.ts). */
export async function createBox(opts: CreateBoxOptions): Promise<Box> {
  return createBoxOn({ ...opts, rootfs: rootfsFor(opts) });
}
