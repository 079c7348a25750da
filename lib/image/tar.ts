// A streaming tar reader for image layers: ustar, pax extended headers (path, linkpath,
// size, mtime, uid, gid) and GNU long names. Entries are yielded in order; each entry's
// body must be consumed (read() or skip()) before the next one is requested.
import type { Readable } from 'node:stream';
import { CoopError } from '../errors.js';

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';

export interface TarEntry {
  name: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
}

const TYPES: Record<string, EntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };

/** Pulls exact byte counts out of a stream. */
class ByteReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;
  private readonly iter: AsyncIterator<Buffer>;
  constructor(stream: Readable) {
    this.iter = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
  private async fill(n: number): Promise<boolean> {
    while (this.length < n && !this.ended) {
      const r = await this.iter.next();
      if (r.done) this.ended = true;
      else {
        this.chunks.push(r.value);
        this.length += r.value.length;
      }
    }
    return this.length >= n;
  }
  /** Exactly n bytes, or null at the end of the stream. */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) return null;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.length = all.length - n;
    return all.subarray(0, n);
  }
  /** Up to n bytes (at least one unless the stream ended). */
  async some(n: number): Promise<Buffer | null> {
    if (this.length === 0 && !(await this.fill(1))) return null;
    const first = this.chunks[0]!;
    if (first.length <= n) {
      this.chunks.shift();
      this.length -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(n);
    this.length -= n;
    return first.subarray(0, n);
  }
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(b: Buffer, off: number, len: number, what: string): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // base-256 (GNU) for large values
    let v = 0;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    return v;
  }
  const s = cstr(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new CoopError('IMAGE_FAILED', `malformed tar header: ${what} field "${s.slice(0, 20)}"`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === octal(h, 148, 8, 'checksum');
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(body.subarray(i, sp).toString());
    if (!Number.isSafeInteger(len) || len <= 0 || i + len > body.length) break;
    const rec = body.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

export interface TarBody {
  entry: TarEntry;
  /** The entry's data, in chunks. */
  chunks(): AsyncGenerator<Buffer>;
}

/** Reads a tar stream entry by entry. Throws a one-line error for a malformed archive. */
export async function* readTar(stream: Readable): AsyncGenerator<TarBody> {
  const r = new ByteReader(stream);
  let pax: Record<string, string> = {};
  let global: Record<string, string> = {};
  let longName: string | null = null;
  let longLink: string | null = null;
  const body = async (size: number): Promise<Buffer> => {
    if (size > 16 * 1024 * 1024) throw new CoopError('IMAGE_FAILED', `malformed tar: a ${size}-byte extended header`);
    const b = await r.read(size + ((512 - (size % 512)) % 512));
    if (!b) throw new CoopError('IMAGE_FAILED', 'truncated tar archive');
    return b.subarray(0, size);
  };
  for (;;) {
    const h = await r.read(512);
    if (!h) return; // no end-of-archive blocks: accepted, as other tools do
    if (h.every((x) => x === 0)) return;
    if (!checksumOk(h)) throw new CoopError('IMAGE_FAILED', 'malformed tar: header checksum mismatch');
    const flag = String.fromCharCode(h[156]!);
    const size = octal(h, 124, 12, 'size');
    if (flag === 'x') {
      pax = { ...pax, ...parsePax(await body(size)) };
      continue;
    }
    if (flag === 'g') {
      global = { ...global, ...parsePax(await body(size)) };
      continue;
    }
    if (flag === 'L' || flag === 'K') {
      const s = cstr(await body(size), 0, size);
      if (flag === 'L') longName = s;
      else longLink = s;
      continue;
    }
    const magic = h.subarray(257, 263).toString('latin1');
    const prefix = magic.startsWith('ustar') ? cstr(h, 345, 155) : '';
    const attrs = { ...global, ...pax };
    const name = attrs.path ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    const entry: TarEntry = {
      name,
      type: TYPES[flag] ?? 'other',
      size: attrs.size !== undefined ? Number(attrs.size) : size,
      mode: octal(h, 100, 8, 'mode') & 0o7777,
      uid: attrs.uid !== undefined ? Number(attrs.uid) : octal(h, 108, 8, 'uid'),
      gid: attrs.gid !== undefined ? Number(attrs.gid) : octal(h, 116, 8, 'gid'),
      mtime: attrs.mtime !== undefined ? Math.floor(Number(attrs.mtime)) : octal(h, 136, 12, 'mtime'),
      linkname: attrs.linkpath ?? longLink ?? cstr(h, 157, 100),
    };
    pax = {};
    longName = null;
    longLink = null;
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new CoopError('IMAGE_FAILED', `malformed tar: size of ${name}`);
    const dataSize = entry.size;
    let left = dataSize;
    let consumed = false;
    const chunks = async function* (): AsyncGenerator<Buffer> {
      consumed = true;
      while (left > 0) {
        const c = await r.some(left);
        if (!c) throw new CoopError('IMAGE_FAILED', `truncated tar archive (in ${name})`);
        left -= c.length;
        yield c;
      }
    };
    yield { entry, chunks };
    if (!consumed || left > 0) for await (const _ of chunks()) void _;
    const pad = (512 - (dataSize % 512)) % 512;
    if (pad && !(await r.read(pad))) return;
  }
}
