// bench/image-pull: pulling and unpacking an image from a registry on loopback — coop's
// own client and unpacker (library: pullRegistry + unpackLayers) against skopeo copy +
// umoci unpack, the same image, cold caches, interleaved runs.
import { execFileSync } from 'node:child_process';
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pullRegistry } from '../lib/image/pull.js';
import { parseReference } from '../lib/image/reference.js';
import { unpackLayers } from '../lib/image/unpack.js';
import { busyboxRootfs } from '../test/helpers/busybox.js';
import { hostArch, Layout, TestRegistry } from '../test/helpers/registry.js';
import { tmp } from '../test/helpers/tmp.js';
import { runMain } from './harness.js';
import { compare, report } from './stats.js';

const layer = (args: string[]) => ({
  data: gzipSync(execFileSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-c', ...args], { maxBuffer: 1 << 30 })),
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
});

async function main(): Promise<void> {
  const registry = await new TestRegistry().start();
  const layout = new Layout();
  // ~110 MB unpacked in three layers: a busybox base, Python's library, and documentation.
  const layers = [layer(['-C', busyboxRootfs(), '.']), layer(['-C', '/', 'usr/lib/python3.11']), layer(['-C', '/', 'usr/share/doc', 'usr/share/zoneinfo'])];
  layout.tag('latest', layout.image(layers, { arch: hostArch() }));
  registry.push(layout, 'latest', 'bench/image:latest');
  const ref = `${registry.host}/bench/image:latest`;
  const size = layers.reduce((n, l) => n + l.data.length, 0);
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const samples = await compare({
    'coop (pull + unpack)': async () => {
      const home = tmp('coop-bench-home-');
      const img = await pullRegistry(parseReference(ref), { coopHome: home });
      const root = join(home, 'root');
      await unpackLayers(img.layers.map((l) => () => createReadStream(l.path)), root);
      rmSync(home, { recursive: true, force: true });
    },
    'skopeo copy + umoci unpack': async () => {
      const dir = tmp('coop-bench-umoci-');
      execFileSync('skopeo', ['copy', '--insecure-policy', '--src-tls-verify=false', '--quiet', `docker://${ref}`, `oci:${dir}/oci:latest`], { env: { ...process.env, HOME: dir } });
      execFileSync('umoci', ['unpack', '--rootless', '--image', `${dir}/oci:latest`, `${dir}/bundle`], { stdio: ['ignore', 'ignore', 'inherit'] });
      rmSync(dir, { recursive: true, force: true });
    },
  }, runs, 1);
  report(`image-pull: ${(size / 1e6).toFixed(0)} MB of gzip layers from a registry on loopback, pulled and unpacked (cold)`, samples, 'coop (pull + unpack)', 'skopeo copy + umoci unpack', '<= 1.0');
  registry.stop();
}

runMain(main);
