// Checking that a value received from elsewhere (an IPC client) has the shape of a
// resolved CoopConfig. Only own properties count; messages name the field.
import { checkMount } from './mounts.js';
import { SIZE } from './schema.js';
import type { CoopConfig } from './types.js';

type Kind = 'string' | 'strings' | 'mounts' | 'boolean' | 'count' | 'agent' | 'packages' | 'env' | 'mode' | 'seccomp' | 'size' | 'size?';

const SHAPE: Record<string, Record<string, Kind>> = {
  sandbox: { image: 'string', agent: 'agent', args: 'strings', shell: 'string', user: 'string', hostname: 'string', setup: 'strings', packages: 'packages', mounts: 'mounts',
    seccomp: 'seccomp', tmpfs_size: 'size', memory: 'size?', pids: 'count', ca_certs: 'string' },
  workspace: { mount: 'string', path: 'string' },
  network: { mode: 'mode', ports: 'strings', allow: 'strings', dns: 'strings', hosts: 'strings' },
  session: { persist: 'strings', auto_restart: 'boolean', restart_delay_ms: 'count' },
  input_filter: { ctrl_c_debounce_ms: 'count', block_sequences: 'strings' },
};

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

const own = (o: Record<string, unknown>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

function check(kind: Kind, v: unknown): string | null {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? null : 'a string';
    case 'strings':
      return strings(v) ? null : 'an array of strings';
    case 'mounts':
      if (!Array.isArray(v)) return 'a list of mounts';
      for (const [i, m] of v.entries()) {
        try {
          checkMount(m);
        } catch (e) {
          return `a list of mounts (item ${i + 1}: ${(e as Error).message})`;
        }
      }
      return null;
    case 'boolean':
      return typeof v === 'boolean' ? null : 'a boolean';
    case 'count':
      return Number.isSafeInteger(v) && (v as number) >= 0 ? null : 'a whole number >= 0';
    case 'agent':
      return v === null || (strings(v) && (v as string[]).length > 0) ? null : 'null or a non-empty array of strings';
    case 'mode':
      return v === 'host' || v === 'none' || v === 'private' ? null : '"host", "none" or "private"';
    case 'seccomp':
      return v === 'default' || v === 'off' ? null : '"default" or "off"';
    case 'size':
    case 'size?':
      return (typeof v === 'string' && (SIZE.test(v) || (kind === 'size?' && v === ''))) ? null : 'a size such as "512m"';
    case 'packages':
      return isRecord(v) && Object.values(v).every(strings) ? null : 'a map of string arrays';
    case 'env':
      return isRecord(v) && Object.values(v).every((x) => typeof x === 'string') ? null : 'a map of strings';
  }
}

/** Throws an Error naming the first field that does not fit; returns a clean copy. */
export function checkConfigShape(v: unknown, at = 'config'): CoopConfig {
  if (!isRecord(v)) throw new Error(`${at}: expected a map`);
  const out: Record<string, unknown> = {};
  for (const [section, fields] of Object.entries(SHAPE)) {
    const s = own(v, section);
    if (!isRecord(s)) throw new Error(`${at}.${section}: expected a map`);
    const copy: Record<string, unknown> = {};
    for (const [key, kind] of Object.entries(fields)) {
      const value = own(s, key);
      const problem = check(kind, value);
      if (problem) throw new Error(`${at}.${section}.${key}: expected ${problem}`);
      copy[key] = kind === 'mounts' ? (value as unknown[]).map(checkMount) : value;
    }
    out[section] = copy;
  }
  const env = own(v, 'env');
  const problem = check('env', env);
  if (problem) throw new Error(`${at}.env: expected ${problem}`);
  out.env = Object.fromEntries(Object.entries(env as Record<string, string>));
  return out as unknown as CoopConfig;
}
