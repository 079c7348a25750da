// Which keys of a project file reach outside the box (and so need `coop trust`), and
// which do not: host mounts by canonical path, volumes, [env] references, local images,
// workspace.mount.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layerFromText } from '../../lib/config/layer.js';
import { formatWidening, isInside, wideningKeys } from '../../lib/config/widen.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-fake-home-');
const outside = tmp('coop-outside-');

/** A project directory with a coop.toml holding text; what it widens, as message items. */
function widened(text: string, prepare?: (ws: string) => void): string[] {
  const ws = tmp('coop-ws-');
  prepare?.(ws);
  const file = join(ws, 'coop.toml');
  writeFileSync(file, text);
  return wideningKeys(layerFromText(text, file, home), ws, home).map(formatWidening);
}

test('keys that stay inside the box need no trust', () => {
  const text = [
    '[sandbox]',
    'image = "debian:bookworm"',
    'agent = "claude --model x"',
    'args = ["--yes"]',
    'setup = ["apt-get install -y git"]',
    'packages = { apt = ["git"], npm = ["x"] }',
    'mounts = ["./data:/data", "./sub/dir:/d:ro", ".:/again", "./..odd:/odd"]',
    '[workspace]',
    'mount = "./src"',
    'path = "/w"',
    '[env]',
    'EDITOR = "vim"',
    'PRICE = "$$5 and $$HOME"',
    'N = 3',
    '[network]',
    'mode = "none"',
    '[session]',
    'persist = [".claude"]',
    '[input_filter]',
    "block_sequences = ['\\x03']",
  ].join('\n');
  assert.equal(widened(text), []);
  assert.equal(widened('[sandbox]\nimage = "host"\n'), []);
  for (const img of ['dir:./rootfs', 'oci:./layout:v1', 'oci-archive:img.tar', 'docker-archive:./x/d.tar']) {
    assert.equal(widened(`[sandbox]\nimage = "${img}"\n`), [], img);
  }
});

test('host mounts outside the workspace, by canonical path; volumes always', () => {
  let ws = '';
  const got = widened('[sandbox]\nmounts = [\n  "~:/h",\n  "cache:/c",\n  "../x:/x:ro",\n]\n', (dir) => (ws = dir));
  assert.equal(got, [
    `sandbox.mounts (line 2) mounts ${home} at /h, outside the workspace`,
    'sandbox.mounts (line 2) uses the named volume "cache" (kept on the host, shared by boxes)',
    `sandbox.mounts (line 2) mounts ${join(ws, '..', 'x')} at /x, outside the workspace`,
  ]);
  assert.equal(widened(`[sandbox]\nmounts = ["${outside}/.ssh:~/.ssh:ro"]\n`), [`sandbox.mounts (line 2) mounts ${outside}/.ssh at ~/.ssh, outside the workspace`]);
  // a symlink in the workspace that leads out is outside; one that stays in is inside
  const linked = widened('[sandbox]\nmounts = ["./link/deeper:/l", "./inner:/i"]\n', (dir) => {
    ws = dir;
    symlinkSync(outside, join(dir, 'link'));
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'inner'));
  });
  assert.equal(linked, [`sandbox.mounts (line 2) mounts ${ws}/link/deeper (= ${outside}/deeper) at /l, outside the workspace`]);
});

test('[env] values that read the caller environment, named once each', () => {
  assert.equal(widened('[env]\nA = "$GITHUB_TOKEN"\nB = "x-${AWS_SECRET}-$AWS_SECRET-$$LIT"\nC = "plain"\n'), [
    'env.A (line 2) expands $GITHUB_TOKEN from your environment',
    'env.B (line 3) expands $AWS_SECRET from your environment',
  ]);
});

test('local images outside the workspace; workspace.mount outside the file\'s directory', () => {
  assert.equal(widened(`[sandbox]\nimage = "dir:${outside}/rootfs"\n`), [`sandbox.image (line 2) reads dir:${outside}/rootfs, outside the workspace`]);
  assert.equal(widened(`[sandbox]\nimage = "oci:${outside}/layout:v1"\n`), [`sandbox.image (line 2) reads oci:${outside}/layout, outside the workspace`]);
  assert.equal(widened(`[sandbox]\nimage = "oci-archive:/srv/i.tar"\n`), ['sandbox.image (line 2) reads oci-archive:/srv/i.tar, outside the workspace']);
  assert.equal(widened(`[sandbox]\nimage = "docker-archive:${home}/d.tar"\n`), [`sandbox.image (line 2) reads docker-archive:${home}/d.tar, outside the workspace`]);
  assert.equal(widened('\n[workspace]\nmount = "~/"\n'), [`workspace.mount (line 3) is ${home}, outside the directory of this file`]);
  assert.equal(widened('[workspace]\nmount = "/"\n'), ['workspace.mount (line 2) is /, outside the directory of this file']);
});

test('sandbox.seccomp = "off" needs trust; "default" does not', () => {
  // A layer as layerFromText makes it (the key comes with the sandbox limits).
  const layer = (seccomp: string) => ({ source: join(outside, 'coop.toml'), values: { sandbox: { seccomp } }, env: {}, lines: new Map([['sandbox.seccomp', 4]]) });
  assert.equal(wideningKeys(layer('off'), outside, home).map(formatWidening), ["sandbox.seccomp (line 4) turns off coop's system-call filter"]);
  assert.equal(wideningKeys(layer('default'), outside, home), []);
});

test('items come in the order of the file', () => {
  const keys = widened('[env]\nT = "$T"\n[workspace]\nmount = ".."\n[sandbox]\nmounts = ["v:/v"]\n').map((s) => s.split(' ')[0]);
  assert.equal(keys, ['env.T', 'workspace.mount', 'sandbox.mounts']);
});

test('isInside: the directory itself and below; not a sibling with the same prefix', () => {
  const ws = tmp('coop-ws-');
  assert.ok(isInside(ws, ws));
  assert.ok(isInside(join(ws, 'a/../b'), ws));
  assert.ok(isInside(join(ws, 'not-yet/created'), ws));
  assert.not.ok(isInside(`${ws}-sibling`, ws));
  assert.not.ok(isInside(join(ws, '..'), ws));
  assert.not.ok(isInside('/', ws));
});

test.run();
