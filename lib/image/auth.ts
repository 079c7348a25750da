// Registry credentials and the auth challenge (SPEC §3): anonymous or bearer tokens from
// the WWW-Authenticate challenge (Docker Hub's flow), basic credentials from
// ~/.docker/config.json `auths` when present.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Credentials {
  username: string;
  password: string;
}

/** Keys under which ~/.docker/config.json may list a registry. */
function authKeys(registry: string): string[] {
  if (registry === 'docker.io') return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

/** Credentials for a registry from a Docker config file, or null. */
export function loadCredentials(registry: string, file = join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json')): Credentials | null {
  let auths: Record<string, { auth?: string; username?: string; password?: string }>;
  try {
    auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return null;
  }
  for (const key of authKeys(registry)) {
    const a = auths[key];
    if (!a) continue;
    if (a.username && a.password) return { username: a.username, password: a.password };
    if (a.auth) {
      const text = Buffer.from(a.auth, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    }
  }
  return null;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): Challenge | null {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export const basicHeader = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
