// Box specification -> plan. Pure: reads nothing, writes nothing; everything it decides
// is visible in the plan it returns (plus the named volumes to create on the host).
//
// Where a box's writable layer lives:
//   run boxes  a private tmpfs mounted on $COOP_HOME/stage inside the box's own mount
//              namespace: nothing on disk, nothing to clean up, gone with the box.
//   boxes      the layers under the box's directory on disk (lib/paths.ts), kept until
//              `coop kill`.
import { posix } from 'node:path';
import type { BoxMount, NetworkMode } from '../config/types.js';
import { layerDirs, stageDir, volumesDir, type BoxPaths, type LayerPaths } from '../paths.js';
import { boxEnv, homeOf } from './env.js';
import { APT_ONE_ID, groupFor, hostsFor, passwdFor } from './etc-files.js';
import { HOST_EMPTY, type HostLayout } from './host-image.js';
import { hasRange } from './idmap.js';
import { hostsLines, networkPlan, proxyEnv, resolvConfFor, type BoxNetwork } from './network.js';
import { hardeningFor, type Confinement, type CreatePlan, type FsOp, type IdMapping, type MountFlag, type Namespace, type ProcessSpec, type StageOp } from './plan.js';

/**
 * Where a box's read-only base comes from, resolved above the sandbox from `sandbox.image`
 * (lib/image/rootfs.ts): the host's own system (its layout), or a directory.
 */
export type RootfsSource = { kind: 'host'; layout: HostLayout } | { kind: 'dir'; path: string };

/** The host directory to read rootfs files from (accounts, shells). */
export const rootfsDirOf = (r: RootfsSource) => (r.kind === 'host' ? '/' : r.path);

export type { BoxMount };

export interface BoxSpec {
  name: string;
  coopHome: string;
  paths: BoxPaths;
  rootfs: RootfsSource;
  workspace: { host: string; path: string };
  mounts: BoxMount[];
  persist: string[];
  network: NetworkMode;
  /** What the network needs beyond its mode (see network.ts); absent or null: nothing. */
  net?: BoxNetwork | null;
  hostname: string;
  user: string;
  /** Absolute in-box path of the user's shell (see resolveShell). */
  shell: string;
  /** `[env]`, expanded. */
  env: Record<string, string>;
  term?: string;
  lang?: string;
  /** Unix seconds. */
  created: number;
  idmap: IdMapping;
  init: 'run' | 'box';
  /** The command of a run-mode box. */
  command?: { argv: string[]; cwd?: string };
  /** Run mode: give the command a terminal inside the box, relayed to the caller's stdin/stdout. */
  terminal?: boolean;
  graceMs?: number;
  /** The host user's home, for `~` on the host side of volume seeds. */
  hostHome: string;
  /** The rootfs's /etc/passwd and /etc/group, to extend with the in-box account. */
  accounts: { passwd: string | null; group: string | null };
  /** Host /etc/resolv.conf content, copied into image boxes that have a network. */
  resolvConf: string | null;
  /** The rootfs has /etc/apt/apt.conf.d, symlinks nowhere on the way (see APT_ONE_ID). */
  apt?: boolean;
  /** `sandbox.seccomp`. */
  confine: Confinement;
  /** `sandbox.tmpfs_size`: the size of each tmpfs of the box. */
  tmpfsSize: string;
  /**
   * Where $COOP_HOME lies inside what the box sees, found by inode (bind-mount aliases
   * included): its path relative to the workspace, and its absolute path when it is under a
   * directory the host image shares. Absent: decided from the path strings alone.
   */
  coopHomeIn?: { workspace: string | null; host: string | null };
  /** Host image, root caller: show the host's directories with root's files as nobody's (see hostRoot). */
  hideHostRoot?: boolean;
  /**
   * Let nested PID namespaces mount a /proc of their own (bubblewrap's `--proc` inside the
   * box). Never for a root caller: a fresh /proc gives uid 0 write access to kernel sysctls.
   */
  nestedProc: boolean;
}

/** A named volume to create on the host before the box starts (seeded from a host path if it exists). */
export interface VolumeToCreate {
  dir: string;
  seed: string | null;
}

export class PlanError extends Error {}

const join = posix.join;

