// `sandbox.mounts` entries (SPEC §4.5):
//   "HOST:BOX[:ro]"  a path mount; HOST starts with /, ~ or . (relative to the coop.toml)
//   "NAME:BOX[:ro]"  a named volume under $COOP_HOME/volumes/NAME
// BOX is absolute or starts with ~ (the in-box home).
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { CoopError } from '../errors.js';
import type { BoxMount } from '../sandbox/box-plan.js';
import type { CoopConfig } from './types.js';

export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Parses a mount entry; host paths resolve against baseDir (~ = the host home). Throws on bad input. */
export function parseMountEntry(entry: string, baseDir: string, home = homedir()): BoxMount {
  const parts = entry.split(':');
  let readonly = false;
  if (parts.length === 3 && (parts[2] === 'ro' || parts[2] === 'rw')) {
    readonly = parts.pop() === 'ro';
  }
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new Error(`"${entry}" is not "HOST:BOX", "HOST:BOX:ro" or "VOLUME:BOX"`);
  }
  const [source, box] = parts as [string, string];
  if (!box.startsWith('/') && box !== '~' && !box.startsWith('~/')) {
    throw new Error(`"${entry}": the box path "${box}" must be absolute or start with ~`);
  }
  if (/^[/~.]/.test(source)) {
    const host =
      source === '~' ? home : source.startsWith('~/') ? join(home, source.slice(2)) : isAbsolute(source) ? source : resolve(baseDir, source);
    if (source.startsWith('~') && source !== '~' && !source.startsWith('~/')) {
      throw new Error(`"${entry}": only ~ and ~/ are understood on the host side`);
    }
    return { kind: 'path', host, box, readonly };
  }
  if (!VOLUME_NAME.test(source)) {
    throw new Error(`"${entry}": "${source}" is neither a host path (starting with /, ~ or .) nor a volume name`);
  }
  return { kind: 'volume', name: source, box, readonly };
}

/** The entry with its host path made absolute (how layered configuration stores it). */
export function formatMount(m: BoxMount): string {
  return `${m.kind === 'path' ? m.host : m.name}:${m.box}${m.readonly ? ':ro' : ''}`;
}

/**
 * `sandbox.mounts` of a resolved configuration as typed data: what `run()` and `createBox()`
 * mount (loadConfig's `mounts`). The entries of a loaded configuration have absolute host
 * sides already; a hand-made configuration's relative ones resolve against the workspace.
 * Throws a CoopError (CONFIG_INVALID) naming a malformed entry.
 *
 * @example
 *   configMounts(config); // [{ kind: 'path', host: '<your home>/data', box: '/data', readonly: true }]
 */
export function configMounts(config: CoopConfig): BoxMount[] {
  return config.sandbox.mounts.map((entry) => {
    try {
      return parseMountEntry(entry, config.workspace.mount);
    } catch (e) {
      throw new CoopError('CONFIG_INVALID', `sandbox.mounts: ${(e as Error).message}`);
    }
  });
}
