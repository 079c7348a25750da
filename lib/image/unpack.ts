// Applying image layers to a directory (SPEC §3, OCI layer rules): regular files, dirs,
// symlinks, hard links (also to earlier layers), `.wh.NAME` whiteouts, `.wh..wh..opq`
// opaque directories wherever they appear in the tar, modes and mtimes. Every path is
// resolved inside the target root the way openat2(RESOLVE_IN_ROOT) would: absolute names,
// `..` and symlinked parents can never lead outside it. Device nodes are skipped and counted.
import { constants as C } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CoopError } from '../errors.js';
import { readTar, type TarEntry } from './tar.js';

export interface UnpackStats {
  entries: number;
  /** Device nodes and other entries that could not be created. */
  skipped: number;
  whiteouts: number;
}

export interface UnpackOptions {
  /** Keep the tar's uid/gid (root, or in a user namespace with a range); otherwise files are the caller's. */
  chown?: boolean;
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const MAX_LINKS = 40;

/** The components of a tar name, relative to the root ("", ".", ".." handled lexically at the root). */
function components(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/**
 * The host path of `parts` inside root, following symlinks of the parents within the root
 * (an absolute target starts again at the root; `..` stops at the root). The last component
 * is not followed.
 */
async function resolveParent(root: string, parts: string[]): Promise<string> {
  const done: string[] = [];
  const todo = parts.slice(0, -1);
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const here = join(root, ...done, c);
    let st;
    try {
      st = await lstat(here);
    } catch {
      done.push(c, ...todo.splice(0)); // does not exist yet: the rest is created as directories
      break;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new CoopError('IMAGE_FAILED', `too many symbolic links resolving ${parts.join('/')}`);
      const target = await readlink(here);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    done.push(c);
  }
  return join(root, ...done, parts.at(-1)!);
}

/** Removes whatever is at path (not following a symlink there). */
const remove = (path: string) => rm(path, { recursive: true, force: true });

async function ensureDir(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (st.isDirectory()) return;
    await remove(path);
  } catch {
    // absent
  }
  await mkdir(path, { recursive: true, mode: 0o755 });
}

/** Detects gzip / zstd / plain by magic number and returns the decompressed stream. */
export async function decompress(input: Readable): Promise<Readable> {
  const it = input[Symbol.asyncIterator]();
  const first = (await it.next()) as IteratorResult<Buffer>;
  const head = first.done ? Buffer.alloc(0) : first.value;
  const { Readable: R } = await import('node:stream');
  const rest = R.from((async function* () {
    if (head.length) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  })());
  if (head[0] === 0x1f && head[1] === 0x8b) return rest.pipe(createGunzip());
  if (head.readUInt32LE(0) === 0xfd2fb528) {
    const { Decompress } = await import('fzstd');
    const out = new R({ read() {} });
    const d = new Decompress((chunk, final) => {
      out.push(Buffer.from(chunk));
      if (final) out.push(null);
    });
    rest.on('data', (c: Buffer) => {
      try {
        d.push(c);
      } catch (e) {
        out.destroy(new CoopError('IMAGE_FAILED', `malformed zstd layer: ${(e as Error).message}`));
      }
    });
    rest.on('end', () => {
      try {
        d.push(new Uint8Array(0), true);
      } catch (e) {
        out.destroy(new CoopError('IMAGE_FAILED', `malformed zstd layer: ${(e as Error).message}`));
      }
    });
    return out;
  }
  return rest;
}

/**
 * Unpacks an image's layers, bottom first, into root: applyLayer() for each, then finish()
 * (directory modes and times last, so that read-only directories of a lower layer can
 * still receive files from upper ones).
 */
export class Unpacker {
  readonly stats: UnpackStats = { entries: 0, skipped: 0, whiteouts: 0 };
  private readonly dirs = new Map<string, TarEntry>();

  constructor(
    readonly root: string,
    private readonly opts: UnpackOptions = {},
  ) {}

  /** Applies one layer (a tar stream, gzip, zstd or plain). */
  async applyLayer(layer: Readable): Promise<void> {
    /** Paths this layer put in place, and their parents: an opaque marker must not hide them. */
    const written = new Set<string>();
    const opaque: string[] = [];
    const mark = (path: string) => {
      for (let p = path; p.length > this.root.length && !written.has(p); p = dirname(p)) written.add(p);
    };
    for await (const { entry, chunks } of readTar(await decompress(layer))) {
      this.stats.entries++;
      const parts = components(entry.name);
      if (parts.length === 0) continue; // the root itself
      const base = parts.at(-1)!;
      const path = await resolveParent(this.root, parts);
      const dir = dirname(path);
      if (base === OPAQUE) {
        this.stats.whiteouts++;
        await ensureDir(dir);
        opaque.push(dir); // applied at the end of the layer: the marker may come after the dir's new entries
        continue;
      }
      if (base.startsWith(WH)) {
        this.stats.whiteouts++;
        await remove(join(dir, base.slice(WH.length)));
        continue;
      }
      await ensureDir(dir);
      if (!(await this.put(path, entry, chunks))) {
        this.stats.skipped++;
        continue;
      }
      mark(path);
    }
    for (const dir of opaque) await prune(dir, written);
  }

  private async put(path: string, entry: TarEntry, chunks: () => AsyncGenerator<Buffer>): Promise<boolean> {
    switch (entry.type) {
      case 'dir':
        await ensureDir(path);
        await chmod(path, 0o700 | entry.mode); // writable until finish()
        this.dirs.set(path, entry);
        break;
      case 'file': {
        await remove(path);
        const fh = await open(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        await pipeline(chunks(), fh.createWriteStream());
        break;
      }
      case 'symlink':
        await remove(path);
        await symlink(entry.linkname, path);
        break;
      case 'hardlink': {
        const targetParts = components(entry.linkname);
        const target = targetParts.length ? await resolveParent(this.root, targetParts) : this.root;
        const st = await lstat(target).catch(() => null);
        if (!st || st.isDirectory()) throw new CoopError('IMAGE_FAILED', `hard link ${entry.name} -> ${entry.linkname}: no such file in the image`);
        await remove(path);
        await link(target, path);
        return true; // shares the target's inode: its owner, mode and times
      }
      default:
        return false; // device nodes, fifos, unknown types
    }
    if (this.opts.chown) await lchown(path, entry.uid, entry.gid);
    if (entry.type === 'file') {
      await chmod(path, entry.mode); // after chown, which clears set-id bits
      await utimes(path, entry.mtime, entry.mtime);
    } else if (entry.type === 'symlink') await lutimes(path, entry.mtime, entry.mtime).catch(() => {});
    return true;
  }

  /** Directory modes and times, deepest first. */
  async finish(): Promise<UnpackStats> {
    const dirs = [...this.dirs].sort((a, b) => b[0].length - a[0].length);
    for (const [path, e] of dirs) {
      const st = await lstat(path).catch(() => null);
      if (!st?.isDirectory()) continue; // removed by a later layer
      await chmod(path, e.mode);
      await utimes(path, e.mtime, e.mtime);
    }
    return this.stats;
  }
}

/** Removes everything under dir that the current layer did not write. */
async function prune(dir: string, written: Set<string>): Promise<void> {
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    if (!written.has(p)) await remove(p);
    else if ((await lstat(p)).isDirectory()) await prune(p, written);
  }
}

/** Unpacks layers (streams, bottom first) into root. */
export async function unpackLayers(layers: (() => Readable)[], root: string, opts: UnpackOptions = {}): Promise<UnpackStats> {
  const u = new Unpacker(root, opts);
  for (const open of layers) await u.applyLayer(open());
  return u.finish();
}