/** Expands `~` to the in-box home and normalises; refuses paths that would hide the box's essentials. */
export function boxPath(path: string, home: string, what: string): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
  if (!expanded.startsWith('/')) throw new PlanError(`${what}: box path "${path}" must be absolute or start with ~`);
  const p = posix.normalize(expanded).replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/proc' || p.startsWith('/proc/') || p === '/dev' || p === '/sys') {
    throw new PlanError(`${what}: refusing to mount over ${p} (it would hide the box's ${p === '/' ? 'root' : p})`);
  }
  return p;
}

/** Escapes a path for an overlayfs option value. */
const ovl = (p: string) => p.replace(/[\\,:]/g, (c) => `\\${c}`);

function mount(fstype: string, source: string, target: string, data: string, flags: MountFlag[] = []): FsOp {
  return { op: 'mount', fstype, source, target, data, flags };
}
export const bind = (source: string, target: string, ...flags: MountFlag[]): FsOp =>
  mount('', source, target, '', ['bind', ...flags]);

function overlay(lower: string, upper: string, work: string, target: string): FsOp {
  // volatile: the upper layer is thrown away with the box, so it is never synced to disk.
  return mount('overlay', 'overlay', target, `lowerdir=${ovl(lower)},upperdir=${ovl(upper)},workdir=${ovl(work)},userxattr,volatile`);
}

/** Where this box's root mount point and writable layers are (on a tmpfs for run boxes). */
type Layers = LayerPaths;

class Builder {
  readonly stage: StageOp[] = [];
  readonly ops: FsOp[] = [];
  readonly volumes: VolumeToCreate[] = [];
  private readonly made = new Set<string>();

  /** Stage mkdir of `path` and of its parents below `base` (which must exist). */
  mkdirs(base: string, path: string, mode = 0o755): void {
    const rel = posix.relative(base, path);
    let cur = base;
    for (const part of rel.split('/').filter(Boolean)) {
      cur = join(cur, part);
      if (this.made.has(cur)) continue;
      this.made.add(cur);
      this.stage.push({ op: 'mkdir', path: cur, mode: cur === path ? mode : 0o755 });
    }
  }
}

function layersFor(spec: BoxSpec, b: Builder): Layers {
  if (spec.init === 'run') {
    const stage = stageDir(spec.coopHome);
    b.stage.push({ op: 'mount', fstype: 'tmpfs', source: 'coop-stage', target: stage, data: `mode=700,size=${spec.tmpfsSize}`, flags: ['nosuid', 'nodev'] });
    const l = layerDirs(stage);
    b.mkdirs(stage, l.root);
    b.mkdirs(stage, l.upper);
    b.mkdirs(stage, l.work, 0o700);
    return l;
  }
  const p = spec.paths;
  b.mkdirs(spec.coopHome, p.dir, 0o700);
  b.mkdirs(p.dir, p.root);
  b.mkdirs(p.dir, p.upper);
  b.mkdirs(p.dir, p.work, 0o700);
  return p;
}

/** Builds the root: returns whether /etc takes coop's files in its upper layer. */
function hostRoot(b: Builder, l: Layers, layout: HostLayout, hideRoot: boolean): boolean {
  b.ops.push(bind(l.root, '/'));
  const kinds = new Map(layout.entries.map((e) => [e.name, e.kind]));
  // For a root caller, the box sees the host's directories through id-mapped copies in which
  // host root owns nothing (its files appear as nobody's): in-box root, which is host root,
  // then reads only what any user may read — as in an ordinary user's box.
  const source = (name: string, recursive: boolean): string => {
    if (!hideRoot) return `/${name}`;
    const copy = join(l.host, name);
    b.mkdirs(posix.dirname(l.host), copy);
    b.stage.push({ op: 'idmapped', source: `/${name}`, path: copy, recursive });
    return copy;
  };
  for (const e of layout.entries) {
    if (e.kind === 'symlink') b.ops.push({ op: 'symlink', target: e.target, path: `/${e.name}` });
    else if (e.kind === 'bind') b.ops.push(bind(source(e.name, true), `/${e.name}`, 'rec', 'ro'));
    else {
      b.mkdirs(l.upper, join(l.upper, e.name));
      b.mkdirs(l.work, join(l.work, e.name), 0o700);
      b.ops.push(overlay(source(e.name, false), join(l.upper, e.name), join(l.work, e.name), `/${e.name}`));
    }
  }
  for (const name of HOST_EMPTY) b.ops.push({ op: 'mkdir', path: `/${name}`, mode: name === 'root' ? 0o700 : 0o755 });
  for (const secret of layout.secrets) {
    if (kinds.get(secret.split('/')[1]!) === 'overlay') {
      b.mkdirs(l.upper, join(l.upper, posix.dirname(secret)));
      b.stage.push({ op: 'whiteout', path: join(l.upper, secret) });
    } else {
      b.ops.push(bind('/dev/null', secret, 'optional'));
    }
  }
  return kinds.get('etc') === 'overlay';
}

