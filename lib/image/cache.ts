// The content-addressed blob cache ($COOP_HOME/cache/blobs/sha256/<hex>): a blob is written
// to a temporary name while its digest is computed, and renamed into place only when the
// digest matches — a cached blob is always a verified one.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, createReadStream } from 'node:fs';
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

  /** True when the cached blob is there and still matches its digest; a damaged one is removed. */
  async verify(digest: string): Promise<boolean> {
    if (!this.has(digest)) return false;
    let got: string;
    try {
      got = await sha256File(this.path(digest));
    } catch {
      return false;
    }
    if (got === digest) return true;
    rmSync(this.path(digest), { force: true });
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
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return this.path(digest);
  }
}

/** The digest (`sha256:…`) of a file's content. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}
