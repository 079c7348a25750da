// The build box (SPEC §3): one `packages` or `setup` command run as in-box root directly on
// a rootfs being built (bound read-write as /), with the host's network, /proc, /dev, /tmp.
import { layerDirs, stageDir } from '../paths.js';
import { bind, systemOps } from './box-plan.js';
import { hardeningFor, type Confinement, type CreatePlan, type IdMapping } from './plan.js';

export interface BuildStep {
  /** The rootfs under construction (a host directory). */
  rootfs: string;
  coopHome: string;
  idmap: IdMapping;
  /** A shell command line. */
  command: string;
  /** The image's own environment (its config Env), below coop's. */
  imageEnv?: Record<string, string>;
  /** `sandbox.seccomp` (default "default"). */
  confine?: Confinement;
  /** `sandbox.tmpfs_size` (default "1g"). */
  tmpfsSize?: string;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function planBuildStep(s: BuildStep): CreatePlan {
  const stage = stageDir(s.coopHome);
  const { root } = layerDirs(stage);
  return {
    mode: 'create',
    name: 'coop-build',
    namespaces: ['user', 'mount', 'pid', 'uts', 'ipc'],
    idmap: s.idmap,
    root,
    stage: [
      { op: 'mount', fstype: 'tmpfs', source: 'coop-stage', target: stage, data: 'mode=700,size=64k', flags: ['nosuid', 'nodev'] },
      { op: 'mkdir', path: root, mode: 0o755 },
    ],
    ops: [bind(s.rootfs, '/', 'rec'), ...systemOps(false, s.tmpfsSize ?? '1g')],
    hostname: 'coop-build',
    loopback: false,
    nest: true,
    confine: s.confine ?? 'default',
    hardening: hardeningFor(s.idmap),
    init: { mode: 'run', graceMs: 5000 },
    process: {
      argv: ['/bin/sh', '-c', s.command],
      env: { PATH, ...s.imageEnv, HOME: '/root', USER: 'root', LOGNAME: 'root', DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8', TERM: 'dumb', IS_SANDBOX: '1' },
      cwd: '/',
      uid: 0,
      gid: 0,
    },
  };
}
