// Built-in defaults: the first configuration layer (SPEC §2).
import type { CoopConfig } from './types.js';

/** Defaults for a workspace directory (workspace.mount defaults to it). */
export function defaultConfig(workspaceDir: string): CoopConfig {
  return {
    sandbox: {
      image: 'host', agent: null, args: [], shell: 'bash', user: 'coop', hostname: '',
      setup: [], packages: {}, mounts: [], seccomp: 'default', tmpfs_size: '1g', memory: '', pids: 0, ca_certs: '',
    },
    workspace: { mount: workspaceDir, path: '/workspace' },
    env: {},
    network: { mode: 'host', ports: [] },
    session: { persist: [], auto_restart: true, restart_delay_ms: 1000 },
    input_filter: { ctrl_c_debounce_ms: 500, block_sequences: [] },
  };
}
