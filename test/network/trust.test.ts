// [network] entries of a project file that reach this machine or beyond it need `coop
// trust` (lib/config/widen.ts); the rest do not.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { layerFromText } from '../../lib/config/layer.js';
import { formatWidening, wideningKeys } from '../../lib/config/widen.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-fake-home-');
function widened(text: string): string[] {
  const ws = tmp('coop-ws-');
  const file = join(ws, 'coop.toml');
  writeFileSync(file, text);
  return wideningKeys(layerFromText(text, file, home), ws, home).map(formatWidening);
}

test('private mode, loopback ports, names and public addresses stay inside', () => {
  const text = '[network]\nmode = "private"\nports = ["8080:3000", "127.0.0.1:8081:3001"]\nallow = ["registry.npmjs.org", "*.github.com", "93.184.216.34", "2606:4700::/32"]\nhosts = ["api.test=127.0.0.1"]\ndns = ["9.9.9.9"]\n';
  assert.equal(widened(text), []);
});

test('ports beyond loopback, local addresses in the allowlist, a local DNS server need trust', () => {
  const text = '[network]\nports = ["0.0.0.0:8080:3000"]\nallow = ["127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "ok.example"]\ndns = ["127.0.0.1:5353"]\n';
  assert.equal(widened(text), [
    "network.ports (line 2) publishes box port 3000 on 0.0.0.0:8080, beyond this machine's loopback",
    `network.allow (line 3) lets the box reach "127.0.0.1" (a loopback address) through coop's proxy`,
    `network.allow (line 3) lets the box reach "10.0.0.0/8" (a private address) through coop's proxy`,
    `network.allow (line 3) lets the box reach "0.0.0.0/0" (every address, this machine's included) through coop's proxy`,
    "network.dns (line 4) sends the box's DNS queries to 127.0.0.1:5353 (a loopback address)",
  ]);
});

test.run();
