// `sandbox.mounts` entries (SPEC §4.5):
//   "HOST:BOX[:ro]"  a path mount; HOST starts with /, ~ or . (relative to the coop.toml)
//   "NAME:BOX[:ro]"  a named volume under $COOP_HOME/volumes/NAME
// BOX is absolute or starts with ~ (the in-box home).
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { BoxMount } from '../sandbox/box-plan.js';

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
