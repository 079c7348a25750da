// Applying image layers to a directory (SPEC §3, OCI layer rules): regular files, dirs,
// symlinks, hard links (also to earlier layers), `.wh.NAME` whiteouts, `.wh..wh..opq`
// opaque directories wherever they appear in the tar, modes and mtimes. Every path is
// resolved inside the target root the way openat2(RESOLVE_IN_ROOT) would: absolute names,
// `..` and symlinked parents can never lead outside it. Device nodes are skipped and counted.
import {
  constants as C, closeSync, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, openSync,
  readdirSync, readlinkSync, rmSync, symlinkSync, writeSync, chmodSync, utimesSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { CoopError } from '../errors.js';
import { readTar, type TarEntry } from './tar.js';
import { builtin } from '../lazy.js';

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
 * Resolves tar names to host paths inside a root, following symlinks of the parents within
 * the root (an absolute target starts again at the root; `..` stops at the root); the last
 * component is not followed. Directories already known to be real are remembered, so a
 * deep tree costs one lstat per new directory, not per component per entry.
 */
class InRoot {
  /** Relative directory path -> it is a real directory under root (not a symlink). */
  private readonly dirs = new Set<string>(['']);

  constructor(readonly root: string) {}

  /**
   * Forgets what is known at and below the host path `at` (a removal or a new symlink there
   * changed the tree); without `at`, everything. Keys are real paths, so nothing else can
   * have gone through `at`.
   */
  forget(at?: string): void {
    if (at === undefined) {
      this.dirs.clear();
      this.dirs.add('');
      return;
    }
    const rel = at.slice(this.root.length + 1);
    for (const d of this.dirs) if (d === rel || d.startsWith(`${rel}/`)) this.dirs.delete(d);
    this.dirs.add('');
  }

  /** The host path of `parts`, its parent directories created as needed. */
  resolve(parts: string[], create = true): string {
    const parentRel = parts.slice(0, -1).join('/');
    if (this.dirs.has(parentRel)) return join(this.root, parentRel, parts.at(-1)!);
    const done: string[] = [];
    const todo = parts.slice(0, -1);
    let links = 0;
    while (todo.length) {
      const c = todo.shift()!;
      if (c === '..') {
        done.pop();
        continue;
      }
      const rel = [...done, c].join('/');
      if (this.dirs.has(rel)) {
        done.push(c);
        continue;
      }
      const here = join(this.root, rel);
      let st;
      try {
        st = lstatSync(here);
      } catch {
        if (!create) throw new CoopError('IMAGE_FAILED', `${parts.join('/')}: no such directory in the image`);
        mkdirSync(here, { mode: 0o755 });
        this.dirs.add(rel);
        done.push(c);
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new CoopError('IMAGE_FAILED', `too many symbolic links resolving ${parts.join('/')}`);
        const target = readlinkSync(here);
        if (target.startsWith('/')) done.length = 0;
        todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
        continue;
      }
      if (!st.isDirectory()) {
        if (!create) throw new CoopError('IMAGE_FAILED', `${parts.join('/')}: ${rel} is not a directory`);
        rmSync(here, { force: true }); // a file where the layer wants a directory
        mkdirSync(here, { mode: 0o755 });
      }
      this.dirs.add(rel);
      done.push(c);
    }
    if (links === 0) this.dirs.add(parentRel);
    return join(this.root, ...done, parts.at(-1)!);
  }

  /** Marks a path (relative to root) as a real directory. */
  known(path: string): void {
    this.dirs.add(path.slice(this.root.length + 1));
  }
}

/** Removes whatever is at path (not following a symlink there). */
const remove = (path: string) => rmSync(path, { recursive: true, force: true });

/** Detects gzip / zstd / plain by magic number and returns the decompressed stream. */
export async function decompress(input: Readable): Promise<Readable> {
  const it = input[Symbol.asyncIterator]();
  const first = (await it.next()) as IteratorResult<Buffer>;
  const head = first.done ? Buffer.alloc(0) : first.value;
  const rest = Readable.from((async function* () {
    if (head.length) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  })());
  // Larger output chunks: fewer round trips to zlib's thread pool.
  if (head[0] === 0x1f && head[1] === 0x8b) return rest.pipe(builtin('node:zlib').createGunzip({ chunkSize: 1 << 18 }));
  if (head.readUInt32LE(0) === 0xfd2fb528) {
    const { Decompress } = await import('fzstd');
    const out = new Readable({ read() {} });
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
 * still receive files from upper ones). Each entry is applied with a few synchronous
 * system calls; the archive itself is read asynchronously.
 */
export class Unpacker {
  readonly stats: UnpackStats = { entries: 0, skipped: 0, whiteouts: 0 };
  private readonly dirs = new Map<string, TarEntry>();
  private readonly tree: InRoot;

  constructor(
    readonly root: string,
    private readonly opts: UnpackOptions = {},
  ) {
    mkdirSync(root, { recursive: true, mode: 0o755 });
    this.tree = new InRoot(root);
  }

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
      const path = this.tree.resolve(parts);
      const dir = dirname(path);
      if (base === OPAQUE) {
        this.stats.whiteouts++;
        opaque.push(dir); // applied at the end of the layer: the marker may come after the dir's new entries
        continue;
      }
      if (base.startsWith(WH)) {
        const victim = base.slice(WH.length);
        // ".wh.." or ".wh..." would name the directory itself or its parent (outside the root).
        if (victim === '' || victim === '.' || victim === '..') {
          throw new CoopError('IMAGE_FAILED', `malformed layer: whiteout "${entry.name}" names no file`);
        }
        this.stats.whiteouts++;
        remove(join(dir, victim));
        this.tree.forget(join(dir, victim));
        continue;
      }
      if (!(await this.put(path, entry, chunks))) {
        this.stats.skipped++;
        continue;
      }
      mark(path);
    }
    for (const dir of opaque) prune(dir, written);
    if (opaque.length) this.tree.forget();
  }

  private async put(path: string, entry: TarEntry, chunks: () => AsyncGenerator<Buffer>): Promise<boolean> {
    switch (entry.type) {
      case 'dir': {
        let st = null;
        try {
          st = lstatSync(path);
        } catch {
          // absent
        }
        if (st && !st.isDirectory()) {
          remove(path);
          this.tree.forget(path);
        }
        if (!st?.isDirectory()) mkdirSync(path, { mode: 0o700 });
        chmodSync(path, 0o700 | entry.mode); // writable until finish()
        if (this.opts.chown) tolerant(() => lchownSync(path, entry.uid, entry.gid));
        this.tree.known(path);
        this.dirs.set(path, entry);
        return true;
      }
      case 'file': {
        let fd: number;
        try {
          fd = openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        } catch {
          remove(path); // whatever was there (a symlink is replaced, never followed)
          this.tree.forget(path);
          fd = openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        }
        try {
          for await (const c of chunks()) for (let off = 0; off < c.length; ) off += writeSync(fd, c, off);
          if (this.opts.chown) tolerant(() => fchownSync(fd, entry.uid, entry.gid));
          fchmodSync(fd, entry.mode); // after chown, which clears set-id bits
          futimesSync(fd, entry.mtime, entry.mtime);
        } finally {
          closeSync(fd);
        }
        return true;
      }
      case 'symlink':
        remove(path);
        this.tree.forget(path);
        symlinkSync(entry.linkname, path);
        if (this.opts.chown) tolerant(() => lchownSync(path, entry.uid, entry.gid));
        try {
          lutimesSync(path, entry.mtime, entry.mtime);
        } catch {
          // not supported everywhere
        }
        return true;
      case 'hardlink': {
        const targetParts = components(entry.linkname);
        let target = this.root;
        let st = null;
        try {
          if (targetParts.length) {
            target = this.tree.resolve(targetParts, false);
            st = lstatSync(target);
          }
        } catch {
          // not in the image
        }
        if (!targetParts.length || !st || st.isDirectory()) throw new CoopError('IMAGE_FAILED', `hard link ${entry.name} -> ${entry.linkname}: no such file in the image`);
        remove(path);
        linkSync(target, path);
        return true; // shares the target's inode: its owner, mode and times
      }
      default:
        return false; // device nodes, fifos, unknown types
    }
  }

  /** Directory modes and times, deepest first. */
  async finish(): Promise<UnpackStats> {
    const dirs = [...this.dirs].sort((a, b) => b[0].length - a[0].length);
    for (const [path, e] of dirs) {
      try {
        if (!lstatSync(path).isDirectory()) continue;
      } catch {
        continue; // removed by a later layer
      }
      chmodSync(path, e.mode);
      utimesSync(path, e.mtime, e.mtime);
    }
    return this.stats;
  }
}

/** Ids the user namespace cannot represent (EINVAL) or may not set (EPERM) keep the unpacker's. */
function tolerant(chown: () => void): void {
  try {
    chown();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
  }
}

/** Removes everything under dir that the current layer did not write. */
function prune(dir: string, written: Set<string>): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (!written.has(p)) remove(p);
    else if (lstatSync(p).isDirectory()) prune(p, written);
  }
}

/** Unpacks layers (streams, bottom first) into root. */
export async function unpackLayers(layers: (() => Readable)[], root: string, opts: UnpackOptions = {}): Promise<UnpackStats> {
  const u = new Unpacker(root, opts);
  for (const open of layers) await u.applyLayer(open());
  return u.finish();
}
