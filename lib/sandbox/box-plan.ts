// Box specification -> plan + host-side preparation. Pure: reads nothing, writes
// nothing; everything it decides is visible in what it returns.
import { posix } from 'node:path';
import type { NetworkMode } from '../config/types.js';
import type { SessionPaths } from '../paths.js';
import { boxEnv, homeOf } from './env.js';
import { groupFor, hostsFor, passwdFor } from './etc-files.js';
import { HOST_EMPTY, type HostLayout } from './host-image.js';
import type { CreatePlan, FsOp, IdMapping, MountFlag, Namespace } from './plan.js';

/** Where a box's read-only base comes from. */
export type RootfsSource = { kind: 'host'; layout: HostLayout } | { kind: 'dir'; path: string };

/** A parsed `sandbox.mounts` entry (host paths absolute; box paths may start with ~). */
export type BoxMount =
  | { kind: 'path'; host: string; box: string; readonly: boolean }
  | { kind: 'volume'; name: string; box: string; readonly: boolean };

export interface BoxSpec {
  name: string;
  coopHome: string;
  paths: SessionPaths;
  rootfs: RootfsSource;
  workspace: { host: string; path: string };
  mounts: BoxMount[];
  persist: string[];
  network: NetworkMode;
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
  graceMs?: number;
  /** The host user's home, for `~` on the host side of volume seeds. */
  hostHome: string;
  /** The rootfs's /etc/passwd and /etc/group, to extend with the in-box account. */
  accounts: { passwd: string | null; group: string | null };
  /** Host /etc/resolv.conf content, copied into image boxes that have a network. */
  resolvConf: string | null;
}

