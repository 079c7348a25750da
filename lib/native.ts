// Loads the coop_native addon and locates the coop-helper executable, both built by
// node-gyp into build/Release (see binding.gyp).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Functions of the addon (src-native/addon). Each concern adds its own members. */
export interface NativeAddon {
  /** flock(2) on fd; returns false when busy and wait is false. */
  flock(fd: number, exclusive: boolean, wait: boolean): boolean;
  /** SO_PEERCRED of a connected Unix socket fd. */
  peerCred(fd: number): { pid: number; uid: number; gid: number };
  /**
   * The user namespace (readlink of /proc/PID/ns/user) of a Unix socket's peer; `pinned`
   * when SO_PEERPIDFD proved the pid still was the connecting process. Throws when unreadable.
   */
  peerUserNs(fd: number): { ns: string; pinned: boolean };
  /** Creates an overlayfs whiteout (char device 0/0) at path. */
  mknodWhiteout(path: string): void;
  /** isatty(3): cheaper than node:tty, which loads net and streams. */
  isatty(fd: number): boolean;
  ScrollbackRing: new (capacity?: number) => NativeRing;
  InputFilter: new (ctrlCDebounceMs: number, sequences: Buffer[]) => NativeFilter;
  /** src-native/addon/spawn.cc: starts coop-helper with posix_spawn and watches it. */
  spawnHelper(
    opts: HelperSpawn,
    onStatus: (chunk: Buffer | null, fds: number[]) => void,
    onExit: (code: number | null, signal: number | null) => void,
  ): NativeHelperChild;
  /** src-native/addon/terminal.cc: serves a box terminal's master fd (taking it over). */
  BoxTerminal: new (fd: number, onData: (b: Buffer) => void, onEnd: () => void, onDrain: () => void) => NativeTerminal;
}

export interface HelperSpawn {
  file: string;
  /** argv[0] first. */
  argv: string[];
  /** "KEY=value" entries: the whole environment. */
  env: string[];
  /** Per slot: an fd of ours, -1 for /dev/null, -2 for a new pipe. */
  stdio: [number, number, number];
  /** Given to the child on fd 4 ("<length>\n" then the bytes); fd 3 is the status socket. */
  plan: Buffer;
  /** A new session (setsid). */
  setsid: boolean;
}

export interface NativeHelperChild {
  readonly pid: number;
  /** Our end of each new pipe (stdin: the write end), else -1. */
  readonly stdio: [number, number, number];
  /** pidfd_send_signal; false once the child has been reaped. */
  kill(signal: number): boolean;
  /** Stops reading the status socket. */
  close(): void;
}

export interface NativeTerminal {
  /** False once 64 KiB of input wait: take no more until onDrain. */
  write(data: Buffer): boolean;
  resize(cols: number, rows: number): void;
  /** Closes the master (the terminal hangs up when it was the last). */
  close(): void;
  readonly queued: number;
}

/** src-native/addon/ring.cc */
export interface NativeRing {
  write(data: Buffer): void;
  snapshot(): Buffer;
  since(offset: number): Buffer | null;
  tailLines(n: number): Buffer;
  clear(): void;
  readonly written: number;
  readonly size: number;
  readonly capacity: number;
}

/** src-native/addon/filter.cc */
export interface NativeFilter {
  push(chunk: Buffer, nowMs: number): { data: Buffer; blocked: Buffer[] };
  flush(): Buffer;
  readonly held: number;
}

// This file is dist/lib/native.js, or part of the CLI bundle dist/bin/coop.cjs (where
// import.meta is empty and the module's __dirname is dist/bin): two levels below the root
// either way. (A global __dirname also exists in `node -e` code, so check import.meta first.)
const here = import.meta.url ? dirname(fileURLToPath(import.meta.url)) : __dirname;

/** The package root (holds package.json and build/). */
export const packageRoot = join(here, '..', '..');

const buildDir = join(packageRoot, 'build', 'Release');

let addon: NativeAddon | undefined;

/** The addon, loaded on first use. */
export function native(): NativeAddon {
  if (!addon) {
    const file = join(buildDir, 'coop_native.node');
    if (!existsSync(file)) {
      throw new Error(`coop's native addon is missing (${file}); run \`npm rebuild @coop/core\` or \`npm install\` in the package`);
    }
    addon = createRequire(join(here, 'native.js'))(file) as NativeAddon;
  }
  return addon;
}

/** Absolute path of the coop-helper executable. */
export function helperPath(): string {
  const file = join(buildDir, 'coop-helper');
  if (!existsSync(file)) {
    throw new Error(`coop's helper executable is missing (${file}); run \`npm rebuild @coop/core\` or \`npm install\` in the package`);
  }
  return file;
}