function etcFiles(spec: BoxSpec, b: Builder, l: Layers, home: string, etcWritable: boolean): void {
  const hostname = spec.hostname || spec.name;
  const content: [string, string][] = [
    ['passwd', passwdFor(spec.accounts.passwd, spec.user, home, spec.shell)],
    ['group', groupFor(spec.accounts.group, spec.user)],
    ['hostname', `${hostname}\n`],
    ['hosts', hostsFor(hostname) + hostsLines(spec.net ?? null)],
  ];
  const relay = resolvConfFor(spec.net ?? null);
  if (relay !== null) content.push(['resolv.conf', relay]);
  else if (spec.rootfs.kind === 'dir' && spec.network === 'host' && spec.resolvConf !== null) {
    content.push(['resolv.conf', spec.resolvConf]);
  }
  // A read-only /etc (a host image whose /etc has submounts): bind each file instead.
  const dir = etcWritable ? join(l.upper, 'etc') : l.files;
  b.mkdirs(etcWritable ? l.upper : posix.dirname(l.files), dir);
  for (const [name, text] of content) {
    b.stage.push({ op: 'file', path: join(dir, name), mode: 0o644, content: text });
    if (!etcWritable) b.ops.push(bind(join(dir, name), `/etc/${name}`, 'ro'));
  }
  if (etcWritable && spec.apt && !hasRange(spec.idmap)) {
    b.mkdirs(l.upper, join(dir, posix.dirname(APT_ONE_ID.path)));
    b.stage.push({ op: 'file', path: join(dir, APT_ONE_ID.path), mode: 0o644, content: APT_ONE_ID.content });
  }
}

/** Kernel interfaces under /proc that a box may read but never write (podman's list). */
export const PROC_READONLY = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs', '/proc/asound'];
/** Files and directories of /proc and /sys hidden behind /dev/null or an empty tmpfs. */
export const MASKED_FILES = ['/proc/kcore', '/proc/keys', '/proc/key-users', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/latency_stats', '/proc/kallsyms', '/proc/kmsg', '/proc/interrupts'];
export const MASKED_DIRS = ['/proc/acpi', '/proc/scsi', '/proc/driver', '/sys/firmware', '/sys/kernel/debug', '/sys/kernel/tracing', '/sys/kernel/security', '/sys/fs/selinux', '/sys/devices/virtual/powercap'];

/** The host's overflow id ("nobody"): what host root's files show as to a root caller's box. */
const NOBODY = 65534;

/** Where the buried /proc that allows nested ones lies (under /tmp's tmpfs; see systemOps). */
export const NESTED_PROC = '/tmp/.coop-proc';

/** An empty, read-only directory over `path` (it must exist; nothing is created). */
const maskDir = (path: string): FsOp => mount('tmpfs', 'coop-mask', path, 'size=4k,mode=555', ['ro', 'nosuid', 'nodev', 'noexec', 'ifexists']);

/**
 * /proc, /dev, /dev/pts, /dev/shm, /tmp and /sys of a box, with the kernel's knobs read-only
 * or masked. These mounts are made in the box's outer user namespace and so are locked for
 * everything in the box (see CreatePlan.nest).
 */
export function systemOps(newNet: boolean, tmpfsSize: string, nestedProc = false): FsOp[] {
  const ops: FsOp[] = [mount('proc', 'proc', '/proc', '', ['nosuid', 'nodev', 'noexec'])];
  // The kernel lets a nested PID namespace mount its own /proc (bubblewrap's --proc) only
  // where some /proc of the box is "fully visible" (no locked mount over its contents).
  // The box's /proc has masks, so a second one is mounted unmasked and then buried under
  // /tmp's tmpfs: no path reaches it, and the kernel still finds it.
  if (nestedProc) ops.push({ op: 'mkdir', path: NESTED_PROC, mode: 0o700 }, mount('proc', 'proc', NESTED_PROC, '', ['nosuid', 'nodev', 'noexec']));
  for (const p of PROC_READONLY) ops.push(mount('', p, p, '', ['bind', 'self', 'rec', 'ro', 'nosuid', 'nodev', 'noexec', 'ifexists']));
  // /dev/null itself is harmless to read or write: one bind each, no flags to set afterwards.
  for (const p of MASKED_FILES) ops.push(mount('', '/dev/null', p, '', ['bind', 'ifexists']));
  for (const p of MASKED_DIRS.filter((d) => d.startsWith('/proc/'))) ops.push(maskDir(p));
  ops.push(mount('tmpfs', 'tmpfs', '/dev', 'mode=755,size=64k', ['nosuid']));
  for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) ops.push(bind(`/dev/${dev}`, `/dev/${dev}`, 'nosuid', 'noexec'));
  ops.push(
    mount('devpts', 'devpts', '/dev/pts', 'newinstance,ptmxmode=0666,mode=620', ['nosuid', 'noexec']),
    { op: 'symlink', target: 'pts/ptmx', path: '/dev/ptmx' },
    { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
    { op: 'symlink', target: '/proc/self/fd/0', path: '/dev/stdin' },
    { op: 'symlink', target: '/proc/self/fd/1', path: '/dev/stdout' },
    { op: 'symlink', target: '/proc/self/fd/2', path: '/dev/stderr' },
    mount('tmpfs', 'tmpfs', '/dev/shm', `mode=1777,size=${tmpfsSize}`, ['nosuid', 'nodev']),
    mount('tmpfs', 'tmpfs', '/tmp', `mode=1777,size=${tmpfsSize}`, ['nosuid', 'nodev']),
  );
  // sysfs can only be mounted by the owner of the network namespace; otherwise bind the
  // host's. Read-only either way, recursively (the cgroup tree included).
  ops.push(
    newNet
      ? mount('sysfs', 'sysfs', '/sys', '', ['ro', 'nosuid', 'nodev', 'noexec', 'optional'])
      : bind('/sys', '/sys', 'rec', 'ro', 'nosuid', 'nodev', 'noexec', 'optional'),
  );
  for (const p of MASKED_DIRS.filter((d) => d.startsWith('/sys/'))) ops.push(maskDir(p));
  return ops;
}

/** Host paths no mount may bring into a box (SPEC §12): the host root and kernel interfaces. */
const FORBIDDEN_EXACT = ['/', '/dev', '/run'];
const FORBIDDEN_TREES = ['/proc', '/sys'];

const within = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);

