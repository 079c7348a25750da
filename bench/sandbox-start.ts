// bench/sandbox-start: create a box on a busybox dir: rootfs and run `true` to completion,
// through the library API, against bubblewrap doing the same (same namespaces, the same
// rootfs bound read-only — bubblewrap 0.8 has no overlay — proc, dev, tmpfs /tmp and the
// workspace) in the same run. Both are started from this Node process.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/boxes.js';
import { busyboxRootfs } from '../test/helpers/busybox.js';
import { testConfig } from '../test/helpers/config.js';
import { tmp } from '../test/helpers/tmp.js';
import { compare, report } from './stats.js';

const runs = Number(process.env.BENCH_RUNS ?? 200);
const rootfs = busyboxRootfs();
mkdirSync(join(rootfs, 'workspace'), { recursive: true });
const ws = tmp('coop-bench-ws-');
const home = tmp('coop-bench-home-');
const config = testConfig(ws, { sandbox: { image: `dir:${rootfs}` } });

const exited = (cmd: string, args: string[]) =>
  new Promise<void>((resolve, reject) =>
    spawn(cmd, args, { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`)))),
  );

// bubblewrap with flags comparable to a coop box: every namespace, dies with its parent, and
// its default capability drop; coop's box adds the overlay, masks, the nested user namespace
// and the seccomp filter.
const bwrapArgs = [
  '--unshare-all', '--die-with-parent', '--ro-bind', rootfs, '/',
  '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', ws, '/workspace', '/bin/true',
];

const samples = await compare(
  {
    'coop run() true': async () => {
      const r = await run({ cmd: ['/bin/true'], config, coopHome: home, stdio: 'ignore' });
      if (r.code !== 0) throw new Error(`coop box exited ${r.code}`);
    },
    'bwrap true': () => exited('bwrap', bwrapArgs),
  },
  runs,
);
report('sandbox-start: create a box and run true (busybox dir: rootfs)', samples, 'coop run() true', 'bwrap true', '<= 1.0');
