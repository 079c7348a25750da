// Images from a real registry on loopback (docker-registry, filled with skopeo) and from
// local layouts and archives, turned into rootfs directories by `coop build`.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectPlatform } from '../../lib/image/manifest.js';
import { canMapRange } from '../../lib/sandbox/userns.js';
import { pullRegistry } from '../../lib/image/pull.js';
import { parseReference } from '../../lib/image/reference.js';
import { Registry } from '../../lib/image/registry.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { COOP, coop } from '../helpers/cli.js';
import { Tmux } from '../helpers/tmux.js';
import { AuthProxy, hostArch, Layout, TestRegistry, UmociLayout } from '../helpers/registry.js';
import { tmp } from '../helpers/tmp.js';
import { trustEnv, trustProject } from '../helpers/trust.js';

const registry = new TestRegistry();
const layout = new Layout();
const umoci = new UmociLayout();
const basicRegistry = new TestRegistry({ user: 'bob', pass: 'hunter2' });
let proxy: AuthProxy;
const home = tmp('coop-home-');

function busyboxLayer(): { data: Buffer; mediaType: string } {
  const tar = execFileSync('tar', ['-C', busyboxRootfs(), '--owner=0', '--group=0', '--numeric-owner', '-c', '.'], { maxBuffer: 64 << 20 });
  return { data: gzipSync(tar), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
}

test.before(async () => {
  try {
  await registry.start();
  const base = busyboxLayer();
  const img = layout.image([base, [{ name: 'etc/image-note', data: 'from the registry\n' }]], { arch: hostArch() });
  layout.tag('latest', img);
  // an index with the host's platform and another one
  const other = layout.image([base, [{ name: 'etc/image-note', data: 'wrong platform\n' }]], { arch: 's390x' });
  layout.tag('multi', layout.index([
    { ...other, platform: { os: 'linux', architecture: 's390x' } },
    { ...img, platform: { os: 'linux', architecture: hostArch(), ...(hostArch() === 'arm64' ? { variant: 'v8' } : {}) } },
  ]));
  layout.tag('s390x-only', layout.index([{ ...other, platform: { os: 'linux', architecture: 's390x' } }]));
  // zstd layer
  const zst = execFileSync('zstd', ['-q', '-c'], { maxBuffer: 64 << 20, input: execFileSync('tar', ['-C', busyboxRootfs(), '--owner=0', '--group=0', '-c', '.'], { maxBuffer: 64 << 20 }) });
  layout.tag('zstd', layout.image([{ data: zst, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' }], { arch: hostArch() }));
  for (const t of ['latest', 'multi', 's390x-only', 'zstd']) registry.push(layout, t, `test/busybox:${t}`);
  // several layers made by umoci: whiteouts, an opaque directory, hard links and modes
  const tree = tmp('coop-tree-');
  const files: [string, string, number][] = [['etc/gone', 'x', 0o644], ['opq/old1', '1', 0o644], ['opq/sub/old2', '2', 0o644], ['data/orig', 'link me', 0o640], ['usr/bin/setuid-tool', '#!/bin/sh\n', 0o4755]];
  for (const [name, data, mode] of files) {
    mkdirSync(join(tree, dirname(name)), { recursive: true });
    writeFileSync(join(tree, name), data);
    chmodSync(join(tree, name), mode);
  }
  linkSync(join(tree, 'data/orig'), join(tree, 'data/alias'));
  const opq = tmp('coop-opq-');
  writeFileSync(join(opq, 'new'), 'n');
  umoci.create('layers').insert('layers', busyboxRootfs(), '/').insert('layers', tree, '/').whiteout('layers', '/etc/gone').insert('layers', opq, '/opq', true);
  registry.push(umoci, 'layers', 'test/layers:oci');
  registry.push(umoci, 'layers', 'test/layers:v2', 'v2s2');
  await basicRegistry.start();
  basicRegistry.push(umoci, 'layers', 'test/layers:oci');
  proxy = await new AuthProxy(registry.host, 'alice', 's3cret').start();
  } catch (e) {
    console.error(e); // uvu does not show what failed in a before hook
    throw e;
  }
});
test.after(() => {
  registry.stop();
  basicRegistry.stop();
  proxy?.stop();
});

function project(image: string, extra = ''): string {
  const ws = tmp('coop-ws-');
  writeFileSync(join(ws, 'coop.toml'), `[sandbox]\nimage = "${image}"\n${extra}`);
  return trustProject(ws);
}
const env = (more: Record<string, string> = {}) => ({ PATH: process.env.PATH!, HOME: process.env.HOME!, ...trustEnv, COOP_HOME: home, ...more });

test('coop build pulls from the registry, runs setup with [i/N] headers, and boxes use the rootfs', async () => {
  const ws = project(`${registry.host}/test/busybox:latest`, 'setup = ["echo built > /etc/setup-ran", "cat /etc/image-note"]\n');
  const r = await coop(['build'], { cwd: ws, env: env() });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[1\/2\] echo built > \/etc\/setup-ran$/m);
  assert.match(r.stdout, /^\[2\/2\] cat \/etc\/image-note\nfrom the registry$/m);
  assert.match(r.stdout, /^Built: /m);
  const run = await coop(['run', '--', 'sh', '-c', 'cat /etc/setup-ran /etc/image-note'], { cwd: ws, env: env() });
  assert.is(run.code, 0, run.stderr);
  assert.is(run.stdout, 'built\nfrom the registry\n');
  const again = await coop(['build'], { cwd: ws, env: env() });
  assert.match(again.stdout, /^Up to date: /m);
  assert.not.ok(readdirSync(join(home, 'rootfs')).some((n) => n.startsWith('.')), 'no temporary directories left');
});

for (const [tag, kind] of [['oci', 'OCI'], ['v2', 'Docker v2']]) {
  test(`a multi-layer ${kind} image made by umoci: deleted files absent, opaque dir with only upper entries, hard links, modes`, async () => {
    const m = await fetch(`http://${registry.host}/v2/test/layers/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
    assert.is(m.headers.get('content-type'), tag === 'oci' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json');
    const ws = project(`${registry.host}/test/layers:${tag}`);
    const r = await coop(['run', '--', 'sh', '-c', 'ls /etc/gone 2>/dev/null || echo gone; ls -A /opq; stat -c %i /data/orig /data/alias; stat -c %a /data/orig /usr/bin/setuid-tool'], { cwd: ws, env: env() });
    assert.is(r.code, 0, r.stderr);
    const [gone, opqList, ino1, ino2, mode1, mode2] = r.stdout.trim().split('\n');
    assert.is(gone, 'gone');
    assert.is(opqList, 'new');
    assert.is(ino1, ino2);
    assert.is(mode1, '640');
    assert.is(mode2, '4755');
  });
}

test('a registry with htpasswd basic auth: refused without credentials, built with them', async () => {
  const ws = project(`${basicRegistry.host}/test/layers:oci`);
  const anonymous = await coop(['build'], { cwd: ws, env: env({ DOCKER_CONFIG: tmp('coop-docker-') }) });
  assert.is(anonymous.code, 1);
  assert.match(anonymous.stderr, /^coop: 127\.0\.0\.1:\d+ requires a login; add credentials to ~\/\.docker\/config\.json\n$/);
  const wrongDir = tmp('coop-docker-');
  writeFileSync(join(wrongDir, 'config.json'), JSON.stringify({ auths: { [basicRegistry.host]: { username: 'bob', password: 'wrong' } } }));
  const wrong = await coop(['build'], { cwd: ws, env: env({ DOCKER_CONFIG: wrongDir }) });
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, /^coop: .*authentication required or refused .*; add credentials for 127\.0\.0\.1:\d+ to ~\/\.docker\/config\.json\n$/);
  const dockerDir = tmp('coop-docker-');
  writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [basicRegistry.host]: { auth: Buffer.from('bob:hunter2').toString('base64') } } }));
  const r = await coop(['run', '--', 'cat', '/opq/new'], { cwd: ws, env: env({ DOCKER_CONFIG: dockerDir }) });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'n');
});

test('a corrupted cached blob is noticed and downloaded again', async () => {
  const h = tmp('coop-home-');
  const e = { ...env(), COOP_HOME: h };
  assert.is((await coop(['build'], { cwd: project(`${registry.host}/test/busybox:latest`), env: e })).code, 0);
  const dir = join(h, 'cache', 'blobs', 'sha256');
  const victim = readdirSync(dir).map((n) => join(dir, n)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
  const bytes = readFileSync(victim);
  bytes[100] = bytes[100]! ^ 0xff;
  writeFileSync(victim, bytes);
  const r = await coop(['build'], { cwd: project(`${registry.host}/test/busybox:latest`, 'setup = ["true"]\n'), env: e });
  assert.is(r.code, 0, r.stderr);
  const hash = (await import('node:crypto')).createHash('sha256').update(readFileSync(victim)).digest('hex');
  assert.is(hash, victim.split('/').at(-1));
});

test('cached blobs are trusted while unchanged since they were verified; --verify hashes them all again', async () => {
  const h = tmp('coop-home-');
  const e = { ...env(), COOP_HOME: h };
  assert.is((await coop(['build'], { cwd: project(`${registry.host}/test/busybox:latest`), env: e })).code, 0);
  const dir = join(h, 'cache', 'blobs', 'sha256');
  const blobs = readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
  for (const b of blobs) assert.ok(existsSync(join(dir, `${b}.ok`)), `${b} has no verification record`);
  // Damage a blob and forge its record, as if the change had happened unseen: only --verify
  // (which hashes every blob) can notice; it downloads the blob again.
  const victim = blobs.map((n) => join(dir, n)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
  const bytes = readFileSync(victim);
  bytes[100] = bytes[100]! ^ 0xff;
  writeFileSync(victim, bytes);
  const st = statSync(victim, { bigint: true });
  writeFileSync(`${victim}.ok`, `${st.size} ${st.ino} ${st.ctimeNs}`);
  const r = await coop(['build', '--verify'], { cwd: project(`${registry.host}/test/busybox:latest`, 'setup = ["true"]\n'), env: e });
  assert.is(r.code, 0, r.stderr);
  const hash = (await import('node:crypto')).createHash('sha256').update(readFileSync(victim)).digest('hex');
  assert.is(hash, victim.split('/').at(-1));
});

test('a registry that dies in the middle of a pull: a clear error; the next build resumes from the cache', async () => {
  const dockerDir = tmp('coop-docker-');
  writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { username: 'alice', password: 's3cret' } } }));
  const e = { ...env({ DOCKER_CONFIG: dockerDir }), COOP_HOME: tmp('coop-home-') };
  const ws = project(`${proxy.host}/test/busybox:latest`);
  proxy.faults.dieOnBlob = 3; // the config and one layer arrive, the other layer is cut short
  const failed = await coop(['build'], { cwd: ws, env: e });
  assert.is(failed.code, 1);
  assert.match(failed.stderr, /^coop: (cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED|.*downloading sha256:.* failed .*run it again to resume)$/m);
  assert.is(failed.stderr.trim().split('\n').length, 1, failed.stderr);
  await proxy.start();
  const before = proxy.forwarded.length;
  const ok = await coop(['build'], { cwd: ws, env: e });
  assert.is(ok.code, 0, ok.stderr);
  const blobs = proxy.forwarded.slice(before).filter((u) => u.includes('/blobs/'));
  assert.ok(blobs.length < 3, `fetched again: ${blobs.join(', ')}`);
});

test('SIGKILL at any point of coop build never leaves a rootfs that a box would use', async () => {
  const h = tmp('coop-home-');
  const e = { ...env(), COOP_HOME: h };
  const ws = project(`${registry.host}/test/busybox:latest`, 'setup = ["sleep 0.2", "echo done > /etc/setup-done"]\n');
  for (const delay of [0, 30, 80, 150, 250, 400, 600, 900]) {
    const child = spawn(process.execPath, [COOP, 'build'], { cwd: ws, env: e, stdio: 'ignore' });
    const closed = new Promise((r) => child.on('close', r)); // the build may be done before the kill
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await closed;
    const r = await coop(['run', '--no-build', '--', 'cat', '/etc/setup-done'], { cwd: ws, env: e });
    assert.ok(r.code === 5 || (r.code === 0 && r.stdout === 'done\n'), `after a kill at ${delay} ms: ${r.code} ${r.stdout} ${r.stderr}`);
  }
  await new Promise((r) => setTimeout(r, 1000)); // build boxes of killed builds finish their step
  await coop(['system', 'clean'], { cwd: ws, env: e });
  assert.not.ok(readdirSync(join(h, 'rootfs')).some((n) => n.startsWith('.')), 'leftovers of killed builds are cleaned');
  const r = await coop(['run', '--', 'cat', '/etc/setup-done'], { cwd: ws, env: e });
  assert.is(r.stdout, 'done\n', r.stderr);
});

test('a changed setup is noticed: --no-build exits 5, coop run builds it', async () => {
  const ws = project(`${registry.host}/test/busybox:latest`, 'setup = ["echo v2 > /etc/version"]\n');
  const refused = await coop(['run', '--no-build', '--', 'true'], { cwd: ws, env: env() });
  assert.is(refused.code, 5);
  assert.match(refused.stderr, /not built for this configuration; run `coop build`/);
  const r = await coop(['run', '--', 'cat', '/etc/version'], { cwd: ws, env: env() });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'v2\n');
  assert.match(r.stderr, /^\[1\/1\] echo v2 > \/etc\/version$/m);
});

test('a failing setup step stops the build with its output and exit code and leaves nothing', async () => {
  const before = readdirSync(join(home, 'rootfs')).sort();
  const ws = project(`${registry.host}/test/busybox:latest`, 'setup = ["echo about to fail; exit 3", "echo never"]\n');
  const r = await coop(['build'], { cwd: ws, env: env() });
  assert.is(r.code, 1);
  assert.match(r.stdout, /about to fail/);
  assert.not.match(r.stdout, /\[2\/2\]/);
  assert.match(r.stderr, /^coop: \[1\/2\] failed with exit code 3: echo about to fail; exit 3$/m);
  assert.equal(readdirSync(join(home, 'rootfs')).sort(), before);
});

test('an index gives the host platform; an index without it says which platforms it has', async () => {
  const img = await pullRegistry(parseReference(`${registry.host}/test/busybox:multi`), { coopHome: home });
  const single = await pullRegistry(parseReference(`${registry.host}/test/busybox:latest`), { coopHome: home });
  assert.is(img.digest, single.digest);
  await pullRegistry(parseReference(`${registry.host}/test/busybox:s390x-only`), { coopHome: home }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, new RegExp(`: no linux/${hostArch()} image \\(it has linux/s390x\\)$`)),
  );
  assert.is(selectPlatform([{ mediaType: '', digest: 'sha256:x', size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }], { os: 'linux', architecture: 'arm64' }).digest, 'sha256:x');
});

test('pinned by digest; blobs verified and cached; zstd layers', async () => {
  const tagged = await pullRegistry(parseReference(`${registry.host}/test/busybox:latest`), { coopHome: home });
  const pinned = await pullRegistry(parseReference(`${registry.host}/test/busybox@${tagged.digest}`), { coopHome: home });
  assert.equal(pinned.layers.map((l) => l.digest), tagged.layers.map((l) => l.digest));
  for (const l of pinned.layers) {
    const data = readFileSync(l.path);
    assert.is(`sha256:${(await import('node:crypto')).createHash('sha256').update(data).digest('hex')}`, l.digest);
  }
  const ws = project(`${registry.host}/test/busybox:zstd`);
  const r = await coop(['run', '--', 'sh', '-c', 'echo zstd-$((1+1))'], { cwd: ws, env: env() });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'zstd-2\n');
});

test('errors: unknown tag, unknown repository, unreachable registry — one line each', async () => {
  for (const [ref, pattern] of [
    [`${registry.host}/test/busybox:nope`, /test\/busybox:nope: not found \(MANIFEST_UNKNOWN\); check the image name and tag$/m],
    [`${registry.host}/test/absent:latest`, /test\/absent:latest: not found \((NAME_UNKNOWN|MANIFEST_UNKNOWN)\)/],
    ['127.0.0.1:2/test/busybox:latest', /^coop: cannot reach http:\/\/127\.0\.0\.1:2: ECONNREFUSED$/m],
  ] as const) {
    const r = await coop(['build'], { cwd: project(ref), env: env() });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, pattern);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('bearer tokens from the challenge, with credentials from ~/.docker/config.json', async () => {
  const ws = project(`${proxy.host}/test/busybox:latest`);
  const denied = await coop(['build'], { cwd: ws, env: env({ DOCKER_CONFIG: tmp('coop-docker-') }) });
  assert.is(denied.code, 1);
  assert.match(denied.stderr, /authentication required or refused \(bad credentials\); add credentials for 127\.0\.0\.1:\d+ to ~\/\.docker\/config\.json/);
  const dockerDir = tmp('coop-docker-');
  writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }));
  const r = await coop(['build'], { cwd: ws, env: env({ DOCKER_CONFIG: dockerDir }) });
  assert.is(r.code, 0, r.stderr);
  assert.ok(proxy.forwarded.some((u) => u.includes('/manifests/latest')));
});

test('transient failures are retried; rate limits and corrupted blobs are reported, and nothing bad is cached', async () => {
  const dockerDir = tmp('coop-docker-');
  writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { username: 'alice', password: 's3cret' } } }));
  const fresh = () => tmp('coop-home-');
  const e = (h: string) => ({ ...env({ DOCKER_CONFIG: dockerDir }), COOP_HOME: h });
  proxy.faults.blob503 = 2;
  const ok = await coop(['build'], { cwd: project(`${proxy.host}/test/busybox:latest`), env: e(fresh()) });
  assert.is(ok.code, 0, ok.stderr);
  assert.is(proxy.faults.blob503, 0);
  proxy.faults.rateLimit = true;
  const limited = await coop(['build'], { cwd: project(`${proxy.host}/test/busybox:latest`), env: e(fresh()) });
  proxy.faults.rateLimit = false;
  assert.is(limited.code, 1);
  assert.match(limited.stderr, /^coop: .*test\/busybox:latest: rate limited by 127\.0\.0\.1:\d+ \(TOOMANYREQUESTS\); wait, or log in for a higher limit$/m);
  proxy.faults.corrupt = true;
  const h = fresh();
  const corrupt = await coop(['build'], { cwd: project(`${proxy.host}/test/busybox:latest`), env: e(h) });
  proxy.faults.corrupt = false;
  assert.is(corrupt.code, 1);
  assert.match(corrupt.stderr, /^coop: blob sha256:[0-9a-f]{64}: content does not match its digest \(got sha256:[0-9a-f]{64}\)$/m);
  const blobs = join(h, 'cache', 'blobs', 'sha256');
  for (const name of existsSync(blobs) ? readdirSync(blobs) : []) {
    const data = readFileSync(join(blobs, name));
    assert.is((await import('node:crypto')).createHash('sha256').update(data).digest('hex'), name, 'only verified blobs are kept');
  }
  assert.not.ok(existsSync(join(h, 'rootfs')) && readdirSync(join(h, 'rootfs')).length > 0);
});

test('system df lists builds; clean keeps the newest build of each image and any in use; prune empties the cache', async () => {
  const h = tmp('coop-home-');
  const e = { ...env(), COOP_HOME: h };
  const ws = project(`${registry.host}/test/busybox:latest`, 'setup = ["echo one > /etc/n"]\n');
  assert.is((await coop(['build'], { cwd: ws, env: e })).code, 0);
  const first = readdirSync(join(h, 'rootfs'));
  // a long-lived box on the first build
  const box = await coop(['-d', '--agent', 'sleep 1000'], { cwd: ws, env: { ...e, COOP_DAEMON_IDLE_MS: '600000' } });
  assert.is(box.code, 0, box.stderr);
  writeFileSync(join(ws, 'coop.toml'), `[sandbox]\nimage = "${registry.host}/test/busybox:latest"\nsetup = ["echo two > /etc/n"]\n`);
  assert.is((await coop(['build'], { cwd: ws, env: e })).code, 0);
  const df = await coop(['system', 'df', '--json'], { cwd: ws, env: e });
  const usage = JSON.parse(df.stdout) as { rootfs: { hash: string; inUse: boolean }[]; cacheBytes: number };
  assert.is(usage.rootfs.length, 2);
  assert.equal(usage.rootfs.filter((r) => r.inUse).map((r) => r.hash), first);
  assert.ok(usage.cacheBytes > 0);
  let r = await coop(['system', 'clean'], { cwd: ws, env: e });
  assert.match(r.stdout, /Nothing to remove/); // the old build is in use
  await coop(['kill', '--all'], { cwd: ws, env: e });
  r = await coop(['system', 'clean'], { cwd: ws, env: e });
  assert.match(r.stdout, new RegExp(`Removed rootfs/${first[0]}`));
  assert.is(readdirSync(join(h, 'rootfs')).length, 1);
  const run = await coop(['run', '--no-build', '--', 'cat', '/etc/n'], { cwd: ws, env: e });
  assert.is(run.stdout, 'two\n', run.stderr);
  r = await coop(['system', 'prune'], { cwd: ws, env: e });
  assert.match(r.stdout, /Removed cache\/blobs/);
  assert.not.ok(existsSync(join(h, 'cache', 'blobs')));
  await coop(['system', 'shutdown'], { cwd: ws, env: e });
});

test('download progress: a line per layer on a terminal, nothing when output is not a terminal', async () => {
  const ws = project(`${registry.host}/test/busybox:latest`);
  const quiet = await coop(['build'], { cwd: ws, env: { ...env(), COOP_HOME: tmp('coop-home-') } });
  assert.is(quiet.code, 0, quiet.stderr);
  assert.not.match(quiet.stderr, /[0-9a-f]{12}  |\x1b\[/, quiet.stderr);
  const t = new Tmux({ cols: 100, rows: 20, cwd: ws, env: { COOP_HOME: tmp('coop-home-'), PS1: '$ ' } });
  try {
    t.type(`${process.execPath} ${COOP} build; echo BUILD-EXIT-$?`);
    const screen = await t.waitFor(/BUILD-EXIT-\d+/);
    assert.match(screen, /BUILD-EXIT-0/, screen);
    const lines = screen.split('\n').filter((l) => /^  [0-9a-f]{12}  (done|cached)\s*$/.test(l));
    assert.is(lines.length, 2, screen); // two layers
  } finally {
    t.kill();
  }
});

test('plain http only for loopback registries or with --insecure-registry', () => {
  assert.is(new Registry('registry.example.com:5000', 'a/b', { credentials: null }).base, 'https://registry.example.com:5000');
  assert.is(new Registry('docker.io', 'library/debian', { credentials: null }).base, 'https://registry-1.docker.io');
  assert.is(new Registry('localhost:5000', 'a/b', { credentials: null }).base, 'http://localhost:5000');
  assert.is(new Registry('registry.lan:5000', 'a/b', { credentials: null, insecure: ['registry.lan:5000'] }).base, 'http://registry.lan:5000');
});

test('local sources: oci:DIR:TAG, oci-archive:FILE, docker-archive:FILE', async () => {
  const archive = join(tmp(), 'image.tar');
  execFileSync('tar', ['-C', layout.dir, '-cf', archive, '.']);
  const dockerArchive = join(tmp(), 'docker.tar');
  execFileSync('skopeo', ['copy', '--insecure-policy', '--quiet', `oci:${layout.dir}:latest`, `docker-archive:${dockerArchive}:test/busybox:latest`], { env: { ...process.env, HOME: tmp() } });
  const ociArchiveLayout = new Layout();
  ociArchiveLayout.tag('latest', ociArchiveLayout.image([busyboxLayer(), [{ name: 'etc/image-note', data: 'from an archive\n' }]], { arch: hostArch() }));
  const single = join(tmp(), 'single.tar');
  execFileSync('tar', ['-C', ociArchiveLayout.dir, '-cf', single, '.']);
  for (const [image, note] of [[`oci:${layout.dir}:latest`, 'from the registry'], [`oci-archive:${single}`, 'from an archive'], [`docker-archive:${dockerArchive}`, 'from the registry']] as const) {
    const r = await coop(['run', '--', 'cat', '/etc/image-note'], { cwd: project(image), env: env() });
    assert.is(r.code, 0, `${image}: ${r.stderr}`);
    assert.is(r.stdout, `${note}\n`, image);
  }
  assert.ok(existsSync(archive));
});

test('an image whose /etc links to a host directory: the build writes nothing there', async () => {
  const victim = tmp('coop-victim-');
  const bad = new Layout();
  bad.tag('latest', bad.image([busyboxLayer(), [{ name: 'etc', type: 'symlink', linkname: victim }]], { arch: hostArch() }));
  const ws = project(`oci:${bad.dir}:latest`, 'setup = ["true"]\n');
  const before = statSync(victim).mtimeMs;
  const r = await coop(['build'], { cwd: ws, env: env() });
  assert.is(r.code, 0, r.stderr);
  assert.equal(readdirSync(victim), []);
  assert.is(statSync(victim).mtimeMs, before, 'nothing was even written there for a while');
});

test('file owners survive unpacking when there is a range to map them to; otherwise one warning', async () => {
  const owned = new Layout();
  owned.tag('latest', owned.image([busyboxLayer(), [{ name: 'home/dev/', type: 'dir', uid: 1000, gid: 1000 }, { name: 'home/dev/file', data: 'x', uid: 1000, gid: 1000, mode: 0o600 }]], { arch: hostArch() }));
  const r = await coop(['run', '--', 'stat', '-c', '%u:%g %a', '/home/dev/file'], { cwd: project(`oci:${owned.dir}:latest`), env: env() });
  assert.is(r.code, 0, r.stderr);
  if (canMapRange()) {
    assert.is(r.stdout, '1000:1000 600\n');
    assert.not.match(r.stderr, /warning/);
  } else {
    assert.is(r.stdout, '0:0 600\n');
    assert.is(r.stderr.match(/coop: warning: no subordinate id range/g)?.length, 1, r.stderr);
  }
});

test.run();
