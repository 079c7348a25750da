// @coop/core — sandboxed, detachable boxes for AI coding agents on Linux namespaces.
//
// This is the whole public API for tools that embed coop (docs/api.md is written from the
// comments below). Plan, wire and protocol internals are subpath exports:
// '@coop/core/sandbox', '@coop/core/protocol', '@coop/core/config', '@coop/core/image'.
import { loadConfig as loadConfig_, type ConfigOverrides as ConfigOverrides_, type LoadConfigOptions as LoadConfigOptions_, type LoadedConfig as LoadedConfig_ } from './config/load.js';
import { isTrusted as isTrusted_, revokeTrust as revokeTrust_, trustFile as trustFile_, type Trusted as Trusted_, type TrustOptions as TrustOptions_ } from './config/trust.js';
import type { BoxMount as BoxMount_, CoopConfig as CoopConfig_ } from './config/types.js';
import { buildImage as buildImage_, ensureRootfs as ensureRootfs_, type BuildOptions as BuildOptions_, type BuildResult as BuildResult_ } from './image/build.js';
import { clean, diskUsage as diskUsage_, prune, type CleanResult as CleanResult_, type DiskUsage as DiskUsage_ } from './image/gc.js';
import type {
  AttachOptions as AttachOptions_, CreateOptions as CreateOptions_, KillOptions as KillOptions_, LogsOptions as LogsOptions_,
  PtyTarget as PtyTarget_, RestartOptions as RestartOptions_, ServeOptions as ServeOptions_, ShellOptions as ShellOptions_,
  TunnelOptions as TunnelOptions_, TunnelWaitOptions as TunnelWaitOptions_,
} from './client/options.js';
import type { LsRow as LsRow_, PtyRow as PtyRow_, StatusInfo as StatusInfo_ } from './ipc/messages.js';
import { checkHost as checkHost_, type CheckHostOptions as CheckHostOptions_, type HostCheck as HostCheck_ } from './doctor/index.js';
import { coopHome as coopHome_ } from './paths.js';
import { createBox as createBox_, run as run_ } from './boxes.js';
import {
  isRunning as isRunning_, killBox as killBox_,
  type Box as Box_, type BoxProcess as BoxProcess_, type CreateBoxOptions as CreateBoxOptions_,
} from './sandbox/box.js';
import { execInBox as execInBox_, type ExecHandle as ExecHandle_, type ExecOptions as ExecOptions_, type ExecResult as ExecResult_ } from './sandbox/exec.js';
import type { RunHandle as RunHandle_, RunOptions as RunOptions_, RunResult as RunResult_ } from './sandbox/run.js';

export { CoopError, type ErrorCode } from './errors.js';
export { Client, AttachStream, type AttachEvents, type ConnectOptions } from './client/index.js';

// ---- configuration --------------------------------------------------------------------

/**
 * Loads the layered configuration for a directory (SPEC §2): the global file, the project's
 * coop.toml (found from `cwd` upward; refused while it reaches outside the box untrusted),
 * then `overrides`; `[env]` expanded from `env`. Throws a CoopError (CONFIG_INVALID or
 * CONFIG_UNTRUSTED) naming the file, line and key.
 *
 * @example
 *   const { config, warnings } = loadConfig({ cwd: process.cwd(), overrides: { network: 'none' } });
 */
export const loadConfig: typeof loadConfig_ = loadConfig_;

/**
 * Options of {@link loadConfig}: where to look (`cwd`, `workspace`, `configPath`,
 * `globalPath`), the caller's environment, command-line style `overrides`, `requireAgent`,
 * and `trust: false` for a tool that vouches for the project file itself.
 *
 * @example
 *   const opts: LoadConfigOptions = { cwd: process.cwd(), globalPath: null, trust: false };
 */
export type LoadConfigOptions = LoadConfigOptions_;

/**
 * What {@link loadConfig} returns: the resolved `config` (its `sandbox.mounts` parsed into
 * {@link BoxMount}s), one-line `warnings`, the `files` read, the `projectFile`, the
 * `workspace` directory.
 *
 * @example
 *   const loaded: LoadedConfig = loadConfig();
 *   for (const w of loaded.warnings) console.warn(w);
 */
export type LoadedConfig = LoadedConfig_;

/**
 * Settings that win over every file, like the CLI's flags: `image`, `network`, `agent`
 * (a command line), `hostname`.
 *
 * @example
 *   const overrides: ConfigOverrides = { image: 'debian:bookworm', network: 'none' };
 */
