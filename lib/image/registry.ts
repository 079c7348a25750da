// A client of the OCI distribution API (SPEC §3): /v2/ over https (http only for loopback
// registries or --insecure-registry), auth challenges, manifests and blobs, retries of
// transient failures, and one-line errors for what a user can act on.
import type { Readable } from 'node:stream';
import { CoopError } from '../errors.js';
import { basicHeader, loadCredentials, parseChallenge, type Credentials } from './auth.js';
import { HttpError, httpGet, type HttpResponse } from './http.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
};
const MANIFEST_ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ');

export interface RegistryOptions {
  /** Registries (host[:port]) that may be spoken to over plain http. */
  insecure?: string[];
  credentials?: Credentials | null;
  /** Attempts for transient failures (network errors, 5xx). Default 4. */
  attempts?: number;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

/** The host to talk to for a registry name. */
export const apiHost = (registry: string) => (registry === 'docker.io' ? 'registry-1.docker.io' : registry);

export class Registry {
  private token: string | null = null;
  private basic: string | null = null;
  /** https://host, or http://host for loopback and --insecure-registry hosts. */
  readonly base: string;
  private readonly credentials: Credentials | null;

  constructor(
    readonly registry: string,
    readonly repository: string,
    private readonly opts: RegistryOptions = {},
  ) {
    const host = apiHost(registry);
    const plain = LOOPBACK.test(host) || (opts.insecure ?? []).includes(registry) || (opts.insecure ?? []).includes(host);
    this.base = `${plain ? 'http' : 'https'}://${host}`;
    this.credentials = opts.credentials !== undefined ? opts.credentials : loadCredentials(registry);
  }

  private what(path: string): string {
    const ref = /^manifests\/(.+)$/.exec(path)?.[1];
    return `${this.registry}/${this.repository}${ref ? (ref.startsWith('sha256:') ? `@${ref}` : `:${ref}`) : ''}`;
  }

  /** A GET with auth and retries; the response is ok (2xx) or a CoopError is thrown. */
  async get(path: string, accept?: string): Promise<HttpResponse> {
    const url = `${this.base}/v2/${this.repository}/${path}`;
    const attempts = this.opts.attempts ?? 4;
    let authed = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      else if (this.basic) headers.authorization = this.basic;
      let res: HttpResponse;
      try {
        res = await httpGet(url, headers);
      } catch (e) {
        if (attempt < attempts) {
          await backoff(attempt);
          continue;
        }
        throw new CoopError('IMAGE_FAILED', `cannot reach ${this.base}: ${e instanceof HttpError ? e.code : (e as Error).message}`);
      }
      if (res.status === 401 && !authed) {
        authed = true;
        res.discard();
        await this.authenticate(res.header('www-authenticate'));
        continue;
      }
      if (res.ok) return res;
      const detail = await registryError(res);
      if (res.status >= 500 && attempt < attempts) {
        await backoff(attempt);
        continue;
      }
      throw this.failure(res.status, detail, path);
    }
  }

  private failure(status: number, detail: { code: string; message: string }, path: string): CoopError {
    const what = this.what(path);
    if (status === 401) return new CoopError('IMAGE_FAILED', `${what}: authentication required or refused (${detail.message || 'UNAUTHORIZED'}); add credentials for ${this.registry} to ~/.docker/config.json`);
    if (status === 403) return new CoopError('IMAGE_FAILED', `${what}: access denied (${detail.message || 'DENIED'})`);
    if (status === 404 || detail.code === 'MANIFEST_UNKNOWN' || detail.code === 'NAME_UNKNOWN') {
      return new CoopError('IMAGE_FAILED', `${what}: not found (${detail.code || 'NOT FOUND'}); check the image name and tag`);
    }
    if (status === 429) return new CoopError('IMAGE_FAILED', `${what}: rate limited by ${this.registry} (TOOMANYREQUESTS); wait, or log in for a higher limit`);
    return new CoopError('IMAGE_FAILED', `${what}: the registry answered ${status}${detail.message ? ` (${detail.message})` : ''}`);
  }

  private async authenticate(header: string | null): Promise<void> {
    const c = header ? parseChallenge(header) : null;
    if (c?.scheme === 'basic') {
      if (!this.credentials) throw new CoopError('IMAGE_FAILED', `${this.registry} requires a login; add credentials to ~/.docker/config.json`);
      this.basic = basicHeader(this.credentials);
      return;
    }
    if (c?.scheme !== 'bearer' || !c.params.realm) throw new CoopError('IMAGE_FAILED', `${this.registry}: unsupported authentication challenge "${header ?? ''}"`);
    const u = new URL(c.params.realm);
    if (c.params.service) u.searchParams.set('service', c.params.service);
    u.searchParams.set('scope', c.params.scope ?? `repository:${this.repository}:pull`);
    const headers: Record<string, string> = this.credentials ? { authorization: basicHeader(this.credentials) } : {};
    let res: HttpResponse;
    try {
      res = await httpGet(u, headers);
    } catch (e) {
      throw new CoopError('IMAGE_FAILED', `cannot reach the token service ${u.origin}: ${(e as Error).message}`);
    }
    if (!res.ok) throw this.failure(res.status === 429 ? 429 : 401, await registryError(res), 'token');
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse((await res.buffer(1024 * 1024)).toString('utf8')) as typeof body;
    } catch {
      body = {};
    }
    this.token = body.token ?? body.access_token ?? null;
    if (!this.token) throw new CoopError('IMAGE_FAILED', `${this.registry}: the token service gave no token`);
  }

  /** A manifest or index by tag or digest: its bytes and media type. */
  async manifest(reference: string): Promise<{ body: Buffer; mediaType: string }> {
    const res = await this.get(`manifests/${reference}`, MANIFEST_ACCEPT);
    let body: Buffer;
    try {
      body = await res.buffer(4 * 1024 * 1024);
    } catch (e) {
      if (e instanceof HttpError && e.code === 'E2BIG') throw new CoopError('IMAGE_FAILED', `${this.what(`manifests/${reference}`)}: manifest larger than 4 MiB`);
      throw new CoopError('IMAGE_FAILED', `${this.what(`manifests/${reference}`)}: ${(e as Error).message}`);
    }
    const mediaType = (res.header('content-type') ?? '').split(';')[0]!.trim();
    return { body, mediaType };
  }

  /** A blob's bytes as a stream. */
  async blob(digest: string): Promise<Readable> {
    return (await this.get(`blobs/${digest}`)).body;
  }

  /**
   * Feeds a blob's stream to `consume`, downloading it again (with the same attempts and
   * back-off as requests) when the connection breaks in the middle. A CoopError from either
   * side (refusals, digest mismatches) is final.
   */
  async blobInto<T>(digest: string, consume: (s: Readable) => Promise<T>): Promise<T> {
    const attempts = this.opts.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        return await consume(await this.blob(digest));
      } catch (e) {
        if (e instanceof CoopError) throw e;
        if (attempt < attempts) {
          await backoff(attempt);
          continue;
        }
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code ?? (e as Error).message;
        throw new CoopError('IMAGE_FAILED', `${this.what('')}: downloading ${digest.slice(0, 19)} failed (${cause}); what was downloaded is kept — run it again to resume`);
      }
    }
  }
}

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));

async function registryError(res: HttpResponse): Promise<{ code: string; message: string }> {
  try {
    const j = JSON.parse((await res.buffer(1024 * 1024)).toString('utf8')) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    return { code: e?.code ?? '', message: e?.message ?? '' };
  } catch {
    return { code: '', message: '' };
  }
}