/** Refuses a host mount that would expose the host's kernel interfaces or coop's own state. */
export function checkHostMount(host: string, coopHome: string, what: string): void {
  if (FORBIDDEN_EXACT.includes(host) || FORBIDDEN_TREES.some((t) => within(host, t))) {
    throw new PlanError(`${what}: refusing to mount the host's ${host} into a box`);
  }
  if (within(coopHome, host) || within(host, coopHome)) {
    throw new PlanError(`${what}: refusing to mount ${host}: it ${within(host, coopHome) ? 'is inside' : 'contains'} coop's state directory ${coopHome} (the daemon's socket, other boxes' files)`);
  }
}

function userMounts(spec: BoxSpec, b: Builder, home: string): void {
  for (const m of spec.mounts) {
    const target = boxPath(m.box, home, `mount "${m.kind === 'path' ? m.host : m.name}"`);
    const flags: MountFlag[] = m.readonly ? ['rec', 'ro'] : ['rec'];
    if (m.kind === 'path') {
      checkHostMount(m.host, spec.coopHome, `mount "${m.host}:${m.box}"`);
      b.ops.push(bind(m.host, target, ...flags));
    }
    else {
      const dir = join(volumesDir(spec.coopHome), m.name);
      // Seeded only from the same place in your home: never from system paths (/etc, /run, ...).
      const seed = m.box === '~' || m.box.startsWith('~/') ? join(spec.hostHome, m.box.slice(1)) : null;
      if (seed) checkHostMount(seed, spec.coopHome, `volume "${m.name}" (seeded from ${seed})`);
      b.volumes.push({ dir, seed });
      b.ops.push(bind(dir, target, ...flags));
    }
  }
  if (spec.init !== 'box') return; // a one-shot box keeps nothing
  const persist = spec.persist.map((d) => posix.normalize(d).replace(/\/+$/, ''));
  for (const a of persist) {
    const inner = persist.find((b) => b !== a && b.startsWith(`${a}/`));
    if (inner) throw new PlanError(`session.persist: "${inner}" lies inside "${a}"; persist only "${a}"`);
  }
  for (const dir of spec.persist) {
    const target = boxPath(join(home, dir), home, `session.persist "${dir}"`);
    const source = join(spec.paths.persist, posix.relative(home, target));
    b.mkdirs(spec.paths.dir, source);
    b.ops.push(bind(source, target, 'rec'));
  }
}