export type ConfigOverrides = ConfigOverrides_;

/**
 * A resolved configuration: every section of coop.toml with every key present (`sandbox`,
 * `workspace`, `env`, `network`, `session`, `input_filter`). `env` may hold secrets.
 *
 * @example
 *   const { config }: { config: CoopConfig } = loadConfig();
 *   config.network.mode = 'none';
 */
export type CoopConfig = CoopConfig_;

/**
 * A `sandbox.mounts` entry as data (what `config.sandbox.mounts` holds): a host path
 * (`kind: 'path'`, an absolute `host`) or a named volume (`kind: 'volume'`, `name`), its
 * `box` path and `readonly`.
 *
 * @example
 *   const m: BoxMount = { kind: 'volume', name: 'npm-cache', box: '~/.npm', readonly: false };
 *   config.sandbox.mounts.push(m, { kind: 'path', host: '/srv/data', box: '/data', readonly: true });
 */
export type BoxMount = BoxMount_;

/**
 * Records the current content of a project coop.toml as trusted (what `coop trust` does):
 * loadConfig then uses it until it changes. Throws a CoopError for another user's file.
 *
 * @example
 *   const { widening } = trustFile('./coop.toml');
 */
export const trustFile: typeof trustFile_ = trustFile_;

/**
 * Forgets a file's trust (`coop trust --revoke`); false when it was not trusted.
 *
 * @example
 *   revokeTrust('./coop.toml');
 */
export const revokeTrust: typeof revokeTrust_ = revokeTrust_;

/**
 * Whether the file's current content is trusted (false for another user's file).
 *
 * @example
 *   if (!isTrusted('./coop.toml')) console.log('run `coop trust` first');
 */
export const isTrusted: typeof isTrusted_ = isTrusted_;

/**
 * Options of the trust functions: the caller's `env` (for XDG_CONFIG_HOME), `home`, the
 * `store` file, the `workspace` the file is used with.
 *
 * @example
 *   trustFile('ci/coop.toml', { workspace: process.cwd() } satisfies TrustOptions);
 */
export type TrustOptions = TrustOptions_;

/**
 * What {@link trustFile} recorded: the canonical `file`, its `sha256`, and the keys by which
 * it reaches outside the box (`widening`).
 *
 * @example
 *   const t: Trusted = trustFile('coop.toml');
 *   console.log(t.widening.map((w) => w.key));
 */
export type Trusted = Trusted_;

/**
 * coop's state directory for an environment: $COOP_HOME, default ~/.coop (built images,
 * boxes' layers, volumes, the daemon's socket). Several coops with different homes run side
 * by side.
 *
 * @example
 *   await buildImage({ config, coopHome: coopHome(), baseDir: workspace });
 */
export const coopHome: typeof coopHome_ = coopHome_;

// ---- one-shot boxes -------------------------------------------------------------------

/**
 * Runs one command in a fresh box and removes the box afterwards (no daemon; `coop run`).
 * Returns a promise of how the command ended that also carries its `stdin`, `stdout`,
 * `stderr` (stdio 'pipe', the default) and `kill()`. A command that does not exist resolves
 * with code 127 and a one-line `failure`; a box that cannot be set up rejects with a
 * CoopError (SANDBOX_FAILED, CONFIG_INVALID, ROOTFS_NOT_BUILT).
 *
 * @example
 *   const { config } = loadConfig({ cwd: process.cwd() });
 *   const { code } = await run({ cmd: ['npm', 'test'], config, stdio: 'inherit' });
 *
 *   const box = run({ cmd: ['uname', '-a'], config });
 *   box.stdout!.pipe(process.stdout);
 *   const { code: exit } = await box;
 */
export const run: typeof run_ = run_;

/**
 * Options of {@link run}: `cmd`, `config`, and optionally `cwd` in the box, `stdio`, a
 * `terminal` of the box's own, the caller's `env` (TERM, LANG), `coopHome`, a box `name`.
 *
 * @example
 *   const opts: RunOptions = { cmd: ['make'], config, stdio: 'inherit', cwd: '/workspace/src' };
 */
export type RunOptions = RunOptions_;

/**
 * How a {@link run} command ended: the box `name`, the exit `code` (null when a `signal`
 * ended it) and, when it could not be started, a one-line `failure`.
 *
 * @example
 *   const r: RunResult = await run({ cmd: ['false'], config });
 *   process.exitCode = r.code ?? 1;
 */
