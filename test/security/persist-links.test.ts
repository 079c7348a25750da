// Persist directories are the agent's to fill, and they outlive the box; coop must never follow
// what the agent left there on the host. Red-team finding: with nested `session.persist`
// entries (".config/gh" inside ".config"), the agent replaces the inner directory by a symlink
// to any host path (and swaps the order in the project's coop.toml, which lies in its
// workspace). At the next start of the box, coop-helper chmods the link's target 0755 (a stage
// mkdir follows the link) and binds the host directory read-write into the box.
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCoop } from '../helpers/daemon.js';

// In /var/tmp so that the same path exists inside a host-image box (the bind's target).
const victim = mkdtempSync('/var/tmp/coop-victim-');
chmodSync(victim, 0o700);
writeFileSync(join(victim, 'secret'), 'host secret\n', { mode: 0o600 });
const t = new TestCoop('[sandbox]\nagent = "sh"\n[session]\npersist = [".config/gh", ".config"]\n');
test.after(async () => {
  await t.stop();
  rmSync(victim, { recursive: true, force: true });
});

test('a symlink the agent leaves among persist directories is not followed when the box starts again', async () => {
  const name = await t.create();
  const plant = `rm -rf ~/.config/gh && ln -s ${victim} ~/.config/gh && sed -i 's#^persist = .*#persist = [".config", ".config/gh"]#' /workspace/coop.toml && echo planted`;
  const p = await t.cli(['shell', '-c', plant]);
  assert.match(p.stdout, /planted/, p.stdout + p.stderr);
  const k = await t.cli(['kill', name]);
  assert.is(k.code, 0, k.stderr);

  const again = await t.create().catch((e: Error) => e);
  if (!(again instanceof Error)) {
    const r = await t.cli(['shell', '-c', 'cat ~/.config/gh/secret 2>/dev/null; echo wrote > ~/.config/gh/planted 2>/dev/null; echo end']);
    assert.not.match(r.stdout, /host secret/, `the box reads the host directory: ${r.stdout}`);
  }
  assert.is(statSync(victim).mode & 0o777, 0o700, 'the host directory behind the link was chmodded');
  assert.not.ok(existsSync(join(victim, 'planted')), 'the box wrote into the host directory');
});

test.run();
