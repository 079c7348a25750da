// Layer unpacking (SPEC §3): OCI whiteouts and opaque directories, hard links across layers,
// modes and times, compression, and tars built to escape the target — which must not.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CoopError } from '../../lib/errors.js';
import { Unpacker, unpackLayers } from '../../lib/image/unpack.js';
import { makeTar, type TarSpec } from '../helpers/tar.js';
import { tmp } from '../helpers/tmp.js';

const layer = (entries: TarSpec[]) => () => Readable.from([makeTar(entries)]);

/** A root inside a parent that also holds an "outside" directory with a canary. */
function target(): { root: string; outside: string } {
  const top = tmp('coop-unpack-');
  const root = join(top, 'root');
  const outside = join(top, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'canary'), 'untouched');
  return { root, outside };
}

const untouched = (outside: string) => {
  assert.equal(readdirSync(outside), ['canary']);
  assert.is(readFileSync(join(outside, 'canary'), 'utf8'), 'untouched');
};

test('files, directories, symlinks, modes and mtimes', async () => {
  const { root } = target();
  const stats = await unpackLayers([layer([
    { name: 'etc/', type: 'dir', mode: 0o755, mtime: 1_600_000_000 },
    { name: 'etc/hostname', data: 'box\n', mode: 0o640, mtime: 1_650_000_000 },
    { name: 'bin/tool', data: '#!/bin/sh\n', mode: 0o4755 },
    { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
    { name: 'ro/', type: 'dir', mode: 0o555 },
    { name: 'ro/inside', data: 'x' },
  ])], root);
  assert.is(readFileSync(join(root, 'etc/hostname'), 'utf8'), 'box\n');
  assert.is(statSync(join(root, 'etc/hostname')).mode & 0o7777, 0o640);
  assert.is(statSync(join(root, 'etc/hostname')).mtimeMs, 1_650_000_000_000);
  assert.is(statSync(join(root, 'etc')).mtimeMs, 1_600_000_000_000);
  assert.is(statSync(join(root, 'bin/tool')).mode & 0o7777, 0o4755);
  assert.is(readlinkSync(join(root, 'bin/alias')), 'tool');
  assert.is(statSync(join(root, 'ro')).mode & 0o777, 0o555);
  assert.is(stats.entries, 6);
});

test('whiteouts delete lower paths; an opaque marker hides lower contents wherever it sits in the tar', async () => {
  const { root } = target();
  await unpackLayers([
    layer([
      { name: 'a/old', data: '1' }, { name: 'a/sub/deep', data: '2' }, { name: 'b/keep', data: '3' },
      { name: 'c/gone', data: '4' }, { name: 'd/old', data: '5' },
    ]),
    layer([
      { name: 'a/.wh..wh..opq' }, { name: 'a/new', data: 'n' }, // marker first
      { name: 'd/sub/new', data: 'm' }, { name: 'd/.wh..wh..opq' }, // marker after the dir's new entries
      { name: 'c/.wh.gone' },
    ]),
  ], root);
  assert.equal(readdirSync(join(root, 'a')), ['new']);
  assert.equal(readdirSync(join(root, 'd')), ['sub']);
  assert.equal(readdirSync(join(root, 'd/sub')), ['new']);
  assert.equal(readdirSync(join(root, 'c')), []);
  assert.equal(readdirSync(join(root, 'b')), ['keep']);
  assert.not.ok(existsSync(join(root, 'a/.wh..wh..opq')));
});

test('hard links, also to a file of an earlier layer', async () => {
  const { root } = target();
  await unpackLayers([layer([{ name: 'usr/bin/perl', data: 'perl' }]), layer([{ name: 'usr/bin/perl5', type: 'hardlink', linkname: 'usr/bin/perl' }, { name: 'x', data: 'x' }, { name: 'y', type: 'hardlink', linkname: './x' }])], root);
  assert.is(statSync(join(root, 'usr/bin/perl5')).ino, statSync(join(root, 'usr/bin/perl')).ino);
  assert.is(statSync(join(root, 'y')).ino, statSync(join(root, 'x')).ino);
});

test('absolute names and .. stay inside the root', async () => {
  const { root, outside } = target();
  await unpackLayers([layer([{ name: '/abs', data: 'a' }, { name: '../outside/evil', data: 'e' }, { name: 'x/../../../outside/evil2', data: 'e' }])], root);
  untouched(outside);
  assert.ok(existsSync(join(root, 'abs')));
  assert.ok(existsSync(join(root, 'outside/evil')));
  assert.ok(existsSync(join(root, 'outside/evil2')));
});

test('symlinked parents are resolved inside the root, never outside', async () => {
  const { root, outside } = target();
  await unpackLayers([
    layer([{ name: 'up', type: 'symlink', linkname: '../outside' }, { name: 'abs', type: 'symlink', linkname: outside }, { name: 'loop', type: 'symlink', linkname: 'loop' }]),
    layer([{ name: 'up/evil', data: 'e' }, { name: 'abs/evil', data: 'e' }]),
  ], root);
  untouched(outside);
  assert.ok(existsSync(join(root, 'evil')) || existsSync(join(root, outside.slice(1), 'evil')));
  await unpackLayers([layer([{ name: 'loop/x', data: 'x' }])], root).then(
    () => assert.unreachable('a symlink loop must fail'),
    (e: Error) => assert.match(e.message, /too many symbolic links/),
  );
  untouched(outside);
});

test('whiteouts cannot reach outside the root', async () => {
  const { root, outside } = target();
  await unpackLayers([layer([{ name: 'keep', data: 'k' }]), layer([{ name: '../.wh.outside' }, { name: '../../.wh.canary' }])], root);
  untouched(outside);
  for (const evil of ['.wh...', 'sub/.wh..', '.wh.']) {
    await unpackLayers([layer([{ name: evil }])], root).then(
      () => assert.unreachable(`${evil} must be refused`),
      (e: Error) => assert.match(e.message, /^malformed layer: whiteout ".*" names no file$/),
    );
    untouched(outside);
    assert.ok(existsSync(join(root, 'keep')));
  }
});

test('a symlink in the way of a file is replaced, not followed; links out of the root find nothing', async () => {
  const { root, outside } = target();
  await unpackLayers([layer([{ name: 'f', type: 'symlink', linkname: join(outside, 'canary') }]), layer([{ name: 'f', data: 'mine' }])], root);
  untouched(outside);
  assert.ok(lstatSync(join(root, 'f')).isFile());
  await unpackLayers([layer([{ name: 'h', type: 'hardlink', linkname: '../outside/canary' }])], root).then(
    () => assert.unreachable('a hard link out of the root must fail'),
    (e: Error) => {
      assert.instance(e, CoopError);
      assert.match(e.message, /^hard link h -> \.\.\/outside\/canary: no such file in the image$/);
    },
  );
  untouched(outside);
});

test('a read-only directory of a lower layer still receives an upper layer\'s files', async () => {
  const { root } = target();
  await unpackLayers([layer([{ name: 'ro/', type: 'dir', mode: 0o555 }, { name: 'ro/a', data: 'a' }]), layer([{ name: 'ro/b', data: 'b' }, { name: 'ro/.wh.a' }])], root);
  assert.equal(readdirSync(join(root, 'ro')), ['b']);
  assert.is(statSync(join(root, 'ro')).mode & 0o777, 0o555);
});

test('device nodes and fifos are skipped and counted', async () => {
  const { root } = target();
  const stats = await unpackLayers([layer([{ name: 'dev/null', type: 'char' }, { name: 'p', type: 'fifo' }, { name: 'ok', data: '1' }])], root);
  assert.is(stats.skipped, 2);
  assert.not.ok(existsSync(join(root, 'dev/null')));
  assert.ok(existsSync(join(root, 'ok')));
});

test('gzip, zstd and plain layers; long names', async () => {
  const { root } = target();
  const long = `${'d'.repeat(90)}/${'f'.repeat(90)}`;
  const tar = makeTar([{ name: long, data: 'long' }]);
  const zst = execFileSync('zstd', ['-q', '-c'], { input: makeTar([{ name: 'z', data: 'zstd' }]) });
  await unpackLayers([() => Readable.from([gzipSync(tar)]), () => Readable.from([zst])], root);
  assert.is(readFileSync(join(root, long), 'utf8'), 'long');
  assert.is(readFileSync(join(root, 'z'), 'utf8'), 'zstd');
});

test('malformed archives fail with one line', async () => {
  const { root } = target();
  const bad = makeTar([{ name: 'a', data: 'x' }]);
  bad[0] = 0x41; // breaks the checksum
  const u = new Unpacker(root);
  await u.applyLayer(Readable.from([bad])).then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'malformed tar: header checksum mismatch'));
  const truncated = makeTar([{ name: 'big', data: 'y'.repeat(5000) }], { end: false }).subarray(0, 2000);
  await new Unpacker(root).applyLayer(Readable.from([truncated])).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /^truncated tar archive/));
});

test.run();