export type RunResult = RunResult_;

/**
 * What {@link run} returns: a `Promise<RunResult>` with the box `name`, `stdin`, `stdout`,
 * `stderr` (null unless stdio is 'pipe') and `kill(signal)`.
 *
 * @example
 *   const h: RunHandle = run({ cmd: ['sleep', '60'], config });
 *   setTimeout(() => h.kill('SIGTERM'), 1000);
 *   console.log((await h).signal);   // 'SIGTERM'
 */
export type RunHandle = RunHandle_;

// ---- long-lived boxes -----------------------------------------------------------------

/**
 * Creates a box that lives on by itself (its init waits for processes; no daemon needed):
 * start processes in it with {@link execInBox}, end it with {@link killBox}. Rejects with a
 * CoopError: BOX_EXISTS when a box of that name runs, SANDBOX_FAILED, CONFIG_INVALID,
 * ROOTFS_NOT_BUILT (the configuration's image is built first: `coop build`, {@link ensureRootfs}).
 *
 * @example
 *   const box = await createBox({ config, name: 'api-tests' });
 *   await execInBox(box, { argv: ['npm', 'ci'], stdio: 'inherit' });
 *   await killBox(box);
 */
export const createBox: typeof createBox_ = createBox_;

/**
 * Options of {@link createBox}: `config`, the box `name`, and optionally `coopHome`, the
 * caller's environment (`callerEnv`), `graceMs` (how long its init waits on SIGTERM).
 *
 * @example
 *   const opts: CreateBoxOptions = { config, name: 'scratch', graceMs: 1000 };
 */
export type CreateBoxOptions = CreateBoxOptions_;

/**
 * A running box as its creator knows it: `name`, its init's `pid` and `startTime`, `paths`
 * under $COOP_HOME, `workspace`, in-box `user`, `home`, `shell`, `env` (may hold secrets:
 * keep it in memory), `image`, `created`.
 *
 * @example
 *   const box: Box = await createBox({ config, name: 'scratch' });
 *   console.log(box.name, box.pid, box.workspace.path);
 */
export type Box = Box_;

/**
 * A process to start in a box: `argv`, and optionally `cwd` (default the workspace path),
 * `env` added to the box's, a `terminal`.
 *
 * @example
 *   const p: BoxProcess = { argv: ['sh', '-c', 'ls'], cwd: '/tmp', env: { LC_ALL: 'C' } };
 */
export type BoxProcess = BoxProcess_;

/**
 * Starts a process in a running box: a promise of how it ended with its `stdin`, `stdout`,
 * `stderr` and `kill()`, as {@link run}'s. Rejects with a CoopError (SANDBOX_FAILED) when
 * the box cannot be entered (it is gone).
 *
 * @example
 *   const p = execInBox(box, { argv: ['cat', '/etc/os-release'] });
 *   p.stdout!.on('data', (d) => process.stdout.write(d));
 *   const { code } = await p;
 */
export const execInBox: typeof execInBox_ = execInBox_;

/**
 * Options of {@link execInBox}: a {@link BoxProcess} and `stdio` ('pipe', 'inherit', 'ignore').
 *
 * @example
 *   const opts: ExecOptions = { argv: ['make', 'test'], stdio: 'inherit' };
 */
export type ExecOptions = ExecOptions_;

/**
 * How an {@link execInBox} process ended: `code` (null when a `signal` ended it) and, when
 * it could not be started, a one-line `failure`.
 *
 * @example
 *   const { code, failure }: ExecResult = await execInBox(box, { argv: ['nope'] });   // 127, 'nope: command not found'
 */
export type ExecResult = ExecResult_;

/**
 * What {@link execInBox} returns: a `Promise<ExecResult>` with `stdin`, `stdout`, `stderr`
 * and `kill(signal)`.
 *
 * @example
 *   const h: ExecHandle = execInBox(box, { argv: ['cat'] });
 *   h.stdin!.end('hello\n');
 *   await h;
 */
export type ExecHandle = ExecHandle_;

/**
 * Ends a box: SIGTERM to every process in it, SIGKILL after the grace time (or at once with
 * `force`), then removes its layers. `session.persist` directories and volumes are kept.
 *
 * @example
 *   await killBox(box, { graceMs: 2000 });
 */
export const killBox: typeof killBox_ = killBox_;

/**
 * True while the box's init process is alive (and is still that process).
 *
 * @example
 *   if (!isRunning(box)) console.log(`${box.name} has ended`);
 */
