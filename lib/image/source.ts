// The image sources of coop.toml's `sandbox.image` (SPEC §3).
import { isAbsolute, resolve } from 'node:path';
import { formatReference, parseReference, type ImageReference } from './reference.js';

export type ImageSource =
  | { kind: 'host' }
  | { kind: 'dir'; path: string }
  | { kind: 'oci-archive'; path: string }
  | { kind: 'oci'; path: string; tag: string | null }
  | { kind: 'docker-archive'; path: string }
  | { kind: 'registry'; ref: ImageReference };

const LOCAL = ['dir', 'oci-archive', 'oci', 'docker-archive'] as const;

/** Parses an image source; relative local paths resolve against baseDir. Throws on bad input. */
export function parseImageSource(input: string, baseDir = process.cwd()): ImageSource {
  if (input === 'host') return { kind: 'host' };
  const colon = input.indexOf(':');
  const prefix = colon > 0 ? input.slice(0, colon) : '';
  if ((LOCAL as readonly string[]).includes(prefix)) {
    let path = input.slice(colon + 1);
    let tag: string | null = null;
    if (prefix === 'oci') {
      const c = path.lastIndexOf(':');
      if (c > path.lastIndexOf('/')) {
        tag = path.slice(c + 1);
        path = path.slice(0, c);
      }
    }
    if (!path) throw new Error(`bad image source "${input}": ${prefix}: needs a path`);
    const abs = isAbsolute(path) ? path : resolve(baseDir, path);
    if (prefix === 'oci') return { kind: 'oci', path: abs, tag };
    return { kind: prefix as 'dir' | 'oci-archive' | 'docker-archive', path: abs };
  }
  return { kind: 'registry', ref: parseReference(input) };
}

/** The source as text, with local paths absolute (what layered configuration stores). */
export function formatImageSource(s: ImageSource): string {
  switch (s.kind) {
    case 'host':
      return 'host';
    case 'oci':
      return `oci:${s.path}${s.tag ? `:${s.tag}` : ''}`;
    case 'registry':
      return formatReference(s.ref);
    default:
      return `${s.kind}:${s.path}`;
  }
}
