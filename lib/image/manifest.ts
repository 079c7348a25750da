// Image manifests and indexes (OCI and Docker v2): parsing, and choosing the manifest of
// an index for the host's platform (linux; amd64, arm64 with `arm64/v8` ≡ `arm64`, ...).
import { CoopError } from '../errors.js';
import { MEDIA } from './registry.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(d: unknown, what: string): Descriptor {
  const o = d as Descriptor;
  if (!o || typeof o !== 'object' || typeof o.digest !== 'string' || !DIGEST.test(o.digest)) {
    throw new CoopError('IMAGE_FAILED', `malformed ${what}: a descriptor without a sha256 digest`);
  }
  if (!Number.isSafeInteger(o.size) || o.size < 0) throw new CoopError('IMAGE_FAILED', `malformed ${what}: descriptor ${o.digest} has no valid size`);
  return { mediaType: String(o.mediaType ?? ''), digest: o.digest, size: o.size, platform: o.platform };
}

export type Parsed = { kind: 'index'; manifests: Descriptor[] } | { kind: 'manifest'; manifest: ImageManifest };

/** Parses a manifest or an index (the media type from the response or the document). */
export function parseManifest(body: Buffer, mediaType: string, what: string): Parsed {
  let doc: { mediaType?: string; manifests?: unknown[]; config?: unknown; layers?: unknown[]; schemaVersion?: number };
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new CoopError('IMAGE_FAILED', `malformed ${what}: not JSON`);
  }
  const type = doc.mediaType || mediaType;
  if (type === MEDIA.ociIndex || type === MEDIA.dockerList || (Array.isArray(doc.manifests) && !doc.layers)) {
    return { kind: 'index', manifests: (doc.manifests ?? []).map((m) => descriptor(m, what)) };
  }
  if (doc.schemaVersion === 1) throw new CoopError('IMAGE_FAILED', `${what}: Docker schema 1 manifests are not supported`);
  if (!Array.isArray(doc.layers) || !doc.config) throw new CoopError('IMAGE_FAILED', `malformed ${what}: no config or layers`);
  return { kind: 'manifest', manifest: { config: descriptor(doc.config, what), layers: doc.layers.map((l) => descriptor(l, what)) } };
}

/** The host platform in OCI terms. */
export function hostPlatform(arch = process.arch): { os: string; architecture: string; variant?: string } {
  const map: Record<string, [string, string?]> = {
    x64: ['amd64'], arm64: ['arm64', 'v8'], arm: ['arm', 'v7'], ia32: ['386'], ppc64: ['ppc64le'], s390x: ['s390x'], riscv64: ['riscv64'],
  };
  const [architecture, variant] = map[arch] ?? [arch];
  return { os: 'linux', architecture, variant };
}

/** The index entry for the platform; arm64 without a variant counts as arm64/v8. */
export function selectPlatform(manifests: Descriptor[], want = hostPlatform(), what = 'image'): Descriptor {
  const norm = (arch?: string, variant?: string) => (arch === 'arm64' && (!variant || variant === 'v8') ? 'arm64' : `${arch}${variant ? `/${variant}` : ''}`);
  const wanted = norm(want.architecture, want.variant);
  const candidates = manifests.filter((m) => m.platform?.os === want.os);
  const exact = candidates.find((m) => norm(m.platform?.architecture, m.platform?.variant) === wanted);
  const loose = candidates.find((m) => m.platform?.architecture === want.architecture);
  const hit = exact ?? loose;
  if (!hit) {
    const offered = manifests.map((m) => `${m.platform?.os}/${norm(m.platform?.architecture, m.platform?.variant)}`).join(', ');
    throw new CoopError('IMAGE_FAILED', `${what}: no ${want.os}/${wanted} image (it has ${offered || 'no platforms'})`);
  }
  return hit;
}
