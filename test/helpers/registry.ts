// Images for the image tests: OCI layouts built by umoci from directory trees, OCI layouts
// written by hand (for what umoci does not make: zstd layers, indexes of several platforms),
// a real registry process on loopback (Debian's docker-registry, optionally with htpasswd
// basic auth) filled with skopeo, and a token-auth proxy in front of it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { makeTar, type TarSpec } from './tar.js';
import { tmp } from './tmp.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** A layer's tar bytes (its diff_id is their digest). */
function uncompressed(l: { data: Buffer; mediaType: string }): Buffer {
  if (l.mediaType.endsWith('+gzip')) return gunzipSync(l.data);
  if (l.mediaType.endsWith('+zstd')) return execFileSync('zstd', ['-d', '-q', '-c'], { input: l.data, maxBuffer: 1 << 30 });
  return l.data;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class Layout {
  readonly dir = tmp('coop-oci-');
  private readonly refs: Descriptor[] = [];
  constructor() {
    mkdirSync(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(this.dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }
  blob(data: Buffer, mediaType: string): Descriptor {
    const digest = sha(data);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)), data);
    return { mediaType, digest, size: data.length };
  }
  /** An image of layers (tar entries, or raw bytes with their media type). */
  image(layers: (TarSpec[] | { data: Buffer; mediaType: string })[], opts: { env?: string[]; arch?: string } = {}): Descriptor {
    const descs = layers.map((l) => (Array.isArray(l) ? this.blob(gzipSync(makeTar(l)), 'application/vnd.oci.image.layer.v1.tar+gzip') : this.blob(l.data, l.mediaType)));
    const diffIds = layers.map((l) => sha(Array.isArray(l) ? makeTar(l) : uncompressed(l)));
    const config = this.blob(Buffer.from(JSON.stringify({
      architecture: opts.arch ?? 'amd64', os: 'linux', config: { Env: opts.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    })), 'application/vnd.oci.image.config.v1+json');
    return this.blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: descs })), 'application/vnd.oci.image.manifest.v1+json');
  }
  index(manifests: Descriptor[]): Descriptor {
    return this.blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })), 'application/vnd.oci.image.index.v1+json');
  }
  tag(name: string, d: Descriptor): this {
    this.refs.push({ ...d, annotations: { 'org.opencontainers.image.ref.name': name } });
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: this.refs }));
    return this;
  }
}

/** An OCI layout made by umoci (rootless: whoever runs it, files are root's in the image). */
export class UmociLayout {
  readonly dir = join(tmp('coop-umoci-'), 'layout');
  constructor() {
    umoci(['init', '--layout', this.dir]);
  }
  /** A new empty image for the host's platform. */
  create(tag: string): this {
    umoci(['new', '--image', `${this.dir}:${tag}`]);
    umoci(['config', '--image', `${this.dir}:${tag}`, '--os', 'linux', '--architecture', hostArch(), '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
    return this;
  }
  /** A layer holding the tree at `src` under `target`; `opaque` hides what earlier layers had there. */
  insert(tag: string, src: string, target: string, opaque = false): this {
    umoci(['insert', '--rootless', '--image', `${this.dir}:${tag}`, ...(opaque ? ['--opaque'] : []), src, target]);
    return this;
  }
  /** A layer that deletes `target`. */
  whiteout(tag: string, target: string): this {
    umoci(['insert', '--rootless', '--image', `${this.dir}:${tag}`, '--whiteout', target]);
    return this;
  }
}

function umoci(args: string[]): void {
  execFileSync('umoci', args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The host's architecture in OCI terms. */
export const hostArch = () => ({ x64: 'amd64', arm64: 'arm64' })[process.arch as 'x64'] ?? process.arch;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} never answered`);
}

/** A docker-registry process on 127.0.0.1. */
export class TestRegistry {
  host = '';
  private proc: ChildProcess | null = null;
  /** With `basic`, the registry demands those credentials (htpasswd, bcrypt as the registry wants). */
  constructor(private readonly basic?: { user: string; pass: string }) {}
  async start(): Promise<this> {
    const dir = tmp('coop-registry-');
    const port = await freePort();
    let auth = '';
    if (this.basic) {
      writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', this.basic.user, this.basic.pass]));
      auth = `auth:\n  htpasswd:\n    realm: coop-test\n    path: ${dir}/htpasswd\n`;
    }
    writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
    this.proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    this.host = `127.0.0.1:${port}`;
    await waitHttp(`http://${this.host}/v2/`);
    return this;
  }
  /** Copies an image of a layout into the registry (with every platform of an index). */
  push(layout: { dir: string }, tag: string, repo: string, format?: 'v2s2'): void {
    const fmt = format ? ['--format', format] : ['--all'];
    const creds = this.basic ? ['--dest-creds', `${this.basic.user}:${this.basic.pass}`] : [];
    execFileSync('skopeo', ['copy', ...fmt, ...creds, '--insecure-policy', '--dest-tls-verify=false', '--quiet', `oci:${layout.dir}:${tag}`, `docker://${this.host}/${repo}`], {
      stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, HOME: tmp('coop-skopeo-home-') },
    });
  }
  stop(): void {
    this.proc?.kill();
  }
}

