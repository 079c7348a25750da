// Built rootfs directories ($COOP_HOME/rootfs/<content hash>) and the records that map a
// recipe — the image as written in coop.toml, `packages` and `setup` — to the one built
// for it ($COOP_HOME/images/<recipe hash>.json), so a box finds its rootfs without the network.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxSection } from '../config/types.js';
import { CoopError } from '../errors.js';
import { rootfsDir } from '../paths.js';
import { formatReference } from './reference.js';
import { parseImageSource, type ImageSource } from './source.js';
import { builtin } from '../lazy.js';

export interface Recipe {
  /** The image source, local paths made absolute. */
  image: string;
  packages: Record<string, string[]>;
  setup: string[];
}

export interface BuildRecord extends Recipe {
  /** Directory name under $COOP_HOME/rootfs. */
  hash: string;
  /** Manifest (or config) digest of the image it was built from. */
  digest: string;
  built: string;
}

const sha = (v: unknown) => builtin('node:crypto').createHash('sha256').update(JSON.stringify(v)).digest('hex');

export const recipeKey = (r: Recipe) => sha({ v: 1, image: r.image, packages: r.packages, setup: r.setup });
export const contentHash = (digest: string, r: Recipe) => sha({ v: 1, digest, packages: r.packages, setup: r.setup });

export const imagesDir = (home: string) => join(home, 'images');

export function readRecord(home: string, r: Recipe): BuildRecord | null {
  try {
    const rec = JSON.parse(readFileSync(join(imagesDir(home), `${recipeKey(r)}.json`), 'utf8')) as BuildRecord;
    return existsSync(join(rootfsDir(home), rec.hash)) ? rec : null;
  } catch {
    return null;
  }
}

export function writeRecord(home: string, rec: BuildRecord): void {
  mkdirSync(imagesDir(home), { recursive: true, mode: 0o700 });
  const file = join(imagesDir(home), `${recipeKey(rec)}.json`);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(rec, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Every build record. */
export function allRecords(home: string): BuildRecord[] {
  let names: string[] = [];
  try {
    names = readdirSync(imagesDir(home)).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: BuildRecord[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(readFileSync(join(imagesDir(home), n), 'utf8')) as BuildRecord);
    } catch {
      // a broken record is ignored
    }
  }
  return out;
}

/** The recipe of a configuration: what its rootfs is built from. Null for host and dir: images. */
export function recipeFor(sandbox: Pick<SandboxSection, 'image' | 'packages' | 'setup'>, baseDir: string): { recipe: Recipe; source: ImageSource } | null {
  let source: ImageSource;
  try {
    source = parseImageSource(sandbox.image, baseDir);
  } catch (e) {
    throw new CoopError('CONFIG_INVALID', (e as Error).message);
  }
  if (source.kind === 'host' || source.kind === 'dir') return null;
  const image =
    source.kind === 'registry' ? formatReference(source.ref)
    : source.kind === 'oci' ? `oci:${source.path}${source.tag ? `:${source.tag}` : ''}`
    : `${source.kind}:${source.path}`;
  return { recipe: { image, packages: sandbox.packages, setup: sandbox.setup }, source };
}
