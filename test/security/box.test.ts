// Long-lived boxes (the daemon's): the agent and every shell entered later are as confined as a
// one-shot box — nested user namespace, seccomp, fresh keyring — and the persist directories and
// volumes coop mounts cannot be undone.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCoop } from '../helpers/daemon.js';

const t = new TestCoop('[sandbox]\nagent = "sh"\nmounts = ["shared-vol:/vol"]\n[session]\npersist = [".cache"]\n');
let name = '';
test.before(async () => {
  name = await t.create();
});
test.after(() => t.stop());

test('a shell entered into a running box is confined like the box itself', async () => {
  const r = await t.cli(['shell', '-c', 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; readlink /proc/self/ns/user; cat /proc/1/environ > /dev/null 2>&1 && echo INIT-READABLE; true']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /NoNewPrivs:\s+1/);
  assert.match(r.stdout, /Seccomp:\s+2/);
  assert.not.match(r.stdout, /INIT-READABLE/);
  // From outside: the shell runs in the same (nested) user namespace as the box's init.
  const box = JSON.parse((await t.cli(['ls', '--json'])).stdout)[0] as { pid: number };
  assert.is(r.stdout.match(/user:\[\d+\]/)![0], readlinkSync(`/proc/${box.pid}/ns/user`));
});

test('persist directories, volumes and the workspace cannot be unmounted or remounted from a shell', async () => {
  const attack = 'mount -o remount,bind,rw /proc/sys 2>/dev/null && echo REMOUNTED; for m in /home/coop/.cache /vol /workspace /proc/sys; do umount -l $m 2>/dev/null && echo UNMOUNTED-$m; done; echo x > /home/coop/.cache/kept && echo wrote';
  const r = await t.cli(['shell', '-c', `${attack}; unshare -m sh -c '${attack}'`]);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout, /REMOUNTED|UNMOUNTED/, r.stdout);
  const persisted = join(t.home, 'sessions', name, 'persist', '.cache', 'kept');
  assert.ok(existsSync(persisted), persisted);
  assert.is(readFileSync(persisted, 'utf8'), 'x\n');
});

test.run();
