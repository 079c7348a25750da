// A stand-in for the npm registry on loopback: the packages of the checkout's package-lock.json
// (their tarballs made from node_modules/ as npm asks for them) and packages a test publishes
// (a tarball from `npm pack`). npm installs from it with `--registry`; nothing leaves the machine.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { tmp } from './tmp.js';

interface Version {
  manifest: Record<string, unknown>;
  /** The tarball, or how to make it. */
  file: string | null;
  dir: string | null;
}

interface LockEntry {
  version: string;
  dev?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

const MANIFEST_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'os', 'cpu', 'engines', 'bin', 'hasInstallScript'];

export class NpmRegistry {
  readonly packages = new Map<string, Map<string, Version>>();
  /** Request paths, in order. */
  readonly requests: string[] = [];
  private readonly dir = tmp('coop-registry-');
  private server: Server | null = null;
  url = '';

  /** Serves every non-dev package of `root`'s package-lock.json from `root`/node_modules. */
  constructor(root: string) {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path || entry.dev || entry.link) continue;
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const manifest: Record<string, unknown> = { name, version: entry.version };
      for (const f of MANIFEST_FIELDS) if (entry[f] !== undefined) manifest[f] = entry[f];
      const dir = join(root, path);
      this.version(name).set(entry.version, { manifest, file: null, dir: existsSync(dir) ? dir : null });
    }
  }

  private version(name: string): Map<string, Version> {
    let v = this.packages.get(name);
    if (!v) this.packages.set(name, (v = new Map()));
    return v;
  }

  /** Serves a tarball made by `npm pack` as a version of its package (its package.json is the manifest). */
  publish(tarball: string): { name: string; version: string } {
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    const name = manifest.name as string;
    const version = manifest.version as string;
    this.version(name).set(version, { manifest, file: tarball, dir: null });
    return { name, version };
  }

  private tarball(v: Version, name: string): string | null {
    if (v.file) return v.file;
    if (!v.dir) return null;
    const file = join(this.dir, `${name.replace('/', '+')}-${v.manifest.version}.tgz`);
    execFileSync('tar', ['-czf', file, '--exclude=./node_modules', '--transform=s,^\\.,package,', '-C', v.dir, '.']);
    v.file = file;
    return file;
  }

  private packument(name: string): Record<string, unknown> | null {
    const versions = this.packages.get(name);
    if (!versions) return null;
    const out: Record<string, unknown> = {};
    for (const [version, v] of versions) {
      const file = this.tarball(v, name);
      const data = file ? readFileSync(file) : Buffer.alloc(0);
      out[version] = {
        ...v.manifest,
        dist: {
          tarball: `${this.url}-/tarballs/${encodeURIComponent(name)}/${version}.tgz`,
          integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
          shasum: createHash('sha1').update(data).digest('hex'),
        },
      };
    }
    const latest = [...versions.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
    return { name, 'dist-tags': { latest }, versions: out };
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
      this.requests.push(path);
      const tar = /^\/-\/tarballs\/(.+)\/([^/]+)\.tgz$/.exec(path);
      if (tar) {
        const v = this.packages.get(tar[1]!)?.get(tar[2]!);
        const file = v && this.tarball(v, tar[1]!);
        if (!file) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(readFileSync(file));
      }
      const doc = this.packument(path.slice(1));
      if (!doc) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end('{"error":"Not found"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${addr.port}/`;
    return this.url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** An environment for npm that uses only `registry`, a private cache and no network beyond it. */
export function npmEnv(registry: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    npm_config_registry: registry,
    npm_config_cache: tmp('coop-npm-cache-'),
    npm_config_userconfig: join(tmp('coop-npmrc-'), 'npmrc'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
    ...extra,
  };
}
