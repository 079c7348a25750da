// Image references (SPEC §3): Docker Hub defaults, registries with ports, tags, digests,
// and the one-line errors for names that cannot be.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatReference, parseReference } from '../../lib/image/reference.js';
import { parseImageSource } from '../../lib/image/source.js';

const D = `sha256:${'a'.repeat(64)}`;

test('Docker Hub defaults: docker.io, library/, latest', () => {
  assert.equal(parseReference('debian'), { registry: 'docker.io', repository: 'library/debian', tag: 'latest', digest: null });
  assert.equal(parseReference('debian:bookworm').tag, 'bookworm');
  assert.equal(parseReference('bitnami/redis').repository, 'bitnami/redis');
  assert.is(parseReference('index.docker.io/library/node:22').registry, 'docker.io');
  assert.is(formatReference(parseReference('node:22-alpine')), 'docker.io/library/node:22-alpine');
});

test('other registries, ports, nested repositories, digests', () => {
  assert.equal(parseReference('ghcr.io/owner/tools/img:v1.2'), { registry: 'ghcr.io', repository: 'owner/tools/img', tag: 'v1.2', digest: null });
  assert.equal(parseReference('localhost:5000/x'), { registry: 'localhost:5000', repository: 'x', tag: 'latest', digest: null });
  assert.equal(parseReference(`127.0.0.1:5000/a/b@${D}`), { registry: '127.0.0.1:5000', repository: 'a/b', tag: null, digest: D });
  assert.equal(parseReference(`debian:12@${D}`), { registry: 'docker.io', repository: 'library/debian', tag: '12', digest: D });
});

test('bad references say what is wrong', () => {
  assert.throws(() => parseReference('Debian'), /bad image reference "Debian": repository names are lowercase/);
  assert.throws(() => parseReference('debian@sha256:xyz'), /a digest must be sha256: followed by 64 lowercase hex digits/);
  assert.throws(() => parseReference('debian:bad/tag:x'), /bad image reference/);
  assert.throws(() => parseReference('deb ian'), /empty or contains spaces/);
});

test('image sources: host, local paths resolved against the project, registry references', () => {
  assert.equal(parseImageSource('host'), { kind: 'host' });
  assert.equal(parseImageSource('dir:./root', '/p'), { kind: 'dir', path: '/p/root' });
  assert.equal(parseImageSource('oci-archive:img.tar', '/p'), { kind: 'oci-archive', path: '/p/img.tar' });
  assert.equal(parseImageSource('docker-archive:/x/d.tar', '/p'), { kind: 'docker-archive', path: '/x/d.tar' });
  assert.equal(parseImageSource('oci:/x/layout:v1'), { kind: 'oci', path: '/x/layout', tag: 'v1' });
  assert.equal(parseImageSource('oci:./l', '/p'), { kind: 'oci', path: '/p/l', tag: null });
  assert.is(parseImageSource('debian:bookworm').kind, 'registry');
});

test.run();
