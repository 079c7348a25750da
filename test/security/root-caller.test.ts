// A root caller's box must be no more powerful than an ordinary user's (SPEC §4.2). Red-team
// findings, both from in-box root being host root (0 ↔ 0):
// - files it makes setuid (or gives file capabilities) in the workspace are setuid-root /
//   capable on the host: any local user who can reach the workspace becomes root;
// - the host image shows /etc, /var, /opt, /srv and /usr as they are, so it reads every
//   root-only file there (debconf's passwords, database files, logs) that an ordinary
//   user's box cannot.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const root = process.getuid!() === 0;
const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const sh = (script: string) => runCaptured({ cmd: ['sh', '-c', script], config: testConfig(ws), coopHome: home });

test('files a root caller\'s box makes setuid or file-capable in the workspace do not give host root', async () => {
  if (!root) {
    console.log('skipped: only a root caller\'s box can make host-root-owned files');
    return;
  }
  const r = await sh('cp /bin/sh /workspace/suid-sh && chmod 4755 /workspace/suid-sh; cp /bin/true /workspace/cap-true && setcap cap_setuid+ep /workspace/cap-true 2>&1; echo end');
  assert.match(r.stdout, /end/, r.stderr);
  const suid = join(ws, 'suid-sh');
  if (existsSync(suid)) {
    const st = statSync(suid);
    assert.not.ok(st.uid === 0 && (st.mode & 0o4000) !== 0, `${suid} is setuid root on the host (mode ${st.mode.toString(8)})`);
  }
  const getcap = spawnSync('getcap', [join(ws, 'cap-true')], { encoding: 'utf8' });
  if (getcap.error) console.log('skipped: no getcap on the host; the file capability was not checked');
  else assert.not.match(getcap.stdout, /cap_setuid/, `the host sees a file capability: ${getcap.stdout}`);
});

test('a root caller\'s host-image box cannot read root-only host files under the shared directories', async () => {
  if (!root) {
    console.log('skipped: an ordinary user\'s box cannot read another owner\'s 0600 file anyway');
    return;
  }
  const dir = mkdtempSync('/var/lib/coop-test-');
  try {
    writeFileSync(join(dir, 'secret'), 'root-only secret\n', { mode: 0o600 });
    const r = await sh(`cat ${dir}/secret 2>/dev/null; echo end`);
    assert.not.match(r.stdout, /root-only secret/, r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
