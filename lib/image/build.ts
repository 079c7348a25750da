// `coop build` (SPEC §3): image -> layers unpacked -> `packages` -> `setup`, each command in
// a build box, shown as `[i/N] command` with its output -> renamed atomically into
// $COOP_HOME/rootfs/<hash>. A failed step leaves nothing half-built behind. The state after
// each step but the last is kept as a cached layer ($COOP_HOME/steps/<key>, keyed by the
// image and the steps up to it): changing step 3 re-runs from step 3.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { BUILD_CA_FILE, caBundleText, caVariables } from '../sandbox/ca-certs.js';
import { join, posix } from 'node:path';
import type { Writable } from 'node:stream';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import { packageRoot } from '../native.js';
import { rootfsDir } from '../paths.js';
import { planBuildStep } from '../sandbox/build-plan.js';
import { prepareHost } from '../sandbox/prepare.js';
import { HelperProcess } from '../sandbox/helper-process.js';
import { APT_ONE_ID } from '../sandbox/etc-files.js';
import { currentUser, hasRange, idMappingFor } from '../sandbox/idmap.js';
import { isPlainDirInRoot, resolveInRoot } from '../sandbox/in-root.js';
import type { IdMapping } from '../sandbox/plan.js';
import { removeTree } from '../sandbox/remove.js';
import { spawnInUserns } from '../sandbox/userns.js';
import { resolveImage, type ResolvedImage } from './pull.js';
import type { RegistryOptions } from './registry.js';
import { contentHash, readRecord, recipeFor, writeRecord } from './store.js';
import { unpackLayers } from './unpack.js';

export interface BuildOptions {
  config: CoopConfig;
  coopHome: string;
  /** Where relative local image paths resolve (the coop.toml's directory). */
  baseDir: string;
  /** Download and build again even when cached. */
  noCache?: boolean;
  /** Hash every cached blob again. */
  verify?: boolean;
  registry?: RegistryOptions;
  /** Step headers and the steps' output. */
  out?: Writable | null;
  /** Download progress (drawn on a TTY only). */
  progress?: NodeJS.WritableStream | null;
  /** One-line warnings. */
  warn?: (message: string) => void;
}

export interface BuildResult {
  path: string;
  hash: string;
  digest: string;
  /** True when an existing rootfs was used. */
  cached: boolean;
}

/** Package installation commands for `[packages]`, one per manager, in a fixed order. */
export function packageCommands(packages: Record<string, string[]>): string[] {
  const q = (names: string[]) => names.map((n) => `'${n.replace(/'/g, "'\\''")}'`).join(' ');
  const cmds: Record<string, (p: string) => string> = {
    apt: (p) => `apt-get update && apt-get install -y --no-install-recommends ${p}`,
    apk: (p) => `apk add --no-cache ${p}`,
    dnf: (p) => `dnf install -y ${p}`,
    pacman: (p) => `pacman -Sy --noconfirm ${p}`,
    npm: (p) => `npm install -g ${p}`,
    pip: (p) => `pip install ${p}`,
  };
  return Object.keys(cmds).filter((m) => packages[m]?.length).map((m) => cmds[m]!(q(packages[m]!)));
}

