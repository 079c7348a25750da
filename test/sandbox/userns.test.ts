// spawnInUserns: a host command as root of a user namespace with the caller's mapping.
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canMapRange, spawnInUserns } from '../../lib/sandbox/userns.js';
import { tmp } from '../helpers/tmp.js';

test('the command is uid 0 of its namespace and sees host paths', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'f'), 'x');
  const h = spawnInUserns(['/bin/sh', '-c', 'id -u; cat f'], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  h.child.stdout!.on('data', (d) => (out += d));
  const o = await h.outcome;
  assert.equal(o.exit, { code: 0, signal: null });
  assert.is(out, '0\nx');
});

test('with a subordinate range, chown to in-namespace ids lands on the range', async () => {
  const dir = tmp();
  mkdirSync(join(dir, 'd'));
  const h = spawnInUserns(['/bin/chown', '1000:1000', join(dir, 'd')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const o = await h.outcome;
  const st = statSync(join(dir, 'd'));
  if (canMapRange()) {
    assert.equal(o.exit, { code: 0, signal: null });
    assert.is.not(st.uid, process.getuid!());
  } else {
    assert.is(o.exit?.code, 1); // id 1000 is not mapped: chown fails, nothing changes
    assert.is(st.uid, process.getuid!());
  }
});

test.run();
