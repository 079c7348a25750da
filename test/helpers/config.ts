// A complete CoopConfig for tests that drive the sandbox directly (without coop.toml).
import type { CoopConfig } from '../../lib/config/types.js';

type Overrides = Omit<{
  [K in keyof CoopConfig]?: CoopConfig[K] extends object ? Partial<CoopConfig[K]> : CoopConfig[K];
}, "env"> & { env?: Record<string, string> };

export function testConfig(workspace: string, o: Overrides = {}): CoopConfig {
  return {
    sandbox: {
      image: 'host', agent: null, args: [], shell: 'sh', user: 'coop', hostname: '', setup: [], packages: {}, mounts: [], seccomp: 'default', tmpfs_size: '1g', memory: '', pids: 0, ca_certs: '',
      ...o.sandbox,
    },
    workspace: { mount: workspace, path: '/workspace', ...o.workspace },
    env: { ...o.env },
    network: { mode: 'host', ports: [], ...o.network },
    session: { persist: [], auto_restart: true, restart_delay_ms: 1000, ...o.session },
    input_filter: { ctrl_c_debounce_ms: 500, block_sequences: [], ...o.input_filter },
  };
}
