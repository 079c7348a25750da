// `coop doctor`: every check in order, and the exact line for each condition a test can make
// (tools and id ranges hidden in a mount namespace, $COOP_HOME on an overlay, user
// namespaces switched off in a user namespace of the test's own).
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { currentUser, readSubidRange } from '../../lib/sandbox/idmap.js';
import { COOP, coop, type CliResult } from '../helpers/cli.js';
import { TestCoop } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';

const me = currentUser();
const range = readSubidRange('/etc/subuid', me) !== null && readSubidRange('/etc/subgid', me) !== null;
const SEE = 'see docs/troubleshooting.md';
const baseEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', COOP_HOME: tmp('coop-home-') });

/** `coop doctor` started by `sh -c "<setup>; exec node coop.cjs doctor"` inside `unshare <flags>`. */
function doctorIn(flags: string[], setup: string, env: NodeJS.ProcessEnv = baseEnv()): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('unshare', [...flags, 'sh', '-ec', `${setup}\nexec "$0" "$1" doctor`, process.execPath, COOP], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const line = (r: CliResult, name: string) => r.stdout.split('\n').find((l) => l.slice(8).startsWith(`${name}: `)) ?? `(no ${name} line in:\n${r.stdout}${r.stderr})`;
/** The caller's own uid and gid, with capabilities in a new user and mount namespace (to bind over files). */
const OWN_NS = ['--user', '--map-current-user', '--keep-caps', '--mount'];
const hide = (...files: string[]) => files.map((f) => `[ ! -e ${f} ] || mount --bind /dev/null ${f}`).join('\n');
const TOOL_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];

test('coop doctor --json: every check in order, then a box started and timed', async () => {
  const r = await coop(['doctor', '--json'], { env: baseEnv() });
  const out = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; status: string; message: string; ms?: number }[] };
  assert.equal(out.checks.map((c) => c.name), [
    'kernel', 'user.max_user_namespaces', 'kernel.unprivileged_userns_clone', 'kernel.apparmor_restrict_unprivileged_userns',
    'user namespaces', 'subordinate ids', 'newuidmap/newgidmap', '$COOP_HOME', 'overlayfs', 'pasta/slirp4netns', 'cgroup v2', 'daemon', 'box',
  ]);
  for (const c of out.checks) assert.ok(['ok', 'warning', 'failing'].includes(c.status), JSON.stringify(c));
  const box = out.checks.at(-1)!;
  assert.is(box.status, 'ok', box.message);
  assert.match(box.message, /^started and ended a box in \d+ ms \(host image, no network\)$/);
  assert.type(box.ms, 'number');
  assert.is(r.code, out.checks.some((c) => c.status === 'failing') ? 1 : 0);
  assert.is(out.ok, r.code === 0);
});

test('a running daemon: its pid, version and boxes', async () => {
  const c = new TestCoop();
  try {
    await c.create();
    const r = await coop(['doctor'], { env: c.env });
    assert.is(line(r, 'daemon'), `ok      daemon: running: pid ${c.daemonPid()}, version 0.1.0, 1 box, 0 clients`);
    assert.match(r.stdout, /\n\d+ ok, \d+ warnings?, \d+ failing/);
  } finally {
    await c.stop();
  }
});

test('newuidmap and newgidmap nowhere to be found', async () => {
  const r = await doctorIn(OWN_NS, hide(...TOOL_DIRS.flatMap((d) => [`${d}/newuidmap`, `${d}/newgidmap`])));
  const expected = me.uid === 0
    ? 'ok      newuidmap/newgidmap: not needed: root writes its id maps itself'
    : range
      ? `failing newuidmap/newgidmap: not found: boxes map only your own id although /etc/subuid gives you a range; install them (Debian/Ubuntu: \`sudo apt install uidmap\`); ${SEE}`
      : 'warning newuidmap/newgidmap: not found (needed only with a range in /etc/subuid); install them with `sudo apt install uidmap` (Debian/Ubuntu)';
  assert.is(line(r, 'newuidmap/newgidmap'), expected);
  // User namespaces still work: with one id.
  assert.match(line(r, 'user namespaces'), new RegExp(`^ok {6}user namespaces: created one; boxes map uids 0 → ${me.uid} \\(one id\\)$`));
});

test('no range in /etc/subuid and /etc/subgid', async () => {
  const r = await doctorIn(OWN_NS, hide('/etc/subuid', '/etc/subgid'));
  assert.is(
    line(r, 'subordinate ids'),
    `warning subordinate ids: no range for ${me.name} in /etc/subuid and /etc/subgid: everything in a box belongs to one user (images are unpacked as yours); ` +
      `add 65536 ids no one else uses for ${me.name} to both (\`sudo usermod --add-subuids FROM-TO --add-subgids FROM-TO ${me.name}\`); ${SEE}`,
  );
});

test('$COOP_HOME on a filesystem overlayfs refuses as an upper layer (another overlay)', async () => {
  const t = tmp('coop-ovl-');
  const home = `${t}/m/home`;
  const r = await doctorIn(['--user', '--map-root-user', '--mount'], [
    `mount -t tmpfs tmpfs ${t}`, `mkdir ${t}/l ${t}/u ${t}/w ${t}/m`,
    `mount -t overlay overlay -o lowerdir=${t}/l,upperdir=${t}/u,workdir=${t}/w,userxattr ${t}/m`,
  ].join('\n'), { ...baseEnv(), COOP_HOME: home });
  assert.is(line(r, '$COOP_HOME'), `ok      $COOP_HOME: ${home} (overlay)`);
  const got = line(r, 'overlayfs');
  const prefix = `failing overlayfs: mount overlay on ${home}/.doctor-`;
  assert.is(got.slice(0, prefix.length), prefix, got);
  assert.is(
    got.slice(prefix.length).replace(/^\w{6}\//, 'XXXXXX/'),
    `XXXXXX/root/: Invalid argument — overlayfs inside a user namespace needs Linux 5.11 or newer and a filesystem that supports it for $COOP_HOME; ${SEE}`,
  );
  assert.is(r.code, 1);
});

test('user namespaces switched off (user.max_user_namespaces = 0 in a test namespace)', async () => {
  const r = await doctorIn(['--user', '--map-root-user'], 'echo 0 > /proc/sys/user/max_user_namespaces');
  const fix = 'user namespaces are disabled (user.max_user_namespaces = 0); enable them with `sudo sysctl -w user.max_user_namespaces=15000`';
  assert.is(line(r, 'user.max_user_namespaces'), `failing user.max_user_namespaces: 0: ${fix}`);
  assert.is(line(r, 'user namespaces'), `failing user namespaces: clone user: No space left on device — ${fix}; ${SEE}`);
  assert.is(line(r, 'overlayfs'), 'failing overlayfs: not tried: user namespaces cannot be created (above)');
  assert.is(line(r, 'box'), 'failing box: not tried: user namespaces cannot be created (above)');
  assert.match(r.stdout, /\n\d+ ok, \d+ warnings?, 4 failing: boxes will not start until the failing lines are fixed \(docs\/troubleshooting\.md\)\n$/);
  assert.is(r.code, 1);
});

test.run();
