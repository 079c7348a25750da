// The resolved shape of coop.toml (SPEC §2), after layering and `$NAME` expansion.
// Every field is present; defaults fill what no layer set.

export type NetworkMode = 'host' | 'none' | 'veth';

export interface SandboxSection {
  /** Image source (SPEC §3): "host", "dir:PATH", a registry reference, "oci-archive:FILE", ... */
  image: string;
  /** Agent command as argv, or null when no layer names one (then only `coop run` works). */
  agent: string[] | null;
  /** Extra agent arguments, appended to `agent`. */
  args: string[];
  /** Default program for `coop shell`. */
  shell: string;
  /** Name of the in-box account for uid 0 (HOME=/home/<user>). */
  user: string;
  /** Box hostname; "" means the box name. */
  hostname: string;
  /** Commands run by `coop build`, in order. */
  setup: string[];
  /** Packages per manager (apt, apk, dnf, pacman, npm, pip). */
  packages: Record<string, string[]>;
  /** Mount entries "host:box[:ro]" or "volume:box"; host sides already absolute (see MountSpec). */
  mounts: string[];
  /** "default": coop's seccomp filter for every process of the box; "off": none. */
  seccomp: 'default' | 'off';
  /** Size limit of each tmpfs of a box (/tmp, /dev/shm, a one-shot box's writable layer), e.g. "1g". */
  tmpfs_size: string;
  /** Memory limit (e.g. "4g") in a delegated cgroup v2 subtree; "" for none. */
  memory: string;
  /** Limit on the number of processes in a delegated cgroup v2 subtree; 0 for none. */
  pids: number;
  /** CA bundle for build steps and boxes: "" none, "host" the host's system bundle, or a PEM file's absolute path. */
  ca_certs: string;
}

export interface WorkspaceSection {
  /** Absolute host directory bound read-write into the box. */
  mount: string;
  /** Where it appears inside the box. */
  path: string;
}

export interface NetworkSection {
  mode: NetworkMode;
  /** "HOST:BOX" port publications for veth mode. */
  ports: string[];
}

export interface SessionSection {
  persist: string[];
  auto_restart: boolean;
  restart_delay_ms: number;
}

export interface InputFilterSection {
  ctrl_c_debounce_ms: number;
  block_sequences: string[];
}

export interface CoopConfig {
  sandbox: SandboxSection;
  workspace: WorkspaceSection;
  /** Box environment; values already expanded from the caller's environment (may hold secrets). */
  env: Record<string, string>;
  network: NetworkSection;
  session: SessionSection;
  input_filter: InputFilterSection;
}
