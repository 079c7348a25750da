// `coop update [--check]` (SPEC §9): ask the npm registry (npm's own `registry` setting) for the
// newest version of the package, install it with `npm install -g`, and have a running daemon
// hand over to the new version (its boxes live on, as with `coop system shutdown`).
import { spawn, spawnSync } from 'node:child_process';
import { CoopError } from '../errors.js';
import { findProgram } from '../sandbox/idmap.js';
import { packageName, packageVersion } from '../version.js';

export interface UpdateOptions {
  /** The caller's environment: PATH (npm) and npm's settings (npm_config_registry, ...). */
  env?: NodeJS.ProcessEnv;
  /** Registry URL (default: npm's `registry` setting). */
  registry?: string;
}

export interface UpdateInfo {
  name: string;
  current: string;
  /** The registry's `latest` version. */
  latest: string;
  /** True when `latest` is newer than `current`. */
  newer: boolean;
  registry: string;
}

const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

function npmPath(env: NodeJS.ProcessEnv): string {
  const npm = findProgram('npm', env.PATH ?? '');
  if (!npm) throw new CoopError('UPDATE_FAILED', 'npm is not installed (not on PATH): coop is updated with npm; install it with Node.js');
  return npm;
}

/** npm's `registry` setting for the caller: the environment's, else `npm config get registry`. */
export function registryUrl(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY;
  let url = set;
  if (!url) {
    const npm = findProgram('npm', env.PATH ?? '');
    const r = npm ? spawnSync(npm, ['config', 'get', 'registry'], { env, encoding: 'utf8', timeout: 20_000 }) : null;
    url = r?.status === 0 ? r.stdout.trim() : DEFAULT_REGISTRY;
  }
  return url.endsWith('/') ? url : `${url}/`;
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b` (x.y.z; a pre-release is older than its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [main, pre] = v.replace(/^v/, '').split('-', 2) as [string, string | undefined];
    return { nums: main.split('.').map((n) => Number(n) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** Asks the registry for the package's `latest` version. Throws a CoopError (UPDATE_FAILED) naming the registry. */
export async function checkForUpdate(opts: UpdateOptions = {}): Promise<UpdateInfo> {
  const env = opts.env ?? process.env;
  const registry = opts.registry ?? registryUrl(env);
  const name = packageName();
  const url = `${registry}${name.replace('/', '%2f')}`;
  const what = `cannot ask the package registry ${registry} for ${name}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' }, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CoopError('UPDATE_FAILED', `${what}: ${cause?.code ?? cause?.message ?? (e as Error).message}; check your network, or npm's registry setting (\`npm config get registry\`)`);
  }
  if (!res.ok) throw new CoopError('UPDATE_FAILED', `${what}: HTTP ${res.status}${res.status === 404 ? ' (the registry does not have it)' : ''}`);
  let latest: unknown;
  try {
    latest = ((await res.json()) as { 'dist-tags'?: { latest?: unknown } })['dist-tags']?.latest;
  } catch {
    latest = undefined;
  }
  if (typeof latest !== 'string' || !/^\d+\.\d+\.\d+/.test(latest)) throw new CoopError('UPDATE_FAILED', `${what}: its answer names no latest version`);
  const current = packageVersion();
  return { name, current, latest, newer: compareVersions(latest, current) > 0, registry };
}

/**
 * `npm install -g NAME@VERSION` from the registry, its output to `out`. Throws a CoopError
 * (UPDATE_FAILED) with npm's exit code and what to try.
 */
export async function installVersion(info: UpdateInfo, opts: UpdateOptions & { out?: NodeJS.WritableStream } = {}): Promise<void> {
  const env = opts.env ?? process.env;
  const spec = `${info.name}@${info.latest}`;
  const args = ['install', '--global', '--no-fund', '--no-audit', `--registry=${info.registry}`, spec];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(npmPath(env), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => opts.out?.write(d));
    child.stderr.on('data', (d) => opts.out?.write(d));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new CoopError('UPDATE_FAILED', `\`npm ${args.join(' ')}\` failed (exit code ${code}); when npm cannot write to its global directory, install as you did the first time (e.g. \`npm install -g --prefix ~/.local ${spec}\`)`);
  }
}
