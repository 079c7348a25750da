// Removing box directories: their files may belong to mapped ids (a subuid range) or be
// unreadable to the user (overlayfs work dirs), so removal runs in a user namespace
// with the box's mapping.
import { rmSync } from 'node:fs';
import type { IdMapping } from './plan.js';
import { HelperProcess } from './helper-process.js';

/** Removes `paths` recursively as the box's in-box root would. Resolves when done. */
export async function removeTree(paths: string[], idmap: IdMapping): Promise<void> {
  const helper = new HelperProcess({ mode: 'rmtree', idmap, paths }, { argv0: 'coop-rm', stdio: ['ignore', 'ignore', 'pipe'] });
  const outcome = await helper.outcome;
  if (outcome.error) throw outcome.error;
}

/**
 * Removes a box's directory; when no user namespace can be made (the box never started),
 * falls back to plain removal, which suffices for what coop itself created.
 */
export async function removeBoxDir(dir: string, idmap: IdMapping): Promise<void> {
  try {
    await removeTree([dir], idmap);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}
