// `sandbox.mounts` entries (SPEC §4.5):
//   "HOST:BOX[:ro]"  a path mount; HOST starts with /, ~ or . (relative to the coop.toml)
//   "NAME:BOX[:ro]"  a named volume under $COOP_HOME/volumes/NAME
// BOX is absolute or starts with ~ (the in-box home). loadConfig parses each entry once into
// a BoxMount; a configuration received from elsewhere (a client, a record on disk) is
// checked or converted here.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { CoopError } from '../errors.js';
import type { BoxMount, CoopConfig } from './types.js';

export const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const boxSideOk = (box: string) => box.startsWith('/') || box === '~' || box.startsWith('~/');

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
  if (!boxSideOk(box)) {
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

/** The entry as coop.toml would write it (host paths absolute): for messages. */
export function formatMount(m: BoxMount): string {
  return `${m.kind === 'path' ? m.host : m.name}:${m.box}${m.readonly ? ':ro' : ''}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A mount received as data (an IPC client's configuration), checked field by field and
 * copied: a path mount's host side must be absolute. Throws an Error saying what is wrong.
 */
export function checkMount(v: unknown): BoxMount {
  if (!isRecord(v)) throw new Error('expected a map with "kind", "box" and "readonly"');
  const { kind, box, readonly } = v;
  if (typeof box !== 'string' || !boxSideOk(box)) throw new Error('"box": expected a path that is absolute or starts with ~');
  if (typeof readonly !== 'boolean') throw new Error('"readonly": expected true or false');
  if (kind === 'path') {
    if (typeof v.host !== 'string' || !isAbsolute(v.host)) throw new Error('"host": expected an absolute path');
    return { kind, host: v.host, box, readonly };
  }
  if (kind === 'volume') {
    if (typeof v.name !== 'string' || !VOLUME_NAME.test(v.name)) throw new Error('"name": expected a volume name (letters, digits, "_", "." and "-")');
    return { kind, name: v.name, box, readonly };
  }
  throw new Error('"kind": expected "path" or "volume"');
}

/**
 * `sandbox.mounts` of a configuration read back from a record: entries as data, or the
 * strings that versions before typed mounts wrote (their host sides were absolute already;
 * relative ones resolve against `baseDir`). Throws an Error naming a bad entry.
 */
export function mountsFromRecord(list: unknown, baseDir: string): BoxMount[] {
  if (!Array.isArray(list)) throw new Error('sandbox.mounts: expected a list');
  return list.map((entry, i) => {
    try {
      return typeof entry === 'string' ? parseMountEntry(entry, baseDir) : checkMount(entry);
    } catch (e) {
      throw new Error(`sandbox.mounts: item ${i + 1}: ${(e as Error).message}`);
    }
  });
}

/**
 * @deprecated `config.sandbox.mounts` is typed data already (loadConfig parses each entry
 * once); this returns it, checked. Throws a CoopError (CONFIG_INVALID) naming a bad entry.
 *
 * @example
 *   configMounts(config); // [{ kind: 'path', host: '<your home>/data', box: '/data', readonly: true }]
 */
export function configMounts(config: CoopConfig): BoxMount[] {
  try {
    return mountsFromRecord(config.sandbox.mounts, config.workspace.mount);
  } catch (e) {
    throw new CoopError('CONFIG_INVALID', (e as Error).message);
  }
}
