// Image references as registries know them: [registry[:port]/]path[:tag][@sha256:hex].
// Defaults follow Docker: registry docker.io, "library/" for single-name official
// images, tag "latest" when neither tag nor digest is given.

export interface ImageReference {
  /** Registry host[:port] as written (docker.io for Docker Hub). */
  registry: string;
  /** Repository path, e.g. library/debian or o/i. */
  repository: string;
  tag: string | null;
  /** "sha256:<64 hex>" when pinned by digest. */
  digest: string | null;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/;

/** Parses a registry reference; throws an Error whose message says what is wrong. */
export function parseReference(input: string): ImageReference {
  const bad = (why: string): never => {
    throw new Error(`bad image reference "${input}": ${why}`);
  };
  if (!input || /\s/.test(input)) bad('it is empty or contains spaces');
  let rest = input;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) bad('a digest must be sha256: followed by 64 lowercase hex digits');
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(`tag "${tag}" may only hold letters, digits, "_", "." and "-" (at most 128)`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    if (!HOST.test(first)) bad(`"${first}" is not a valid registry host`);
    registry = first === 'index.docker.io' ? 'docker.io' : first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    bad('repository names are lowercase letters, digits and separators (".", "_", "__", "-") between "/"');
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > 255) bad('the repository name is longer than 255 characters');
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, tag, digest };
}

/** The canonical text of a reference (registry/repository[:tag][@digest]). */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}
