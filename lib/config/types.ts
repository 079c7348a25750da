// The resolved shape of coop.toml (SPEC §2), after layering and `$NAME` expansion.
// Every field is present; defaults fill what no layer set.

export type NetworkMode = 'host' | 'none' | 'private';

/**
 * A `sandbox.mounts` entry as data (SPEC §4.5), parsed once when the configuration is
 * loaded: a host path (absolute) or a named volume ($COOP_HOME/volumes/NAME), mounted at
 * `box` (absolute, or starting with ~ for the in-box home).
 */
export type BoxMount =
  | { kind: 'path'; host: string; box: string; readonly: boolean }
  | { kind: 'volume'; name: string; box: string; readonly: boolean };

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
  /** Path mounts and named volumes, from the entries "HOST:BOX[:ro]" and "VOLUME:BOX[:ro]". */
  mounts: BoxMount[];
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
  /** "host": the host's network; "none": loopback only; "private": its own, with a way out (SPEC §4.3). */
  mode: NetworkMode;
  /** "[ADDRESS:]HOST_PORT:BOX_PORT": box ports published on the host (address default 127.0.0.1). */
  ports: string[];
  /** Names ("example.com", "*.example.com") and addresses ("10.1.2.3", "10.0.0.0/8") the box may reach, through coop's proxy only. */
  allow: string[];
  /** DNS servers ("ADDRESS[:PORT]") a private box's queries go to; default the host's (/etc/resolv.conf). */
  dns: string[];
  /** "NAME=ADDRESS": fixed addresses, in the box's /etc/hosts and for the proxy instead of DNS. */
  hosts: string[];
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
