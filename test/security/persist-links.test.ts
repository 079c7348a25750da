// What a box leaves on the host — persist directories, a writable layer that outlived its box —
// is the agent's to fill; coop must never follow a link the agent left there. Red-team finding:
// with nested `session.persist` entries (".config/gh" inside ".config") the agent replaced the
// inner directory by a symlink to a host directory and, at the next start, coop-helper chmodded
// the link's target and bound it read-write into the box. Nested entries are refused now, and
// every host path coop writes or mounts is opened without following symbolic links.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busyboxRootfs } from '../helpers/busybox.js';
import { TestCoop } from '../helpers/daemon.js';

// In /var/tmp so that the same path exists inside a host-image box (a link's target).
const victim = mkdtempSync('/var/tmp/coop-victim-');
chmodSync(victim, 0o700);
writeFileSync(join(victim, 'secret'), 'host secret\n', { mode: 0o600 });
const untouched = () => {
  assert.is(statSync(victim).mode & 0o777, 0o700, 'the host directory behind the link was chmodded');
  assert.equal(readdirSync(victim), ['secret'], 'coop wrote into the host directory');
};
test.after(() => rmSync(victim, { recursive: true, force: true }));

test('nested persist entries are refused before anything starts', async () => {
  const t = new TestCoop('[sandbox]\nagent = "sh"\n[session]\npersist = [".config/gh", ".config"]\n');
  try {
    const e = await t.create().catch((err: Error) => err);
    assert.ok(e instanceof Error, 'a box with nested persist entries was created');
    assert.match(e.message, /session\.persist: "\.config\/gh" lies inside "\.config"/);
  } finally {
    await t.stop();
  }
});

test('a link the agent leaves in its writable layer is not followed when the box is made again', async () => {
  const t = new TestCoop(`[sandbox]\nagent = "sh"\nimage = "dir:${busyboxRootfs()}"\n`);
  try {
    await t.create();
    const plant = `cd / && rm -rf /etc && ln -s ${victim} /etc && echo planted`;
    const p = await t.cli(['shell', '-c', plant]);
    assert.match(p.stdout, /planted/, p.stdout + p.stderr);
    // The box's init dies without coop removing anything (as after a crash): its layer stays.
    const box = JSON.parse((await t.cli(['ls', '--json'])).stdout)[0] as { pid: number };
    process.kill(box.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await t.create().catch((e: Error) => e);
    untouched();
  } finally {
    await t.stop();
  }
});

test.run();
