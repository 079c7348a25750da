// Resolving an image source to verified layer blobs in the cache: registry references
// (concurrent downloads, progress), OCI layouts and archives, docker-archive files.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CoopError } from '../errors.js';
import { BlobCache, sha256File } from './cache.js';
import { parseManifest, selectPlatform, type Descriptor, type ImageManifest } from './manifest.js';
import { Progress } from './progress.js';
import { formatReference, type ImageReference } from './reference.js';
import { Registry, type RegistryOptions } from './registry.js';
import type { ImageSource } from './source.js';
import { unpackLayers } from './unpack.js';

export interface ResolvedImage {
  /** What identifies the image's content: the manifest digest (or the config digest for docker-archive). */
  digest: string;
  /** Layer blobs in the cache, bottom first. */
  layers: { digest: string; path: string; mediaType: string }[];
  /** The image config (Env, WorkingDir, User, ...). */
  config: { config?: { Env?: string[]; WorkingDir?: string; User?: string } };
}

export interface PullOptions {
  coopHome: string;
  registry?: RegistryOptions;
  /** Download blobs again even when cached. */
  noCache?: boolean;
  /** Hash every cached blob again (otherwise only those changed since they were verified). */
  verify?: boolean;
  /** Where progress goes (drawn only on a TTY). */
  progress?: NodeJS.WritableStream | null;
  /** Downloads at once. Default 3. */
  concurrency?: number;
}

const LAYER_TYPES = /^application\/vnd\.(oci\.image\.layer\.v1\.tar(\+gzip|\+zstd)?|docker\.image\.rootfs\.diff\.tar\.gzip)$|^$/;

async function limit<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return out;
}

function checkLayers(m: ImageManifest, what: string): void {
  for (const l of m.layers) {
    if (!LAYER_TYPES.test(l.mediaType)) throw new CoopError('IMAGE_FAILED', `${what}: layer ${l.digest.slice(0, 19)} has unsupported media type ${l.mediaType}`);
  }
}

/** Pulls a registry image into the cache. */
export async function pullRegistry(ref: ImageReference, opts: PullOptions): Promise<ResolvedImage> {
  const what = formatReference(ref);
  const reg = new Registry(ref.registry, ref.repository, opts.registry);
  const cache = new BlobCache(opts.coopHome);
  let { body, mediaType } = await reg.manifest(ref.digest ?? ref.tag!);
  let digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  if (ref.digest && digest !== ref.digest) throw new CoopError('IMAGE_FAILED', `${what}: the manifest does not match the digest`);
  let parsed = parseManifest(body, mediaType, what);
  if (parsed.kind === 'index') {
    const chosen = selectPlatform(parsed.manifests, undefined, what);
    ({ body, mediaType } = await reg.manifest(chosen.digest));
    digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (digest !== chosen.digest) throw new CoopError('IMAGE_FAILED', `${what}: the platform manifest does not match its digest`);
    parsed = parseManifest(body, mediaType, what);
    if (parsed.kind !== 'manifest') throw new CoopError('IMAGE_FAILED', `${what}: an index inside an index`);
  }
  const manifest = parsed.manifest;
  checkLayers(manifest, what);
  const progress = new Progress(opts.progress ?? null);
  const fetchBlob = async (d: Descriptor, row: number | null) => {
    if (!opts.noCache && (await cache.verify(d.digest, d.size, opts.verify))) {
      if (row !== null) progress.set(row, 'cached');
      return cache.path(d.digest);
    }
    const p = await reg.blobInto(d.digest, (s) => cache.store(d.digest, s, d.size, row === null ? undefined : (n) => progress.advance(row, n)));
    if (row !== null) progress.set(row, 'done');
    return p;
  };
  // The config beside the layers, not before them: one round trip fewer for a small image.
  const rows = manifest.layers.map((l) => progress.add(l.digest.slice(7, 19), l.size));
  const [configPath, paths] = await Promise.all([
    fetchBlob(manifest.config, null),
    limit(opts.concurrency ?? 3, manifest.layers.map((l, i) => () => fetchBlob(l, rows[i]!))),
  ]);
  progress.finish();
  return {
    digest,
    layers: manifest.layers.map((l, i) => ({ digest: l.digest, path: paths[i]!, mediaType: l.mediaType })),
    config: readJson(configPath, `${what} config`),
  };
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    throw new CoopError('IMAGE_FAILED', `malformed ${what} (${path})`);
  }
}

/** Copies a local blob into the cache (verifying it). */
async function importBlob(cache: BlobCache, path: string, digest: string, size?: number): Promise<string> {
  if (await cache.verify(digest)) return cache.path(digest);
  if (!existsSync(path)) throw new CoopError('IMAGE_FAILED', `blob ${digest} is missing from the image (${path})`);
  return cache.store(digest, createReadStream(path), size);
}

