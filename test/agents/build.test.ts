// `coop build` caches each step as a layer keyed by the image and the steps before it:
// changing step 2 of 3 re-runs steps 2 and 3 only (timed against the full build).
// `[sandbox] ca_certs` reaches the build steps and the boxes.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coop } from '../helpers/cli.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { tmp } from '../helpers/tmp.js';

/** A docker-archive (`docker save` format) of the busybox rootfs, in dir. */
function busyboxArchive(into: string): string {
  const dir = tmp('coop-archive-');
  execFileSync('tar', ['-C', busyboxRootfs(), '--owner=0', '--group=0', '--numeric-owner', '-cf', join(dir, 'layer.tar'), '.']);
  const diff = execFileSync('sha256sum', [join(dir, 'layer.tar')], { encoding: 'utf8' }).split(' ')[0];
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`] } }));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['busybox:test'], Layers: ['layer.tar'] }]));
  const file = join(into, 'busybox.tar');
  execFileSync('tar', ['-C', dir, '-cf', file, 'manifest.json', 'config.json', 'layer.tar']);
  return file;
}

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');
const env = { PATH: process.env.PATH, HOME: process.env.HOME, COOP_HOME: home };
// Both in the workspace: a project file that points outside it needs `coop trust`.
const ca = join(ws, 'proxy-ca.pem');
writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nTEST-PROXY-CA\n-----END CERTIFICATE-----\n');
busyboxArchive(ws);

function project(step2: string): void {
  writeFileSync(join(ws, 'coop.toml'), [
    '[sandbox]', 'image = "docker-archive:./busybox.tar"', 'ca_certs = "./proxy-ca.pem"', 'setup = [',
    '  "sleep 2; echo one > /etc/step1; echo STEP-ONE-RAN",',
    `  "echo ${step2} > /etc/step2; echo STEP-TWO-RAN",`,
    '  "cat /etc/step1 /etc/step2 > /etc/all; grep -c TEST-PROXY-CA $SSL_CERT_FILE $NODE_EXTRA_CA_CERTS; echo STEP-THREE-RAN",',
    ']', '',
  ].join('\n'));
}

async function build(): Promise<{ out: string; ms: number }> {
  const start = Date.now();
  const r = await coop(['build'], { cwd: ws, env });
  assert.is(r.code, 0, r.stderr + r.stdout);
  return { out: r.stdout, ms: Date.now() - start };
}

test('changing step 2 of 3 re-runs steps 2 and 3; step 1 comes from the cache', async () => {
  project('two');
  const full = await build();
  const ran = (out: string, step: string) => new RegExp(`^STEP-${step}-RAN$`, 'm').test(out); // its output, not its header
  for (const s of ['ONE', 'TWO', 'THREE']) assert.ok(ran(full.out, s), full.out);
  assert.match(full.out, /:1\n[^]*:1\n/); // the CA bundle, through both variables
  project('TWO');
  const again = await build();
  assert.match(again.out, /^\[1\/3\] cached: sleep 2;/m);
  assert.equal(['ONE', 'TWO', 'THREE'].map((s) => ran(again.out, s)), [false, true, true], again.out);
  console.log(`  full build ${full.ms} ms; after changing step 2: ${again.ms} ms`);
  assert.ok(again.ms < full.ms, `the rebuild (${again.ms} ms) took as long as the full build (${full.ms} ms)`);
  const r = await coop(['run', '--', 'sh', '-c', 'cat /etc/all; grep -c TEST-PROXY-CA "$SSL_CERT_FILE"'], { cwd: ws, env });
  assert.equal([r.stdout, r.code], ['one\nTWO\n1\n', 0], r.stderr);
});

test('--no-cache runs every step again', async () => {
  const r = await coop(['build', '--no-cache'], { cwd: ws, env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^STEP-ONE-RAN$[^]*^STEP-TWO-RAN$[^]*^STEP-THREE-RAN$/m);
});

test('system prune removes the cached steps', async () => {
  const r = await coop(['system', 'prune'], { cwd: ws, env });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /steps\//);
});

test.run();
