// Box names (SPEC §5): from the workspace directory's name; two workspaces with the same
// name get distinct boxes (api, api-2), and a name stays with its workspace on disk (its
// persist directories must never reach another workspace's box).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { BOX_NAME } from '../ipc/validate.js';
import { boxPaths } from '../paths.js';

/** A valid box name from a directory name. */
export function baseName(workspace: string): string {
  const cleaned = basename(workspace).replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 56);
  return BOX_NAME.test(cleaned) ? cleaned : 'box';
}

/** The workspace a name belongs to on disk, if any ("" for a directory without an owner). */
export function workspaceOfName(coopHome: string, name: string): string | null {
  const p = boxPaths(coopHome, name);
  try {
    return readFileSync(p.owner, 'utf8').trim();
  } catch {
    return existsSync(p.dir) ? '' : null;
  }
}

/** The name for a workspace: its own earlier name, or the first free one of base, base-2, ... */
export function nameFor(coopHome: string, workspace: string, inUse: (name: string) => string | null): string {
  const base = baseName(workspace);
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    const live = inUse(name);
    const onDisk = workspaceOfName(coopHome, name);
    const owner = live ?? onDisk;
    if (owner === workspace || owner === null) return name;
  }
}

/** Records which workspace a name belongs to. */
export function claimName(coopHome: string, name: string, workspace: string): void {
  const p = boxPaths(coopHome, name);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  writeFileSync(p.owner, `${workspace}\n`, { mode: 0o600 });
}