/**
 * A proxy in front of a registry that demands a bearer token, which its own token endpoint
 * gives for the right basic credentials — Docker Hub's flow. Counts what it forwards.
 */
export class AuthProxy {
  host = '';
  forwarded: string[] = [];
  /** Misbehaviour to inject: fail the next N blob requests with 503, answer 429, corrupt blobs, or go away in the middle of the Nth blob. */
  faults = { blob503: 0, rateLimit: false, corrupt: false, dieOnBlob: 0 };
  private port = 0;
  private readonly sockets = new Set<import('node:net').Socket>();
  private server: Server | null = null;
  constructor(private readonly upstream: string, private readonly user: string, private readonly pass: string) {}
  async start(): Promise<this> {
    const token = 'coop-test-token';
    this.server = createServer((req, res) => {
      if (req.url!.startsWith('/token')) {
        const want = `Basic ${Buffer.from(`${this.user}:${this.pass}`).toString('base64')}`;
        if (req.headers.authorization !== want) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
        return;
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer realm="http://${this.host}/token",service="coop-test",scope="repository:${req.url!.split('/').slice(2, -2).join('/')}:pull"`,
        }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
      this.forwarded.push(req.url!);
      if (this.faults.rateLimit) {
        res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
        return;
      }
      if (req.url!.includes('/blobs/') && this.faults.blob503 > 0) {
        this.faults.blob503--;
        res.writeHead(503).end('busy');
        return;
      }
      // the registry goes away in the middle of this download
      const die = req.url!.includes('/blobs/') && this.faults.dieOnBlob > 0 && --this.faults.dieOnBlob === 0;
      const [h, p] = this.upstream.split(':');
      const up = request({ host: h, port: Number(p), path: req.url, method: req.method, headers: { ...req.headers, authorization: '', host: this.upstream } }, (ur) => {
        res.writeHead(ur.statusCode!, ur.headers);
        if (die) {
          ur.once('data', (d: Buffer) => {
            res.write(d.subarray(0, Math.max(1, d.length >> 1)));
            setTimeout(() => this.stop(), 20);
          });
        } else if (this.faults.corrupt && req.url!.includes('/blobs/')) {
          let first = true;
          ur.on('data', (d: Buffer) => {
            if (first) d = Buffer.concat([Buffer.from([d[0]! ^ 1]), d.subarray(1)]);
            first = false;
            res.write(d);
          });
          ur.on('end', () => res.end());
        } else ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.server.on('connection', (sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    this.host = `127.0.0.1:${this.port}`;
    return this;
  }
  /** Stops listening and drops every connection (start() again listens on the same port). */
  stop(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
  }
}