function env(resolved: ResolvedImage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of resolved.config.config?.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

async function unpack(resolved: ResolvedImage, dir: string, idmap: IdMapping, warn: (m: string) => void): Promise<void> {
  // Owners are kept only where boxes can show them: through a subordinate id range (root too).
  if (!hasRange(idmap)) {
    warn('no subordinate id range for you in /etc/subuid: every file of the image will belong to you (see docs/troubleshooting.md)');
    await unpackLayers(resolved.layers.map((l) => () => createReadStream(l.path)), dir, { chown: false });
    return;
  }
  // As root of a user namespace over our range, so that files keep their owners.
  const main = join(packageRoot, 'dist', 'lib', 'image', 'unpack-main.js');
  const h = spawnInUserns([process.execPath, main, dir, ...resolved.layers.map((l) => l.path)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  h.child.stderr?.on('data', (d) => (err += d));
  await h.outputRead(); // (unpack-main starts nothing that could outlive it)
  const o = await h.outcome;
  if (o.error) throw o.error;
  if (o.exit?.code !== 0) throw new CoopError('IMAGE_FAILED', `unpacking the image failed: ${err.trim().split('\n').at(-1) ?? `exit ${o.exit?.code}`}`);
}

/** Runs one command in the build box on dir; rejects with its exit code. */
async function step(dir: string, coopHome: string, idmap: IdMapping, command: string, imageEnv: Record<string, string>, out: Writable | null, label: string): Promise<void> {
  prepareHost(coopHome, []);
  const plan = planBuildStep({ rootfs: dir, coopHome, idmap, command, imageEnv });
  const h = new HelperProcess(plan, { argv0: 'coop-init', args: ['coop-build'], stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  for (const s of [h.child.stdout, h.child.stderr]) {
    s?.on('data', (d: Buffer) => {
      out?.write(d);
      tail = (tail + d.toString()).slice(-2000);
    });
  }
  await h.outputRead();
  const o = await h.outcome;
  if (o.error && !o.exit) throw o.error;
  const code = o.exit?.code ?? null;
  if (code !== 0) {
    const how = code === null ? `signal ${o.exit?.signal}` : `exit code ${code}`;
    throw new CoopError('IMAGE_FAILED', `${label} failed with ${how}: ${command}${out ? '' : `\n${tail}`}`);
  }
}

/**
 * Puts `text` at /etc/`name` of the rootfs for the build steps and gives back a function that
 * restores what was there. The rootfs is untrusted: /etc is resolved inside it, never
 * through a link to the host.
 */
function withEtcFile(root: string, name: string, text: string): () => void {
  try {
    lstatSync(join(root, 'etc'));
  } catch {
    mkdirSync(join(root, 'etc'));
  }
  const etc = resolveInRoot(root, posix.join('/etc', posix.dirname(name)));
  if (!etc || !lstatSync(etc).isDirectory()) return () => {};
  const file = join(etc, posix.basename(name));
  let before: { link: string } | { text: string } | null = null;
  try {
    const st = lstatSync(file);
    before = st.isSymbolicLink() ? { link: readlinkSync(file) } : { text: readFileSync(file, 'utf8') };
  } catch {
    // none
  }
  rmSync(file, { force: true });
  writeFileSync(file, text);
  return () => {
    rmSync(file, { force: true });
    if (before && 'link' in before) symlinkSync(before.link, file);
    else if (before) writeFileSync(file, before.text);
  };
}

/** What the build steps need in /etc: the host's resolv.conf, apt's setting for boxes of one id, the CA bundle. */
function buildEtc(root: string, idmap: IdMapping, caBundle: string | null): () => void {
  const undo: (() => void)[] = [];
  if (caBundle) undo.push(withEtcFile(root, BUILD_CA_FILE, caBundle));
  try {
    undo.push(withEtcFile(root, 'resolv.conf', readFileSync('/etc/resolv.conf', 'utf8')));
  } catch {
    // the host has none
  }
  if (!hasRange(idmap) && isPlainDirInRoot(root, '/etc/apt/apt.conf.d')) undo.push(withEtcFile(root, APT_ONE_ID.path, APT_ONE_ID.content));
  return () => undo.reverse().forEach((f) => f());
}

/** Where the cached state after each build step lives. */
export const stepsDir = (home: string) => join(home, 'steps');

/** The cache key of the state after steps[0..i]: the image, how files are owned, the steps so far. */
function stepKeys(digest: string, idmap: IdMapping, steps: string[]): string[] {
  return steps.map((_, i) => createHash('sha256').update(JSON.stringify({ v: 1, digest, range: hasRange(idmap), steps: steps.slice(0, i + 1) })).digest('hex'));
}

/** Copies a tree with its owners (as root of a user namespace over the caller's ids). */
async function copyTree(from: string, to: string): Promise<void> {
  const h = spawnInUserns(['cp', '-a', '--', `${from}/.`, to], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  h.child.stderr?.on('data', (d) => (err += d));
  const o = await h.outcome;
  if (o.error) throw o.error;
  if (o.exit?.code !== 0) throw new CoopError('IMAGE_FAILED', `copying a build layer failed: ${err.trim().split('\n').at(-1) ?? `exit ${o.exit?.code}`}`);
}

/** Keeps the state after a step (a copy, renamed into place when complete); a failure only costs the cache. */
async function keepStep(home: string, key: string, tree: string, idmap: IdMapping): Promise<void> {
  const dir = stepsDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.new-${key.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { mode: 0o755 });
  try {
    await copyTree(tree, tmp);
    renameSync(tmp, join(dir, key));
  } catch {
    await removeTree([tmp], idmap).catch(() => rmSync(tmp, { recursive: true, force: true }));
  }
}

/** Builds (or finds) the rootfs of a configuration. */
export async function buildImage(opts: BuildOptions): Promise<BuildResult> {
  const found = recipeFor(opts.config.sandbox, opts.baseDir);
  if (!found) throw new CoopError('IMAGE_FAILED', `image "${opts.config.sandbox.image}" is used as it is; there is nothing to build`);
  const { recipe, source } = found;
  const warn = opts.warn ?? (() => {});
  const resolved = await resolveImage(source, { coopHome: opts.coopHome, registry: opts.registry, noCache: opts.noCache, verify: opts.verify, progress: opts.progress });
  const hash = contentHash(resolved.digest, recipe);
  const target = join(rootfsDir(opts.coopHome), hash);
  const record = () => writeRecord(opts.coopHome, { ...recipe, hash, digest: resolved.digest, built: new Date().toISOString() });
  if (existsSync(target) && !opts.noCache) {
    if (!readRecord(opts.coopHome, recipe)) record();
    return { path: target, hash, digest: resolved.digest, cached: true };
  }
  mkdirSync(rootfsDir(opts.coopHome), { recursive: true, mode: 0o700 });
  const tmp = join(rootfsDir(opts.coopHome), `.build-${hash.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { mode: 0o755 });
  const idmap = idMappingFor(currentUser());
  try {
    const commands = [...packageCommands(recipe.packages), ...recipe.setup];
    const keys = stepKeys(resolved.digest, idmap, commands);
    // The longest run of steps already done (never the last: that is the rootfs itself).
    let done = 0;
    if (!opts.noCache) for (let i = commands.length - 1; i > 0 && !done; i--) if (existsSync(join(stepsDir(opts.coopHome), keys[i - 1]!))) done = i;
    if (done) await copyTree(join(stepsDir(opts.coopHome), keys[done - 1]!), tmp);
    else await unpack(resolved, tmp, idmap, warn);
    for (let i = 0; i < done; i++) opts.out?.write(`[${i + 1}/${commands.length}] cached: ${commands[i]}\n`);
    const ca = caBundleText(opts.config.sandbox.ca_certs ?? '');
    const stepEnv = { ...env(resolved), ...(ca ? caVariables(`/etc/${BUILD_CA_FILE}`) : {}) };
    for (let i = done; i < commands.length; i++) {
      const cmd = commands[i]!;
      const label = `[${i + 1}/${commands.length}]`;
      opts.out?.write(`${label} ${cmd}\n`);
      const restore = buildEtc(tmp, idmap, ca);
      try {
        await step(tmp, opts.coopHome, idmap, cmd, stepEnv, opts.out ?? null, label);
      } finally {
        restore();
      }
      if (i < commands.length - 1) await keepStep(opts.coopHome, keys[i]!, tmp, idmap);
    }
    if (existsSync(target)) {
      // --no-cache gave the same content again: the rootfs in place (maybe in use) stays.
      await removeTree([tmp], idmap);
    } else renameSync(tmp, target);
  } catch (e) {
    await removeTree([tmp], idmap).catch(() => rmSync(tmp, { recursive: true, force: true }));
    throw e;
  }
  record();
  return { path: target, hash, digest: resolved.digest, cached: false };
}

/**
 * The rootfs a configuration needs, built first when it is missing: `build` "auto" builds
 * then, "never" fails with ROOTFS_NOT_BUILT (exit 5), "always" checks the image again.
 * Null for host and dir: images (used as they are).
 */
export async function ensureRootfs(opts: BuildOptions & { build: 'auto' | 'never' | 'always'; say?: (m: string) => void }): Promise<BuildResult | null> {
  const found = recipeFor(opts.config.sandbox, opts.baseDir);
  if (!found) return null;
  const rec = readRecord(opts.coopHome, found.recipe);
  if (rec && opts.build !== 'always' && !opts.noCache) {
    return { path: join(rootfsDir(opts.coopHome), rec.hash), hash: rec.hash, digest: rec.digest, cached: true };
  }
  if (!rec && opts.build === 'never') {
    throw new CoopError('ROOTFS_NOT_BUILT', `image "${opts.config.sandbox.image}" is not built for this configuration; run \`coop build\``);
  }
  if (!rec) opts.say?.(`Image "${opts.config.sandbox.image}" is not built for this configuration yet; building it.`);
  return buildImage(opts);
}
