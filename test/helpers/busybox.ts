// A tiny root filesystem: the static busybox from Debian's busybox-static, with a
// symlink per applet. Built once per test process.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from './tmp.js';

let cached: string | null = null;

export function busyboxRootfs(): string {
  if (cached) return cached;
  const root = join(tmp('coop-busybox-'), 'rootfs');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'root', 'home', 'proc', 'sys', 'dev', 'var/lib']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  const applets = execFileSync('/bin/busybox', ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const path of applets) {
    if (path === 'bin/busybox') continue;
    try {
      symlinkSync('/bin/busybox', join(root, path));
    } catch {
      // duplicate applet path
    }
  }
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'etc/marker'), 'rootfs original\n');
  mkdirSync(join(root, 'var/lib/data'), { recursive: true });
  writeFileSync(join(root, 'var/lib/data/keep'), 'keep me\n');
  cached = root;
  return root;
}
