// network.allow decided without a box: names, wildcards, addresses and ranges, and the
// addresses a name may not resolve to unless listed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localKind } from '../../lib/network/addresses.js';
import { Allowlist } from '../../lib/network/allow.js';

const list = new Allowlist(['registry.npmjs.org', '*.anthropic.com', 'GitHub.com.', '10.1.2.3', '192.168.0.0/16', 'fd00::/8']);

test('names: exact, or below a "*." entry; case and a final dot do not matter', () => {
  assert.is(list.nameEntry('registry.npmjs.org'), 'registry.npmjs.org');
  assert.is(list.nameEntry('REGISTRY.npmjs.org.'), 'registry.npmjs.org');
  assert.is(list.nameEntry('api.anthropic.com'), '*.anthropic.com');
  assert.is(list.nameEntry('a.b.anthropic.com'), '*.anthropic.com');
  assert.is(list.nameEntry('github.com'), 'github.com');
  for (const no of ['anthropic.com', 'evilanthropic.com', 'npmjs.org', 'registry.npmjs.org.evil.com', 'api.github.com']) {
    assert.is(list.nameEntry(no), null, no);
  }
});

test('addresses: listed ones and ranges', () => {
  assert.ok(list.listsAddress('10.1.2.3'));
  assert.not.ok(list.listsAddress('10.1.2.4'));
  assert.ok(list.listsAddress('192.168.44.5'));
  assert.ok(list.listsAddress('::ffff:192.168.1.1'));
  assert.ok(list.listsAddress('fd12::1'));
  assert.not.ok(list.listsAddress('fe80::1'));
});

test('loopback, private, link-local and this machine\'s own addresses are local', () => {
  const own = new Set(['198.51.100.7']);
  const kinds: [string, string | null][] = [
    ['127.0.0.1', 'a loopback address'], ['127.9.9.9', 'a loopback address'], ['::1', 'a loopback address'],
    ['::ffff:127.0.0.1', 'a loopback address'], ['10.0.0.8', 'a private address'], ['172.31.255.1', 'a private address'],
    ['192.168.1.1', 'a private address'], ['169.254.169.254', 'a link-local address'], ['fe80::1', 'a link-local address'],
    ['fc00::5', 'a private (unique local) address'], ['0.0.0.0', 'an unspecified address'], ['::', 'an unspecified address'],
    ['64:ff9b::7f00:1', 'a loopback address'], ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['198.51.100.7', "one of this machine's addresses"], ['::ffff:198.51.100.7', "one of this machine's addresses"],
    ['93.184.216.34', null], ['2606:4700::1111', null], ['172.32.0.1', null],
  ];
  for (const [a, kind] of kinds) assert.is(localKind(a, own), kind, a);
});

test('a local address passes only when listed', () => {
  const own = new Set<string>();
  assert.is(list.refuseAddress('127.0.0.1', own), '127.0.0.1 is a loopback address');
  assert.is(list.refuseAddress('10.1.2.3', own), null);
  assert.is(list.refuseAddress('10.1.2.4', own), '10.1.2.4 is a private address');
  assert.is(list.refuseAddress('192.168.3.3', own), null);
  assert.is(list.refuseAddress('93.184.216.34', own), null);
});

test.run();