export const isRunning: typeof isRunning_ = isRunning_;

// ---- images ---------------------------------------------------------------------------

/**
 * Builds (or finds) the rootfs of `config.sandbox.image` with its `packages` and `setup`
 * (`coop build`): pulls the image, unpacks it, runs each step in a build box. Rejects with a
 * CoopError (IMAGE_FAILED) naming what failed; nothing half-built is left behind.
 *
 * @example
 *   const { path, cached } = await buildImage({ config, coopHome: coopHomeDir, baseDir: workspace, out: process.stdout });
 */
export const buildImage: typeof buildImage_ = buildImage_;

/**
 * The rootfs a configuration needs, built when missing (`build: 'auto'`), never built
 * (`'never'`: a CoopError ROOTFS_NOT_BUILT) or checked again (`'always'`). Null for the
 * `host` and `dir:` images, which are used as they are.
 *
 * @example
 *   await ensureRootfs({ config, coopHome: coopHomeDir, baseDir: workspace, build: 'auto' });
 *   await run({ cmd: ['make'], config });
 */
export const ensureRootfs: typeof ensureRootfs_ = ensureRootfs_;

/**
 * Options of {@link buildImage} and {@link ensureRootfs}: `config`, `coopHome`, `baseDir`
 * (where relative image paths resolve), `noCache`, `registry` options, and where step
 * output (`out`), download `progress` and `warn`ings go.
 *
 * @example
 *   const opts: BuildOptions = { config, coopHome: coopHomeDir, baseDir: process.cwd(), noCache: true };
 */
export type BuildOptions = BuildOptions_;

/**
 * A built rootfs: its `path`, content `hash`, the image `digest`, and whether it was `cached`.
 *
 * @example
 *   const r: BuildResult = await buildImage(opts);
 *   console.log(r.cached ? 'up to date' : `built ${r.hash}`);
 */
export type BuildResult = BuildResult_;

/**
 * Disk used under $COOP_HOME (`coop system df`): each built rootfs (and whether a running
 * box uses it), the download cache, volumes, boxes.
 *
 * @example
 *   const { rootfs, volumes } = await diskUsage(coopHomeDir);
 */
export const diskUsage: typeof diskUsage_ = diskUsage_;

/**
 * What {@link diskUsage} reports, in bytes.
 *
 * @example
 *   const u: DiskUsage = await diskUsage(coopHomeDir);
 *   console.log(u.rootfs.filter((r) => !r.inUse).length, 'unused builds');
 */
export type DiskUsage = DiskUsage_;

/**
 * Removes rootfs builds replaced by newer builds of their image (`all`: every build no running
 * box uses) — `coop system clean`.
 *
 * @example
 *   const { removed, freedBytes } = await cleanImages(coopHomeDir);
 */
export const cleanImages: typeof clean = clean;

/**
 * What {@link cleanImages} removes, and the download cache (`coop system prune`).
 *
 * @example
 *   await pruneImages(coopHomeDir);
 */
export const pruneImages: typeof prune = prune;

/**
 * What {@link cleanImages} and {@link pruneImages} removed: the `removed` paths and the `freedBytes`.
 *
 * @example
 *   const r: CleanResult = await pruneImages(coopHomeDir);
 */
export type CleanResult = CleanResult_;

// ---- host checks ----------------------------------------------------------------------

/**
 * Checks everything a box depends on (`coop doctor`): the kernel, the three switches that
 * turn user namespaces off, creating one, subordinate id ranges and newuidmap/newgidmap,
 * $COOP_HOME and overlayfs on it, pasta/slirp4netns, cgroup v2 delegation, the daemon, and
 * finally starts one box and times it. Each result is ok, warning or failing with the fix.
 *
 * @example
 *   const checks = await checkHost({ startBox: false });
 *   for (const c of checks.filter((c) => c.status !== 'ok')) console.log(`${c.name}: ${c.message}`);
 */
export const checkHost: typeof checkHost_ = checkHost_;

/**
 * Options of {@link checkHost}: the `coopHome` to check, the caller's `env` (PATH for the
 * tools), and `startBox: false` to skip starting a box.
 *
 * @example
 *   const opts: CheckHostOptions = { coopHome: '/tmp/coop-ci', startBox: true };
 */
export type CheckHostOptions = CheckHostOptions_;

