// Resource limits (sandbox.memory, sandbox.pids): applied in a delegated cgroup v2 subtree,
// refused with one line where there is none — never ignored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ownCgroupDir } from '../../lib/sandbox/cgroup.js';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');

test('the cgroup v2 directory of a process is found from mountinfo and /proc/self/cgroup', () => {
  const mountinfo = '30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n';
  assert.is(ownCgroupDir({ mountinfo, selfCgroup: '0::/user.slice/user-1000.slice/app.scope\n' }), '/sys/fs/cgroup/user.slice/user-1000.slice/app.scope');
  const hybrid = '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n';
  assert.is(ownCgroupDir({ mountinfo: hybrid, selfCgroup: '8:pids:/\n0::/\n' }), '/sys/fs/cgroup/unified');
  assert.is(ownCgroupDir({ mountinfo: '25 1 0:20 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n', selfCgroup: '4:memory:/\n' }), null);
});

test('sandbox.memory and sandbox.pids: applied, or refused with one line that names the key and the fix', async () => {
  const r = await runCaptured({ cmd: ['sh', '-c', 'sed -n "s/^0:://p" /proc/self/cgroup'], config: testConfig(ws, { sandbox: { memory: '256m', pids: 64 } }), coopHome: home })
    .catch((e: Error) => e);
  if (r instanceof Error) {
    assert.match(r.message, /^sandbox\.memory and sandbox\.pids: .*(no cgroup v2|offers no|cannot set up).*Delegate=yes/);
    assert.not.match(r.message, /\n/);
    console.log(`skipped: limits not applicable on this machine (${r.message.slice(0, 120)}...); the refusal was checked`);
    return;
  }
  assert.is(r.code, 0, r.stderr);
  // The box's processes run in the box's own cgroup.
  assert.match(r.stdout.trim(), /\/coop-run-[0-9a-f]+$/);
});

test.run();
