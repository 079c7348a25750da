// Removing box directories: their files may belong to mapped ids (a subuid range) or be
// unreadable to the user (overlayfs work dirs), so removal runs in a user namespace
// with the box's mapping.
import type { IdMapping } from './plan.js';
import { HelperProcess } from './helper-process.js';

/** Removes `paths` recursively as the box's in-box root would. Resolves when done. */
export async function removeTree(paths: string[], idmap: IdMapping): Promise<void> {
  const helper = new HelperProcess({ mode: 'rmtree', idmap, paths }, { argv0: 'coop-rm', stdio: ['ignore', 'ignore', 'pipe'] });
  const outcome = await helper.outcome;
  if (outcome.error) throw outcome.error;
}
