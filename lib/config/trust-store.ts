// The record of trusted project files (like `direnv allow`): canonical path -> sha256 of
// the exact content the user trusted. $XDG_CONFIG_HOME/coop/trusted.json (default
// ~/.config/coop/trusted.json), mode 0600, replaced atomically; read only when it is the
// caller's own file.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from './errors.js';
import { readOwnFile } from './owner.js';
import { builtin } from '../lazy.js';

export interface TrustRecord {
  sha256: string;
  /** ISO time of `coop trust`. */
  trusted_at: string;
}

interface StoreFile {
  version: 1;
  files: Record<string, TrustRecord>;
}

/** Where the trust records of an environment live. */
export function trustStorePath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'coop', 'trusted.json');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseStore(text: string): StoreFile | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(doc) || doc.version !== 1 || !isRecord(doc.files)) return null;
  const files: Record<string, TrustRecord> = {};
  for (const [path, rec] of Object.entries(doc.files)) {
    if (isRecord(rec) && typeof rec.sha256 === 'string' && /^[0-9a-f]{64}$/.test(rec.sha256)) {
      files[path] = { sha256: rec.sha256, trusted_at: typeof rec.trusted_at === 'string' ? rec.trusted_at : '' };
    }
  }
  return { version: 1, files };
}

/** The records; an absent, foreign or unreadable store trusts nothing. */
export function readStore(store: string): Record<string, TrustRecord> {
  if (!existsSync(store)) return {};
  const r = readOwnFile(store);
  return (r.ok && parseStore(r.file.text)?.files) || {};
}

/** Changes the store with fn, atomically (temp file, fsync, rename). Throws ConfigError. */
export function updateStore(store: string, fn: (files: Record<string, TrustRecord>) => void): void {
  let files: Record<string, TrustRecord> = {};
  if (existsSync(store)) {
    const r = readOwnFile(store);
    if (!r.ok) throw new ConfigError({ file: store }, `refused to use the trust records: ${r.reason}`);
    const parsed = parseStore(r.file.text);
    if (!parsed) throw new ConfigError({ file: store }, 'not a coop trust record (version 1 JSON); fix or delete it');
    files = parsed.files;
  }
  fn(files);
  mkdirSync(dirname(store), { recursive: true, mode: 0o700 });
  const temp = `${store}.${process.pid}.${builtin('node:crypto').randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ version: 1, files } satisfies StoreFile, null, 2)}\n`);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(temp, store);
}
