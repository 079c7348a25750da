// The content-addressed blob cache ($COOP_HOME/cache/blobs/sha256/<hex>): a blob is written
// to a temporary name while its digest is computed, and renamed into place only when the
// digest matches — a cached blob is always a verified one. Next to it, <hex>.ok records the
// file as it was when verified (size, inode, change time): while those still match, the blob
// is not read and hashed again (any write to it changes its change time); `coop build
// --verify` hashes every blob regardless.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, createReadStream, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CoopError } from '../errors.js';
import { cacheDir } from '../paths.js';

export class BlobCache {
  readonly dir: string;
  constructor(coopHome: string) {
    this.dir = join(cacheDir(coopHome), 'blobs', 'sha256');
  }

  path(digest: string): string {
    return join(this.dir, digest.slice('sha256:'.length));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  /**
   * True when the cached blob is there and still matches its digest (and `size`, when known);
   * a damaged one is removed. Hashed only when it changed since it was last verified, or `full`.
   */
  async verify(digest: string, size?: number, full = false): Promise<boolean> {
    const file = this.path(digest);
    const seen = stamp(file);
    if (seen === null) return false;
    if (size !== undefined && Number(seen.split(' ')[0]) !== size) return this.drop(digest);
    if (!full && readStamp(file) === seen) return true;
    let got: string;
    try {
      got = await sha256File(file);
    } catch {
      return false;
    }
    if (got !== digest) return this.drop(digest);
    writeStamp(file, seen);
    return true;
  }

  private drop(digest: string): false {
    rmSync(this.path(digest), { force: true });
    rmSync(`${this.path(digest)}.ok`, { force: true });
    return false;
  }

  open(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  /**
   * Stores a blob from `source`, verifying `digest` (and `size` when known) while writing.
   * `onBytes` is told of progress. Returns the cached path.
   */
  async store(digest: string, source: Readable, size?: number, onBytes?: (n: number) => void): Promise<string> {
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new CoopError('IMAGE_FAILED', `unsupported digest ${digest.slice(0, 80)}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.tmp-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let total = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        total += chunk.length;
        onBytes?.(chunk.length);
        if (size !== undefined && total > size) return cb(new CoopError('IMAGE_FAILED', `blob ${digest}: more bytes than the ${size} its descriptor gives`));
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { mode: 0o600 }));
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) throw new CoopError('IMAGE_FAILED', `blob ${digest}: content does not match its digest (got ${got})`);
      if (size !== undefined && total !== size) throw new CoopError('IMAGE_FAILED', `blob ${digest}: ${total} bytes, its descriptor says ${size}`);
      renameSync(tmp, this.path(digest));
      const seen = stamp(this.path(digest));
      if (seen) writeStamp(this.path(digest), seen);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return this.path(digest);
  }
}

/** What identifies a file's current content cheaply: size, inode, change time (ns); null if absent. */
function stamp(file: string): string | null {
  try {
    const st = statSync(file, { bigint: true });
    return st.isFile() ? `${st.size} ${st.ino} ${st.ctimeNs}` : null;
  } catch {
    return null;
  }
}

function readStamp(file: string): string | null {
  try {
    return readFileSync(`${file}.ok`, 'utf8');
  } catch {
    return null;
  }
}

function writeStamp(file: string, seen: string): void {
  try {
    writeFileSync(`${file}.ok.tmp`, seen, { mode: 0o600 });
    renameSync(`${file}.ok.tmp`, `${file}.ok`);
  } catch {
    // not recorded: it is hashed again next time
  }
}

/** The digest (`sha256:…`) of a file's content. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}
