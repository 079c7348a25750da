// bench/image-build: `coop build` of a small image (busybox, ~1 MB of gzip) from a registry on
// loopback, end to end through the CLI, against skopeo copy + umoci unpack of the same image;
// cold (a fresh COOP_HOME each run) and again on an image already built (`coop build` says
// "Up to date"; the peer: skopeo inspect). Interleaved runs.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { busyboxRootfs } from '../test/helpers/busybox.js';
import { hostArch, Layout, TestRegistry } from '../test/helpers/registry.js';
import { tmp } from '../test/helpers/tmp.js';
import { trustEnv, trustProject } from '../test/helpers/trust.js';
import { coop, runMain } from './harness.js';
import { compare, report } from './stats.js';

async function main(): Promise<void> {
  const registry = await new TestRegistry().start();
  const layout = new Layout();
  const layer = gzipSync(execFileSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-C', busyboxRootfs(), '-c', '.'], { maxBuffer: 1 << 30 }));
  layout.tag('latest', layout.image([{ data: layer, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }], { arch: hostArch() }));
  registry.push(layout, 'latest', 'bench/small:latest');
  const ref = `${registry.host}/bench/small:latest`;
  const ws = tmp('coop-bench-ws-');
  writeFileSync(join(ws, 'coop.toml'), `[sandbox]\nimage = "${ref}"\n`);
  trustProject(ws);
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, ...trustEnv };
  const coopBuild = (home: string) => execFileSync(process.execPath, [coop, 'build', '-q'], { cwd: ws, env: { ...env, COOP_HOME: home }, stdio: 'ignore' });
  const skopeo = (dir: string) => execFileSync('skopeo', ['copy', '--insecure-policy', '--src-tls-verify=false', '--quiet', `docker://${ref}`, `oci:${dir}/oci:latest`], { env: { ...env, HOME: dir } });
  const runs = Number(process.env.BENCH_RUNS ?? 10);

  const cold = await compare({
    'coop build (cold)': async () => {
      const home = tmp('coop-bench-home-');
      coopBuild(home);
      rmSync(home, { recursive: true, force: true });
    },
    'skopeo copy + umoci unpack': async () => {
      const dir = tmp('coop-bench-umoci-');
      skopeo(dir);
      execFileSync('umoci', ['unpack', '--rootless', '--image', `${dir}/oci:latest`, `${dir}/bundle`], { stdio: ['ignore', 'ignore', 'inherit'] });
      rmSync(dir, { recursive: true, force: true });
    },
  }, runs, 1);
  report(`image-build: ${(layer.length / 1e6).toFixed(1)} MB busybox image from a registry on loopback, \`coop build\` (CLI, cold)`, cold, 'coop build (cold)', 'skopeo copy + umoci unpack', '<= 1.0');

  const home = tmp('coop-bench-home-');
  coopBuild(home);
  const warm = await compare({
    'coop build (built already)': async () => coopBuild(home),
    'skopeo inspect': async () => execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], { env: { ...env, HOME: home }, stdio: 'ignore' }),
  }, runs, 1);
  report('image-build: the same image again, already built', warm, 'coop build (built already)', 'skopeo inspect', '—');
  registry.stop();
}

runMain(main);
