// `packages.apt` on a real Debian: a rootfs made by debootstrap from Debian's archive (the
// one test that uses the network beyond loopback), turned into an OCI layout by umoci and
// built by `coop build`. debootstrap needs root: the root run leaves the layout in the
// runner's COOP_TEST_SHARED directory for the ordinary users' runs. Without root or its
// layout, or without the archive, the tests are skipped with the reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canMapRange } from '../../lib/sandbox/userns.js';
import { coop } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';
import { trustEnv, trustProject } from '../helpers/trust.js';

const MIRROR = process.env.COOP_TEST_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const isRoot = process.getuid?.() === 0;
const shared = process.env.COOP_TEST_SHARED;
const layout = shared ? join(shared, 'debian-oci') : join(tmp('coop-debian-oci-'), 'layout');

async function blocker(): Promise<string | null> {
  if (!isRoot && !existsSync(join(layout, 'index.json'))) return 'debootstrap needs root, and no root run of this file left its image';
  if (isRoot && spawnSync('debootstrap', ['--version']).error) return 'debootstrap is not installed';
  try {
    const res = await fetch(`${MIRROR}/dists/bookworm/Release`, { method: 'HEAD' });
    if (!res.ok) return `${MIRROR} answered ${res.status}`;
  } catch (e) {
    return `${MIRROR} is unreachable (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message})`;
  }
  return null;
}

const why = await blocker();
if (why) console.log(`skipped: packages.apt on a debootstrap'd Debian — ${why}`);
const maybe = why ? test.skip : test;

const home = tmp('coop-home-');

test.before(async () => {
  if (why || !isRoot) return;
  const rootfs = join(tmp('coop-debootstrap-'), 'rootfs');
  execFileSync('debootstrap', ['--variant=minbase', 'bookworm', rootfs, MIRROR], { stdio: ['ignore', 'ignore', 'inherit'] });
  const umoci = (args: string[]) => execFileSync('umoci', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  umoci(['init', '--layout', layout]);
  umoci(['new', '--image', `${layout}:bookworm`]);
  umoci(['config', '--image', `${layout}:bookworm`, '--os', 'linux', '--architecture', execFileSync('dpkg', ['--print-architecture']).toString().trim(), '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  umoci(['insert', '--image', `${layout}:bookworm`, rootfs, '/']);
  execFileSync('chmod', ['-R', 'a+rX', layout]); // for the ordinary users' runs
});

function project(extra: string): string {
  const ws = tmp('coop-ws-');
  writeFileSync(join(ws, 'coop.toml'), `[sandbox]\nimage = "oci:${layout}:bookworm"\n${extra}`);
  return trustProject(ws);
}
const env = () => ({ PATH: process.env.PATH!, HOME: process.env.HOME!, ...trustEnv, COOP_HOME: home });

maybe('packages.apt installs into the built rootfs; boxes run what it installed', async () => {
  const ws = project('packages = { apt = ["hello"] }\n');
  const built = await coop(['build'], { cwd: ws, env: env() });
  assert.is(built.code, 0, built.stderr + built.stdout);
  assert.match(built.stdout, /^\[1\/1\] apt-get update && apt-get install -y --no-install-recommends 'hello'$/m);
  const r = await coop(['run', '--', 'hello'], { cwd: ws, env: env() });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'Hello, world!\n');
});

maybe('apt works inside a box too (as in-box root, with or without an id range)', async () => {
  const ws = project('packages = { apt = ["hello"] }\n');
  const r = await coop(['run', '--', 'sh', '-c', 'apt-get install -y --no-install-recommends tree >/dev/null && tree -d /etc/apt | head -1'], { cwd: ws, env: env() });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '/etc/apt\n');
  // one id (root without /etc/subuid): apt is told to stay root, as the box has no _apt user
  const conf = await coop(['run', '--', 'sh', '-c', 'cat /etc/apt/apt.conf.d/00coop-one-id 2>/dev/null || echo none'], { cwd: ws, env: env() });
  if (canMapRange()) assert.is(conf.stdout, 'none\n');
  else assert.match(conf.stdout, /APT::Sandbox::User "root";/);
});

test.run();