/**
 * One result of {@link checkHost}: its `name`, `status` ('ok', 'warning' or 'failing'), a
 * one-line `message` (with the fix when it is not ok), and for the box `ms`.
 *
 * @example
 *   const box: HostCheck | undefined = (await checkHost()).find((c) => c.name === 'box');
 *   console.log(`a box starts in ${box?.ms} ms`);
 */
export type HostCheck = HostCheck_;

// ---- the options of Client's methods ---------------------------------------------------

/**
 * {@link Client.create}'s options: the `workspace` and its loaded `config`; `name` (default
 * from the directory's name), `detach`, and the agent's `term`, `cols` and `rows`.
 *
 * @example
 *   const opts: CreateOptions = { workspace, config, detach: true };
 */
export type CreateOptions = CreateOptions_;

/**
 * Which PTY of which box: `box` (its name) and `pty` (default 0, the agent).
 *
 * @example
 *   const agent: PtyTarget = { box: 'api' };
 */
export type PtyTarget = PtyTarget_;

/**
 * {@link Client.kill}'s options: `{ box }` or `{ all: true }`, and `force` (SIGKILL at once).
 *
 * @example
 *   const opts: KillOptions = { all: true, force: true };
 */
export type KillOptions = KillOptions_;

/**
 * {@link Client.restart}'s options: a PTY, and for the agent the `config` to restart with.
 *
 * @example
 *   const opts: RestartOptions = { box: 'api', config: loadConfig({ cwd: process.cwd() }).config };
 */
export type RestartOptions = RestartOptions_;

/**
 * {@link Client.logs} and {@link Client.follow}: a PTY, and only its last `lines` lines.
 *
 * @example
 *   const opts: LogsOptions = { box: 'api', lines: 50 };
 */
export type LogsOptions = LogsOptions_;

/**
 * {@link Client.attach}'s options: a PTY, your terminal's `cols` and `rows` (default 80×24),
 * `readonly`, `filtered`.
 *
 * @example
 *   const opts: AttachOptions = { box: 'api', cols: process.stdout.columns, rows: process.stdout.rows };
 */
export type AttachOptions = AttachOptions_;

/**
 * {@link Client.shell}'s options: `box`, `command` (default the box's shell), `new`, `cols`,
 * `rows`, `term`, `cwd`, `plain` (a quiet terminal for programs).
 *
 * @example
 *   const opts: ShellOptions = { box: 'api', command: 'npm test', new: true };
 */
export type ShellOptions = ShellOptions_;

/**
 * {@link Client.serve}'s options: `host` (default 127.0.0.1), `port` (default 8888; 0 = any
 * free one), `token` (default a new one).
 *
 * @example
 *   const opts: ServeOptions = { host: '0.0.0.0', port: 9000 };
 */
export type ServeOptions = ServeOptions_;

/**
 * {@link Client.tunnel}'s options: `stun` servers ([] for none), the connect `page`, and
 * `timeout_ms` for the browser to answer.
 *
 * @example
 *   const opts: TunnelOptions = { stun: [], timeout_ms: 60_000 };
 */
export type TunnelOptions = TunnelOptions_;

/**
 * {@link Client.tunnelWait}'s options: the tunnel's `id` and what to wait `until`.
 *
 * @example
 *   const t = await client.tunnel();
 *   const opts: TunnelWaitOptions = { id: t.id, until: 'connected' };
 */
export type TunnelWaitOptions = TunnelWaitOptions_;

// ---- the daemon's answers (Client) ----------------------------------------------------

/**
 * A box as {@link Client.ls} lists it: `name`, `workspace`, its init's `pid`, `created`
 * (seconds), `state`, its `ptys` and how many `clients` of each kind are attached.
 *
 * @example
 *   const rows: LsRow[] = await client.ls();
 *   for (const r of rows) console.log(r.name, r.state, r.ptys.length);
 */
export type LsRow = LsRow_;

/**
 * A PTY of a box: `id` (0 is the agent), `role`, `command`, `state`, `pid`.
 *
 * @example
 *   const shells: PtyRow[] = (await client.ptyLs({ box: 'api' })).filter((p) => p.role === 'shell');
 */
export type PtyRow = PtyRow_;

/**
 * The daemon's `status`: `pid`, `version`, `uptime_s`, `socket`, `coop_home`, how many
 * boxes (`boxes`) and `clients`, and its memory (`rss_bytes`).
 *
 * @example
 *   const s: StatusInfo = await client.status();
 *   console.log(`daemon ${s.version}, ${s.boxes} boxes`);
 */
export type StatusInfo = StatusInfo_;