/**
 * $COOP_HOME (the daemon's socket, other boxes' layers) is hidden wherever a box could reach
 * it: inside its workspace (a box of your home directory) and under a directory the host
 * image shares. The mask is an empty read-only tmpfs; in the workspace, every directory
 * between the workspace and $COOP_HOME is bound onto itself first, so that none can be
 * renamed away from the host's path (a mount point cannot be renamed). A workspace inside
 * $COOP_HOME is refused.
 */
function maskCoopHome(spec: BoxSpec, b: Builder, wsPath: string): void {
  const ws = spec.workspace.host;
  if (within(ws, spec.coopHome)) {
    throw new PlanError(`workspace ${ws} is inside coop's state directory ${spec.coopHome}; choose another directory`);
  }
  const mask = (path: string) => b.ops.push(mount('tmpfs', 'coop-mask', path, 'size=4k,mode=555', ['ro', 'nosuid', 'nodev', 'noexec']));
  const rel = spec.coopHomeIn?.workspace ?? (within(spec.coopHome, ws) ? posix.relative(ws, spec.coopHome) : null);
  if (rel !== null && rel !== '') {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = join(wsPath, ...parts.slice(0, i));
      b.ops.push(mount('', dir, dir, '', ['bind', 'self']));
    }
    mask(join(wsPath, rel));
  }
  if (spec.coopHomeIn?.host) mask(spec.coopHomeIn.host);
}

/** The environment of processes started in the box (the agent, shells, a run command). */
export function processEnv(spec: BoxSpec): Record<string, string> {
  return boxEnv({
    user: spec.user, home: homeOf(spec.user), shell: spec.shell, term: spec.term, lang: spec.lang, box: spec.name,
    workspaceHost: spec.workspace.host, created: spec.created, extra: { ...proxyEnv(spec.net ?? null), ...spec.env },
  });
}

/** The box's namespaces: all but the network one for network.mode = "host" (the cgroup one hides the host's cgroup paths). */
export function boxNamespaces(network: NetworkMode): Namespace[] {
  const ns: Namespace[] = ['user', 'mount', 'pid', 'uts', 'ipc', 'cgroup'];
  if (network !== 'host') ns.push('net');
  return ns;
}

/** Builds the create plan for a box, and the named volumes to create first. */
export function planBox(spec: BoxSpec): { plan: CreatePlan; volumes: VolumeToCreate[] } {
  if (spec.init === 'run' && !spec.command?.argv.length) throw new PlanError('no command given for the box');
  const home = homeOf(spec.user);
  const wsPath = boxPath(spec.workspace.path, home, 'workspace.path');
  const newNet = spec.network !== 'host';
  const b = new Builder();
  const l = layersFor(spec, b);
  let etcWritable = true;
  if (spec.rootfs.kind === 'host') etcWritable = hostRoot(b, l, spec.rootfs.layout, spec.hideHostRoot === true);
  else b.ops.push(overlay(spec.rootfs.path, l.upper, l.work, '/'));
  etcFiles(spec, b, l, home, etcWritable);
  b.ops.push(...systemOps(newNet, spec.tmpfsSize, spec.nestedProc), { op: 'mkdir', path: home, mode: 0o755 }, bind(spec.workspace.host, wsPath, 'rec'));
  userMounts(spec, b, home);
  maskCoopHome(spec, b, wsPath);

  const process: ProcessSpec | null = spec.command
    ? { argv: spec.command.argv, env: processEnv(spec), cwd: spec.command.cwd ?? wsPath, uid: 0, gid: 0 }
    : null;
  const plan: CreatePlan = {
    mode: 'create',
    name: spec.name,
    namespaces: boxNamespaces(spec.network),
    idmap: spec.idmap,
    root: l.root,
    stage: b.stage,
    ops: b.ops,
    hostname: spec.hostname || spec.name,
    loopback: newNet,
    nest: true,
    confine: spec.confine,
    network: networkPlan(spec.net ?? null),
    hardening: hardeningFor(spec.idmap),
    ...(spec.hideHostRoot ? { idmapTree: [{ inside: 0, outside: NOBODY, count: 1 }] } : {}),
    init: { mode: spec.init, graceMs: spec.graceMs ?? 5000 },
    terminal: spec.init === 'run' && spec.terminal === true,
    process,
  };
  return { plan, volumes: b.volumes };
}
