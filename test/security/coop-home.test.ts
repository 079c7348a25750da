// $COOP_HOME (the daemon's socket, other boxes' layers, persist directories and volumes) must
// stay out of every box, wherever it lies — not only when its path string starts with the
// workspace's. Red-team findings: a $COOP_HOME under a directory the host image shares
// (/var, /opt, /srv, /etc, /usr) is visible read-only in every host-image box (and its socket
// connectable when that directory is bound rather than overlaid); a workspace reached through
// a bind-mount alias is not recognised as containing $COOP_HOME; a masked $COOP_HOME two
// levels down can be moved away by renaming its parent, leaving its path to the agent.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCaptured } from '../helpers/box.js';
import { COOP } from '../helpers/cli.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';
import { writeProbe } from './probe.js';

const root = process.getuid!() === 0;
const refusedInOneLine = (e: Error) => assert.not.match(e.message, /\n/, e.message);

test('a $COOP_HOME under a directory the host image shares (/var/tmp) is not visible in the box', async () => {
  const home = mkdtempSync('/var/tmp/coop-home-');
  const ws = tmp('coop-ws-');
  try {
    writeFileSync(join(home, 'other-box-file'), 'secret of another box\n');
    const r = await runCaptured({ cmd: ['sh', '-c', `ls -A ${home} 2>/dev/null; cat ${home}/other-box-file 2>/dev/null; echo end`], config: testConfig(ws), coopHome: home })
      .catch((e: Error) => e);
    if (r instanceof Error) return refusedInOneLine(r); // refusing such a $COOP_HOME is an answer too
    assert.is(r.code, 0, r.stderr);
    assert.not.match(r.stdout, /other-box-file|secret of another box/, r.stdout);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a workspace that contains $COOP_HOME two levels down: renaming the masked directory\'s parent does not hand $COOP_HOME\'s path to the box', async () => {
  const ws = tmp('coop-ws-');
  const home = join(ws, 'state', 'coop');
  mkdirSync(home, { recursive: true });
  const r = await runCaptured({
    cmd: ['sh', '-c', 'mv /workspace/state /workspace/moved 2>/dev/null && mkdir -p /workspace/state/coop && echo RENAMED; echo end'],
    config: testConfig(ws), coopHome: home,
  }).catch((e: Error) => e);
  if (r instanceof Error) return refusedInOneLine(r);
  assert.not.match(r.stdout, /RENAMED/, r.stdout);
  assert.ok(existsSync(join(home, 'stage')), `${home} is no longer coop's state directory`);
});

test('a workspace reached through a bind-mount alias of a directory that contains $COOP_HOME still has it masked (root: needs a private mount namespace)', async () => {
  if (!root) {
    console.log('skipped: making a bind-mount alias needs root (the finding holds for every user whose workspace path is such an alias)');
    return;
  }
  const real = tmp('coop-realhome-');
  const alias = tmp('coop-alias-');
  mkdirSync(join(real, '.coop'));
  writeFileSync(join(real, '.coop', 'other-box-file'), 'secret\n');
  writeProbe(real);
  const script = `mount --bind "$1" "$2" && shift 2 && exec "$@"`;
  const out = await new Promise<string>((resolve) => {
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', real, alias,
      process.execPath, COOP, 'run', '-w', alias, '--', 'sh', '-c', 'ls -A /workspace/.coop | wc -l'],
    { env: { ...process.env, COOP_HOME: join(real, '.coop') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('close', () => resolve(text));
  });
  if (/refus/.test(out)) return;
  assert.is(out.trim(), '0', `the box sees $COOP_HOME through the alias: ${out}`);
});

test.run();
