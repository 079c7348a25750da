// The coop.toml schema (SPEC §2): every section, key, type and check in one table.
// A field check takes the TOML value and returns the normalised value, or throws an
// Error whose message is the problem (the caller adds file, line and key).
import { isAbsolute, resolve } from 'node:path';
import { formatImageSource, parseImageSource } from '../image/source.js';
import { parseMountEntry } from './mounts.js';
import { parseAllowEntry, parseDnsServer, parseHostEntry, parsePort } from './network.js';
import { parseSequence } from './sequence.js';
import { splitWords } from './words.js';

export interface FieldContext {
  /** Directory relative paths resolve against (the declaring file's). */
  baseDir: string;
  /** The host user's home, for ~ in host paths. */
  home: string;
}

export type FieldCheck = (value: unknown, ctx: FieldContext) => unknown;

/** The TOML type name of a parsed value, for messages. */
export function tomlType(v: unknown): string {
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(Number(v)) ? 'an integer' : 'a float';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (v && typeof v === 'object') return 'a table';
  return 'nothing';
}

const expected = (what: string, v: unknown) => new Error(`expected ${what}, got ${tomlType(v)}`);

function str(check?: (s: string, ctx: FieldContext) => string | void): FieldCheck {
  return (v, ctx) => {
    if (typeof v !== 'string') throw expected('a string', v);
    return check ? (check(v, ctx) ?? v) : v;
  };
}

/** An array of strings; `check` returns an item's normalised value (or nothing: the string as it is). */
function strArray(check?: (s: string, ctx: FieldContext) => unknown): FieldCheck {
  return (v, ctx) => {
    if (!Array.isArray(v)) throw expected('an array of strings', v);
    return v.map((item, i) => {
      if (typeof item !== 'string') throw new Error(`item ${i + 1}: expected a string, got ${tomlType(item)}`);
      return check ? (check(item, ctx) ?? item) : item;
    });
  };
}

function int(min: number): FieldCheck {
  return (v) => {
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
      const n = Number(v);
      if (n < min) throw new Error(`must be at least ${min}, got ${n}`);
      return n;
    }
    throw expected('an integer', v);
  };
}

const bool: FieldCheck = (v) => {
  if (typeof v !== 'boolean') throw expected('a boolean (true or false)', v);
  return v;
};

function oneOf(values: readonly string[]): FieldCheck {
  return (v) => {
    if (typeof v !== 'string') throw expected('a string', v);
    if (!values.includes(v)) throw new Error(`"${v}" is not one of ${values.map((x) => `"${x}"`).join(', ')}`);
    return v;
  };
}

const agent: FieldCheck = (v) => {
  let argv: string[];
  if (typeof v === 'string') {
    try {
      argv = splitWords(v);
    } catch (e) {
      throw new Error(`the command ${(e as Error).message}`);
    }
  } else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) argv = v as string[];
  else throw expected('a string or an array of strings', v);
  if (argv.length === 0 || !argv[0]) throw new Error('the agent command is empty');
  return argv;
};

export const PACKAGE_MANAGERS = ['apt', 'apk', 'dnf', 'pacman', 'npm', 'pip'] as const;

const packages: FieldCheck = (v) => {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Date) throw expected('a table of package lists', v);
  const out: Record<string, string[]> = {};
  for (const [manager, list] of Object.entries(v)) {
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      throw new Error(`${manager}: expected an array of package names, got ${tomlType(list)}`);
    }
    out[manager] = list as string[];
  }
  return out;
};

/** A size with an optional k/m/g suffix (tmpfs and cgroup notation). */
export const SIZE = /^[1-9][0-9]*[kmgKMG]?$/;

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const HOSTNAME = /^(?=.{1,63}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

function port(s: string): void {
  parsePort(s);
}

const networkMode: FieldCheck = (v) => {
  if (v === 'veth') throw new Error('"veth" is now called "private": write mode = "private"');
  return oneOf(['host', 'none', 'private'])(v, { baseDir: '', home: '' });
};

function relativeDir(s: string): void {
  if (!s || isAbsolute(s) || s.split('/').includes('..')) {
    throw new Error(`"${s}" must be a relative directory under the in-box home, without ".."`);
  }
}

/** Every section and key coop.toml may hold. `env` is a free-form table (see ENV_CHECK). */
export const SCHEMA: Record<string, Record<string, FieldCheck>> = {
  sandbox: {
    image: str((s, ctx) => formatImageSource(parseImageSource(s, ctx.baseDir))),
    agent,
    args: strArray(),
    shell: str((s) => {
      if (!s) throw new Error('must not be empty');
    }),
    user: str((s) => {
      if (!USER.test(s)) throw new Error(`"${s}" is not a valid user name (lowercase letters, digits, "_" and "-")`);
    }),
    hostname: str((s) => {
      if (s && !HOSTNAME.test(s)) throw new Error(`"${s}" is not a valid hostname`);
    }),
    setup: strArray(),
    packages,
    mounts: strArray((s, ctx) => parseMountEntry(s, ctx.baseDir, ctx.home)),
    seccomp: oneOf(['default', 'off']),
    tmpfs_size: str((s) => {
      if (!SIZE.test(s)) throw new Error(`"${s}" is not a size such as "512m" or "2g"`);
    }),
    memory: str((s) => {
      if (s && !SIZE.test(s)) throw new Error(`"${s}" is not a size such as "512m" or "2g"`);
    }),
    pids: int(0),
    ca_certs: str((s, ctx) => (s === '' || s === 'host' ? s : resolve(ctx.baseDir, s.startsWith('~/') ? `${ctx.home}/${s.slice(2)}` : s))),
  },
  workspace: {
    mount: str((s, ctx) => resolve(ctx.baseDir, s.startsWith('~/') ? `${ctx.home}/${s.slice(2)}` : s)),
    path: str((s) => {
      if (!s.startsWith('/') || s === '/') throw new Error(`"${s}" must be an absolute path other than /`);
    }),
  },
  env: {},
  network: {
    mode: networkMode,
    ports: strArray(port),
    allow: strArray((s) => parseAllowEntry(s).text),
    dns: strArray((s) => {
      parseDnsServer(s);
    }),
    hosts: strArray((s) => {
      parseHostEntry(s);
    }),
  },
  session: {
    persist: strArray(relativeDir),
    auto_restart: bool,
    restart_delay_ms: int(0),
  },
  input_filter: {
    ctrl_c_debounce_ms: int(0),
    block_sequences: strArray((s) => {
      parseSequence(s);
    }),
  },
};

/** Values of [env]: strings, or numbers and booleans (written as text). */
export const ENV_CHECK: FieldCheck = (v) => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw expected('a string', v);
};

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Keys whose values add up across layers instead of replacing (SPEC §2). */
export const APPENDED = new Set(['sandbox.setup', 'sandbox.mounts', 'input_filter.block_sequences', 'network.allow', 'network.hosts']);