/** An OCI image layout directory (oci:DIR[:tag]). */
export async function readOciLayout(dir: string, tag: string | null, opts: PullOptions, what = `oci:${dir}`): Promise<ResolvedImage> {
  const cache = new BlobCache(opts.coopHome);
  const blob = (d: string) => join(dir, 'blobs', 'sha256', d.slice(7));
  const index = parseManifest(readFileSync(join(dir, 'index.json')), '', `${what} index.json`);
  if (index.kind !== 'index') throw new CoopError('IMAGE_FAILED', `${what}: index.json is not an image index`);
  const named = (d: Descriptor) => (d as { annotations?: Record<string, string> }).annotations?.['org.opencontainers.image.ref.name'];
  const raw = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  let entry: Descriptor | undefined;
  if (tag) entry = raw.manifests.find((m) => named(m) === tag);
  else entry = raw.manifests.length === 1 ? raw.manifests[0] : raw.manifests.find((m) => named(m) === 'latest');
  if (!entry) throw new CoopError('IMAGE_FAILED', `${what}: ${tag ? `no image tagged "${tag}"` : 'several images; name one with :TAG'}`);
  let digest = entry.digest;
  let parsed = parseManifest(readFileSync(await importBlob(cache, blob(digest), digest)), entry.mediaType, what);
  if (parsed.kind === 'index') {
    digest = selectPlatform(parsed.manifests, undefined, what).digest;
    parsed = parseManifest(readFileSync(await importBlob(cache, blob(digest), digest)), '', what);
    if (parsed.kind !== 'manifest') throw new CoopError('IMAGE_FAILED', `${what}: an index inside an index`);
  }
  const m = parsed.manifest;
  checkLayers(m, what);
  const configPath = await importBlob(cache, blob(m.config.digest), m.config.digest, m.config.size);
  const layers = [];
  for (const l of m.layers) layers.push({ digest: l.digest, path: await importBlob(cache, blob(l.digest), l.digest, l.size), mediaType: l.mediaType });
  return { digest, layers, config: readJson(configPath, `${what} config`) };
}

/** Unpacks an archive (a tar file) into a temporary directory, safely. */
async function openArchive(file: string, coopHome: string): Promise<string> {
  if (!existsSync(file)) throw new CoopError('IMAGE_FAILED', `${file}: no such file`);
  mkdirSync(join(coopHome, 'cache'), { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(coopHome, 'cache', '.archive-'));
  await unpackLayers([() => createReadStream(file)], dir);
  return dir;
}

/** `docker save` output (docker-archive:FILE). */
async function readDockerArchive(file: string, opts: PullOptions): Promise<ResolvedImage> {
  const what = `docker-archive:${file}`;
  const dir = await openArchive(file, opts.coopHome);
  try {
    const [entry] = readJson<{ Config: string; Layers: string[] }[]>(join(dir, 'manifest.json'), `${what} manifest.json`);
    if (!entry?.Config || !Array.isArray(entry.Layers)) throw new CoopError('IMAGE_FAILED', `malformed ${what}: manifest.json has no image`);
    const cache = new BlobCache(opts.coopHome);
    const inside = (p: string) => join(dir, join('/', p));
    const configDigest = await sha256File(inside(entry.Config));
    const configPath = await importBlob(cache, inside(entry.Config), configDigest);
    const layers = [];
    for (const l of entry.Layers) {
      const d = await sha256File(inside(l));
      layers.push({ digest: d, path: await importBlob(cache, inside(l), d), mediaType: '' });
    }
    return { digest: configDigest, layers, config: readJson(configPath, `${what} config`) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Any image source but host and dir: its layers, verified, in the cache. */
export async function resolveImage(source: ImageSource, opts: PullOptions): Promise<ResolvedImage> {
  switch (source.kind) {
    case 'registry':
      return pullRegistry(source.ref, opts);
    case 'oci':
      if (!existsSync(join(source.path, 'index.json'))) throw new CoopError('IMAGE_FAILED', `oci:${source.path}: not an OCI image layout (no index.json)`);
      return readOciLayout(source.path, source.tag, opts);
    case 'oci-archive': {
      const dir = await openArchive(source.path, opts.coopHome);
      try {
        return await readOciLayout(dir, null, opts, `oci-archive:${source.path}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    case 'docker-archive':
      return readDockerArchive(source.path, opts);
    default:
      throw new CoopError('IMAGE_FAILED', `image source ${source.kind} has nothing to pull`);
  }
}

/** A layer blob as a stream (for the unpacker). */
export const layerStream = (path: string): Readable => createReadStream(path);
