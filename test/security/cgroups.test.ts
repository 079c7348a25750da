// The host's cgroup tree is out of reach of a box (SPEC §12: "cannot change kernel state
// (sysctl, sysfs, cgroups) — as root callers' boxes too"). Red-team finding: /sys/fs/cgroup is
// read-only, but a box may make a cgroup namespace of its own (unshare -C) and mount cgroupfs
// there; its root is the box's current cgroup — the host's root cgroup for a root caller
// without limits — and a root caller's box owns every file of it (uid 0 ↔ 0): it could
// create cgroups, freeze any host service (freezer.state, cgroup.freeze), set pids.max.
import { readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');

/** Host cgroup mount points (v1 and v2) and this process's cgroup in each. */
function cgroupDirs(): string[] {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [id, controllers, path] = line.split(':');
    own.set(id === '0' ? 'cgroup2' : controllers!, path!);
  }
  const dirs: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n')) {
    const [left, right] = line.split(' - ');
    const mountPoint = left!.split(' ')[4]!;
    const [fstype, , options] = right!.split(' ');
    if (fstype === 'cgroup2') dirs.push(mountPoint, join(mountPoint, own.get('cgroup2') ?? '/'));
    else if (fstype === 'cgroup') {
      const key = [...own.keys()].find((k) => k.split(',').some((c) => options!.split(',').includes(c)));
      dirs.push(mountPoint, join(mountPoint, key ? own.get(key)! : '/'));
    }
  }
  return [...new Set(dirs)];
}

test('no cgroup of the host can be made through a cgroup namespace and cgroupfs of the box\'s own', async () => {
  const name = `coop-escape-${process.pid}`;
  const attack = `
    mount -t cgroup2 none /mnt 2>/dev/null && { mkdir /mnt/${name} 2>/dev/null && echo MADE-cgroup2; }
    for c in freezer pids memory; do
      mount -t cgroup -o $c none /tmp 2>/dev/null && { mkdir /tmp/${name} 2>/dev/null && echo MADE-$c; umount /tmp; }
    done; echo end`;
  let r;
  try {
    r = await runCaptured({ cmd: ['unshare', '-Cm', 'sh', '-c', attack], config: testConfig(ws), coopHome: home });
  } finally {
    for (const dir of cgroupDirs()) {
      try {
        rmdirSync(join(dir, name));
        console.log(`removed the box's cgroup ${join(dir, name)} from the host`);
      } catch {
        // not made there
      }
    }
  }
  assert.not.match(r.stdout, /MADE/, `${r.stdout}${r.stderr}`);
});

test.run();
