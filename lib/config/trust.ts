// Trusting a project's coop.toml (SPEC §2, Trust). A project file whose keys reach outside
// the box (widen.ts) is used only when the user has trusted its exact content with
// `coop trust`; a changed file needs trusting again. Other users' files are never read.
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { ConfigError } from './errors.js';
import { layerFromText, type Layer } from './layer.js';
import { ownFix, readOwnFile, type OwnFile } from './owner.js';
import { readStore, trustStorePath, updateStore } from './trust-store.js';
import { canonicalPath, formatWidening, wideningKeys, type Widening } from './widen.js';

export type TrustState = 'trusted' | 'changed' | 'untrusted';

export interface TrustOptions {
  /** The caller's environment, for XDG_CONFIG_HOME (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Host home, for ~ and the default store (default os.homedir()). */
  home?: string;
  /** The trust records; default $XDG_CONFIG_HOME/coop/trusted.json or ~/.config/coop/trusted.json. */
  store?: string;
  /** The workspace the file is used with (default: its directory), for what it widens. */
  workspace?: string;
}

/** A project file refused until trusted (code CONFIG_UNTRUSTED): which keys, and whether it was trusted before. */
export class TrustError extends ConfigError {
  constructor(
    file: string,
    readonly state: Exclude<TrustState, 'trusted'>,
    readonly widening: Widening[],
    command: string,
  ) {
    const items = widening.map(formatWidening).join('; ');
    super(
      { file },
      state === 'changed'
        ? `changed since you trusted it, and it reaches outside the box: ${items}. Check these, then run \`${command}\` again`
        : `not trusted, and it reaches outside the box: ${items}. Check these, then run \`${command}\``,
      'CONFIG_UNTRUSTED',
    );
    this.name = 'TrustError';
  }
}

const storeOf = (o: TrustOptions) => o.store ?? trustStorePath(o.env ?? process.env, o.home ?? homedir());

/** Whether this exact content of the file (canonical path) was trusted. */
export function trustState(own: OwnFile, store: string): TrustState {
  const rec = readStore(store)[own.real];
  return !rec ? 'untrusted' : rec.sha256 === own.sha256 ? 'trusted' : 'changed';
}

/** Reads and checks a project file the caller owns; throws ConfigError naming why not. */
export function readProjectFile(file: string, home: string): { own: OwnFile; layer: Layer } {
  const r = readOwnFile(file);
  if (!r.ok) throw new ConfigError({ file }, `refused: ${r.reason}; ${ownFix(file, r.reason)}`);
  return { own: r.file, layer: layerFromText(r.file.text, file, home) };
}

/** Throws TrustError when the layer reaches outside the box and its content is not trusted. */
export function requireTrust(own: OwnFile, layer: Layer, workspace: string, home: string, store: string, command: string): void {
  const widening = wideningKeys(layer, workspace, home);
  if (widening.length === 0) return;
  const state = trustState(own, store);
  if (state !== 'trusted') throw new TrustError(layer.source, state, widening, command);
}

export interface Trusted {
  /** The canonical path recorded. */
  file: string;
  sha256: string;
  /** What the file reaches outside the box with (may be empty). */
  widening: Widening[];
}

/** Records the file's current content as trusted. Throws ConfigError for another user's or an invalid file. */
export function trustFile(file: string, opts: TrustOptions = {}): Trusted {
  const home = opts.home ?? homedir();
  const { own, layer } = readProjectFile(file, home);
  const widening = wideningKeys(layer, opts.workspace ?? dirname(file), home);
  const trusted_at = new Date().toISOString();
  updateStore(storeOf(opts), (files) => {
    files[own.real] = { sha256: own.sha256, trusted_at };
  });
  return { file: own.real, sha256: own.sha256, widening };
}

/** Forgets the file's trust; false when it was not trusted. */
export function revokeTrust(file: string, opts: TrustOptions = {}): boolean {
  const real = canonicalPath(file);
  const store = storeOf(opts);
  if (!(real in readStore(store))) return false;
  let had = false;
  updateStore(store, (files) => {
    had = real in files;
    delete files[real];
  });
  return had;
}

/** Whether the file's current content is trusted (false for another user's file). */
export function isTrusted(file: string, opts: TrustOptions = {}): boolean {
  const r = readOwnFile(file);
  return r.ok && trustState(r.file, storeOf(opts)) === 'trusted';
}

/** `coop trust`, or `coop trust --config FILE` when the file was not found from the cwd. */
export function trustCommand(file: string, explicit: boolean): string {
  if (!explicit) return 'coop trust';
  return `coop trust --config ${/^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replace(/'/g, `'\\''`)}'`}`;
}