/** What must exist on the host before the helper runs. */
export interface Preparation {
  dirs: { path: string; mode: number }[];
  files: { path: string; content: string; mode: number }[];
  /** Overlay whiteouts (character devices 0/0) hiding host secrets. */
  whiteouts: string[];
  /** Named volumes to create on first use, seeded from a host path when it exists. */
  volumes: { dir: string; seed: string | null }[];
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
const bind = (source: string, target: string, ...flags: MountFlag[]): FsOp =>
  mount('', source, target, '', ['bind', ...flags]);

function overlay(lower: string, upper: string, work: string, target: string): FsOp {
  return mount('overlay', 'overlay', target, `lowerdir=${ovl(lower)},upperdir=${ovl(upper)},workdir=${ovl(work)},userxattr`);
}

interface RootResult {
  ops: FsOp[];
  prep: Preparation;
  /** Whether the box's /etc is an overlay (its upper takes coop's files) or a read-only bind. */
  etcWritable: boolean;
}

function hostRoot(spec: BoxSpec, layout: HostLayout): RootResult {
  const { paths } = spec;
  const ops: FsOp[] = [bind(paths.root, '/')];
  const prep: Preparation = { dirs: [], files: [], whiteouts: [], volumes: [] };
  const kinds = new Map(layout.entries.map((e) => [e.name, e.kind]));
  for (const e of layout.entries) {
    if (e.kind === 'symlink') ops.push({ op: 'symlink', target: e.target, path: `/${e.name}` });
    else if (e.kind === 'bind') ops.push(bind(`/${e.name}`, `/${e.name}`, 'rec', 'ro'));
    else {
      const upper = join(paths.upper, e.name);
      const work = join(paths.work, e.name);
      prep.dirs.push({ path: upper, mode: 0o755 }, { path: work, mode: 0o700 });
      ops.push(overlay(`/${e.name}`, upper, work, `/${e.name}`));
    }
  }
  for (const name of HOST_EMPTY) ops.push({ op: 'mkdir', path: `/${name}`, mode: name === 'root' ? 0o700 : 0o755 });
  for (const secret of layout.secrets) {
    const top = secret.split('/')[1]!;
    if (kinds.get(top) === 'overlay') {
      prep.dirs.push({ path: join(paths.upper, posix.dirname(secret)), mode: 0o755 });
      prep.whiteouts.push(join(paths.upper, secret));
    } else {
      ops.push(bind('/dev/null', secret, 'optional'));
    }
  }
  return { ops, prep, etcWritable: kinds.get('etc') === 'overlay' };
}

function imageRoot(spec: BoxSpec, lower: string): RootResult {
  const { paths } = spec;
  const prep: Preparation = { dirs: [{ path: paths.upper, mode: 0o755 }, { path: paths.work, mode: 0o700 }], files: [], whiteouts: [], volumes: [] };
  return { ops: [overlay(lower, paths.upper, paths.work, '/')], prep, etcWritable: true };
}

function systemOps(newNet: boolean): FsOp[] {
  const ops: FsOp[] = [mount('proc', 'proc', '/proc', '', ['nosuid', 'nodev', 'noexec'])];
  ops.push(mount('tmpfs', 'tmpfs', '/dev', 'mode=755,size=64k', ['nosuid']));
  for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) ops.push(bind(`/dev/${dev}`, `/dev/${dev}`));
  ops.push(
    mount('devpts', 'devpts', '/dev/pts', 'newinstance,ptmxmode=0666,mode=620', ['nosuid', 'noexec']),
    { op: 'symlink', target: 'pts/ptmx', path: '/dev/ptmx' },
    { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
    { op: 'symlink', target: '/proc/self/fd/0', path: '/dev/stdin' },
    { op: 'symlink', target: '/proc/self/fd/1', path: '/dev/stdout' },
    { op: 'symlink', target: '/proc/self/fd/2', path: '/dev/stderr' },
    mount('tmpfs', 'tmpfs', '/dev/shm', 'mode=1777', ['nosuid', 'nodev']),
    mount('tmpfs', 'tmpfs', '/tmp', 'mode=1777', ['nosuid', 'nodev']),
  );
  // sysfs can only be mounted by the owner of the network namespace; otherwise bind the host's, read-only.
  ops.push(
    newNet
      ? mount('sysfs', 'sysfs', '/sys', '', ['ro', 'nosuid', 'nodev', 'noexec', 'optional'])
      : bind('/sys', '/sys', 'rec', 'ro', 'nosuid', 'nodev', 'noexec', 'optional'),
  );
  return ops;
}

function etcFiles(spec: BoxSpec, home: string, etcWritable: boolean): { ops: FsOp[]; files: Preparation['files'] } {
  const hostname = spec.hostname || spec.name;
  const content: [string, string][] = [
    ['passwd', passwdFor(spec.accounts.passwd, spec.user, home, spec.shell)],
    ['group', groupFor(spec.accounts.group, spec.user)],
    ['hostname', `${hostname}\n`],
    ['hosts', hostsFor(hostname)],
  ];
  if (spec.rootfs.kind === 'dir' && spec.network !== 'none' && spec.resolvConf !== null) {
    content.push(['resolv.conf', spec.resolvConf]);
  }
  if (etcWritable) {
    return { ops: [], files: content.map(([n, c]) => ({ path: join(spec.paths.upper, 'etc', n), content: c, mode: 0o644 })) };
  }
  // A read-only /etc: bind each file from the session directory instead.
  const files = content.map(([n, c]) => ({ path: join(spec.paths.dir, 'etc', n), content: c, mode: 0o644 }));
  return { ops: files.map((f, i) => bind(f.path, `/etc/${content[i]![0]}`, 'ro')), files };
}

/** Builds the create plan for a box, and what must be prepared on the host first. */
export function planBox(spec: BoxSpec): { plan: CreatePlan; prep: Preparation } {
  if (spec.init === 'run' && !spec.command?.argv.length) throw new PlanError('no command given for the box');
  if (spec.network === 'veth') {
    throw new PlanError('network.mode "veth" is not available yet; use "host" or "none"');
  }
  const home = homeOf(spec.user);
  const newNet = spec.network !== 'host';
  const root = spec.rootfs.kind === 'host' ? hostRoot(spec, spec.rootfs.layout) : imageRoot(spec, spec.rootfs.path);
  const prep = root.prep;
  prep.dirs.unshift({ path: spec.paths.dir, mode: 0o700 }, { path: spec.paths.root, mode: 0o755 });
  const etc = etcFiles(spec, home, root.etcWritable);
  if (root.etcWritable) prep.dirs.push({ path: join(spec.paths.upper, 'etc'), mode: 0o755 });
  else prep.dirs.push({ path: join(spec.paths.dir, 'etc'), mode: 0o755 });
  prep.files.push(...etc.files);

  const ops: FsOp[] = [...root.ops, ...etc.ops, ...systemOps(newNet), { op: 'mkdir', path: home, mode: 0o755 }];
  const wsPath = boxPath(spec.workspace.path, home, 'workspace.path');
  ops.push(bind(spec.workspace.host, wsPath, 'rec'));
  for (const m of spec.mounts) {
    const target = boxPath(m.box, home, `mount "${m.kind === 'path' ? m.host : m.name}"`);
    const flags: MountFlag[] = m.readonly ? ['rec', 'ro'] : ['rec'];
    if (m.kind === 'path') ops.push(bind(m.host, target, ...flags));
    else {
      const dir = join(spec.coopHome, 'volumes', m.name);
      const seed = m.box === '~' || m.box.startsWith('~/') ? join(spec.hostHome, m.box.slice(1)) : m.box;
      prep.volumes.push({ dir, seed });
      ops.push(bind(dir, target, ...flags));
    }
  }
  if (spec.init === 'box') {
    for (const dir of spec.persist) {
      const target = boxPath(join(home, dir), home, `session.persist "${dir}"`);
      const source = join(spec.paths.persist, posix.relative(home, target));
      prep.dirs.push({ path: source, mode: 0o755 });
      ops.push(bind(source, target, 'rec'));
    }
  }

  const namespaces: Namespace[] = ['user', 'mount', 'pid', 'uts', 'ipc'];
  if (newNet) namespaces.push('net');
  const env = boxEnv({
    user: spec.user, home, shell: spec.shell, term: spec.term, lang: spec.lang, session: spec.name,
    workspaceHost: spec.workspace.host, created: spec.created, extra: spec.env,
  });
  const plan: CreatePlan = {
    mode: 'create',
    name: spec.name,
    namespaces,
    idmap: spec.idmap,
    root: spec.paths.root,
    ops,
    hostname: spec.hostname || spec.name,
    loopback: newNet,
    init: { mode: spec.init, graceMs: spec.graceMs ?? 5000 },
    process: spec.command
      ? { argv: spec.command.argv, env, cwd: spec.command.cwd ?? wsPath, uid: 0, gid: 0 }
      : null,
    cleanup: spec.init === 'run' ? [spec.paths.dir] : [],
  };
  return { plan, prep };
}
