// The sandbox plan: everything the helper executable will do, as plain data.
// lib/sandbox/box-plan.ts builds plans from configuration; lib/sandbox/encode.ts turns
// them into the records coop-helper reads. Plans can be printed, compared and tested
// without a kernel.

export type Namespace = 'user' | 'mount' | 'pid' | 'uts' | 'ipc' | 'net' | 'cgroup';

/** One line of /proc/PID/uid_map or gid_map. */
export interface IdRange {
  inside: number;
  outside: number;
  count: number;
}

export interface IdMapping {
  uid: IdRange[];
  gid: IdRange[];
  /** newuidmap/newgidmap paths when the maps need them (a subordinate range); null = write directly. */
  tools: { newuidmap: string; newgidmap: string } | null;
  /** "deny" is required when an unprivileged process writes its gid_map itself. */
  setgroups: 'allow' | 'deny';
}

/**
 * `optional`: skip (with a `skipped` report) when the source is missing or the mount fails;
 * `ifexists`: skip silently when the target does not exist, and never create it (masks);
 * `self`: a bind of the target onto itself (to change its flags in place).
 */
export type MountFlag = 'bind' | 'rec' | 'ro' | 'nosuid' | 'nodev' | 'noexec' | 'optional' | 'ifexists' | 'self';

/**
 * What confines every process of a box before it runs (SPEC §4.1): a new, empty session
 * keyring and no_new_privs always; `default` adds coop's seccomp filter, `off` does not.
 */
export type Confinement = 'default' | 'off';
/**
 * Extra refusals of the filter for a root caller's box, whose in-box root is host root:
 * `no-setid` — no setuid/setgid bits and no extended attributes (file capabilities are one)
 * on files, which would be the host's; `no-cgroupns` — no cgroup namespace of its own, in
 * which it could mount and change the host's cgroups.
 */
export type Hardening = 'no-setid' | 'no-cgroupns';

/** What a box of this mapping needs beyond the default filter: root callers' boxes get both. */
export const hardeningFor = (m: IdMapping): Hardening[] => (m.uid[0]?.outside === 0 ? ['no-setid', 'no-cgroupns'] : []);

/** One filesystem step, executed in order inside the new mount namespace. Targets are box paths. */
export type FsOp =
  | { op: 'mount'; fstype: string; source: string; target: string; data: string; flags: MountFlag[] }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'symlink'; target: string; path: string };

/**
 * A step on host paths, executed in the new mount namespace before the root is built:
 * a private tmpfs for a one-shot box's upper layer, directories and files of the upper,
 * whiteouts hiding host secrets.
 */
export type StageOp =
  | { op: 'mount'; fstype: string; source: string; target: string; data: string; flags: MountFlag[] }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'file'; path: string; mode: number; content: string }
  | { op: 'whiteout'; path: string }
  /** An id-mapped copy (CreatePlan.idmapTree) of host tree `source`, placed at `path`. */
  | { op: 'idmapped'; source: string; path: string; recursive: boolean };

export interface ProcessSpec {
  argv: string[];
  /** The complete environment (nothing is inherited). */
  env: Record<string, string>;
  cwd: string;
  /** In-box ids. */
  uid: number;
  gid: number;
}

/**
 * What coop-net (coop-helper in net mode, src-native/helper/network.h) keeps for a box from
 * outside it, for as long as the box lives.
 */
export interface NetworkPlan {
  /** The user-mode network that gives the box a way out ("private" without an allowlist). */
  outbound: { backend: 'pasta' | 'slirp4netns'; path: string; address: string; prefix: number; gateway: string } | null;
  /** Host listeners relayed to 127.0.0.1:boxPort inside the box. */
  ports: { hostAddress: string; hostPort: number; boxPort: number }[];
  /** A DNS relay on `listen`:53 inside the box, to `upstream`:`port` on the host. */
  dns: { listen: string; upstream: string; port: number } | null;
  /** The allowlist proxy: `argv` runs on the host with a socket listening on 127.0.0.1:`port` in the box as fd 3. */
  proxy: { port: number; argv: string[] } | null;
}

/** Create a box: namespaces, maps, filesystem, pivot_root, then coop's init as PID 1. */
export interface CreatePlan {
  mode: 'create';
  name: string;
  namespaces: Namespace[];
  idmap: IdMapping;
  /** Host directory that becomes "/"; null for a user-namespace-only process (no mount work). */
  root: string | null;
  /** Host-path steps, in order, before `ops`. */
  stage: StageOp[];
  /** The id mapping of `idmapped` stage copies: on-disk id `inside` is seen as `outside`. */
  idmapTree?: IdRange[];
  /** Box-path steps, in order, resolved inside `root`. */
  ops: FsOp[];
  hostname: string | null;
  /** Bring up loopback (only meaningful in a new network namespace). */
  loopback: boolean;
  /**
   * The init (and so every process of the box) moves into a user namespace nested in the
   * box's own once the filesystem is built: coop's mounts are then locked, out of reach of
   * in-box root (the way bubblewrap does it).
   */
  nest: boolean;
  /** Confinement of the init and everything it starts; null for none (id-mapping helpers). */
  confine: Confinement | null;
  hardening?: Hardening[];
  /** cgroup v2 directory the init joins before it starts (limits; see cgroup.ts). */
  cgroup?: string;
  /** Network kept from outside (absent: nothing; the init waits for it before running anything). */
  network?: NetworkPlan;
  /** run: the init runs `process` and the box ends with it; box: the init waits for entered processes. */
  init: { mode: 'run' | 'box'; graceMs: number };
  /** run mode: the command gets a terminal of the box's own devpts, relayed to the caller's stdin/stdout. */
  terminal?: boolean;
  process: ProcessSpec | null;
}

/** Run a process inside an existing box (setns into its init's namespaces). */
export interface EnterPlan {
  mode: 'enter';
  /** The box's init, identified by pid and start time (field 22 of /proc/PID/stat). */
  target: { pid: number; startTime: string };
  namespaces: Namespace[];
  setgroups: 'allow' | 'deny';
  /** Confinement of the entered process (the box's setting). */
  confine: Confinement;
  hardening?: Hardening[];
  /** The box's cgroup, joined before entering. */
  cgroup?: string;
  process: ProcessSpec;
  /**
   * Give the process a terminal of the box's own devpts: `true` relays it to the helper's
   * stdio, a terminal (sizes follow it); a size hands its master to the starter over the
   * status socket once the process holds its side (the daemon then serves it).
   */
  terminal?: boolean | { cols: number; rows: number };
}

/** Remove directories whose files may belong to mapped ids. */
export interface RemovePlan {
  mode: 'rmtree';
  idmap: IdMapping;
  paths: string[];
}

export type Plan = CreatePlan | EnterPlan | RemovePlan;
