// bench/network: (a) a 200 MB download from an HTTP server on this machine into a box,
// with curl in the box: host mode (the server on 127.0.0.1), private mode through pasta and
// through slirp4netns (the server on this machine's own address: a private box cannot
// reach loopback), and through the allowlist proxy (CONNECT, as for https, to the server
// on 127.0.0.1, listed in network.allow). (b) What private mode adds to a box's start:
// run() of `true` with mode "none" against "private". Cases interleaved, one run.
import { createServer } from 'node:http';
import type { CoopConfig } from '../lib/config/types.js';
import { run } from '../lib/boxes.js';
import { runCaptured } from '../test/helpers/box.js';
import { testConfig } from '../test/helpers/config.js';
import { tmp } from '../test/helpers/tmp.js';
import { ownAddress } from '../test/network/peers.js';
import { compare, median, percentile } from './stats.js';

const MB = 200;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const startRuns = Number(process.env.BENCH_RUNS ?? 40);
const home = tmp('coop-bench-home-');
const ws = tmp('coop-bench-ws-');

const chunk = Buffer.alloc(1 << 20, 'x');
const serve = () => createServer((_req, res) => {
  res.writeHead(200, { 'content-length': String(MB * chunk.length) });
  let left = MB;
  const more = () => {
    while (left > 0) {
      left--;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end();
  };
  more();
});
const own = ownAddress();
if (!own) throw new Error('bench/network needs a non-loopback IPv4 address on this machine');
// The same port on 127.0.0.1 and on this machine's own address (never every address).
const loop = serve();
await new Promise<void>((res) => loop.listen(0, '127.0.0.1', res));
const port = (loop.address() as { port: number }).port;
const server = serve();
await new Promise<void>((res) => server.listen(port, own, res));

const cfg = (network: Partial<CoopConfig['network']>) => testConfig(ws, { network: { mode: 'host', ...network } });
const cases: Record<string, { config: CoopConfig; url: string; curl?: string[]; env?: Record<string, string> }> = {
  'host (127.0.0.1)': { config: cfg({}), url: `http://127.0.0.1:${port}/` },
  'private, pasta': { config: cfg({ mode: 'private' }), url: `http://${own}:${port}/`, env: { COOP_NETWORK_BACKEND: 'pasta' } },
  'private, slirp4netns': { config: cfg({ mode: 'private' }), url: `http://${own}:${port}/`, env: { COOP_NETWORK_BACKEND: 'slirp4netns' } },
  'allowlist proxy (CONNECT)': {
    config: cfg({ mode: 'none', allow: ['bench.coop-test', '127.0.0.1'], hosts: ['bench.coop-test=127.0.0.1'] }),
    url: `http://bench.coop-test:${port}/`, curl: ['-p'],
  },
};

/** Seconds curl in the box took for the download. */
async function download(c: (typeof cases)[string]): Promise<number> {
  for (const [k, v] of Object.entries(c.env ?? {})) process.env[k] = v;
  try {
    const r = await runCaptured({ cmd: ['curl', '-sS', ...(c.curl ?? []), '-o', '/dev/null', '-w', '%{time_total} %{size_download}', c.url], config: c.config, coopHome: home });
    const [secs, size] = r.stdout.trim().split(' ').map(Number);
    if (r.code !== 0 || size !== MB * chunk.length) throw new Error(`download failed (${r.code}): ${r.stdout} ${r.stderr}`);
    return secs!;
  } finally {
    for (const k of Object.keys(c.env ?? {})) delete process.env[k];
  }
}

const secs: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < rounds + 1; i++) {
  for (const [name, c] of Object.entries(cases)) {
    const s = await download(c);
    if (i > 0) secs[name]!.push(s); // round 0 warms up
  }
}
const rate = (name: string) => MB / median(secs[name]!);
console.log(`\nnetwork (a): ${MB} MB over HTTP into a box (curl's time_total, median of ${rounds})`);
for (const name of Object.keys(cases)) {
  console.log(`  ${name.padEnd(28)} ${rate(name).toFixed(0).padStart(6)} MB/s   (${median(secs[name]!).toFixed(3)} s)`);
}
console.log(`  private (pasta) / host        = ${(rate('private, pasta') / rate('host (127.0.0.1)')).toFixed(2)}   (target >= 0.5)`);
console.log(`  private (slirp4netns) / host  = ${(rate('private, slirp4netns') / rate('host (127.0.0.1)')).toFixed(2)}`);
console.log(`  proxy / private (pasta)       = ${(rate('allowlist proxy (CONNECT)') / rate('private, pasta')).toFixed(2)}   (target >= 0.8)`);
server.close();
loop.close();

const startCase = (network: Partial<CoopConfig['network']>, backend?: string) => async () => {
  if (backend) process.env.COOP_NETWORK_BACKEND = backend;
  try {
    const r = await run({ cmd: ['/bin/true'], config: cfg(network), coopHome: home, stdio: 'ignore' });
    if (r.code !== 0) throw new Error(`box exited ${r.code}`);
  } finally {
    delete process.env.COOP_NETWORK_BACKEND;
  }
};
const starts = await compare({
  none: startCase({ mode: 'none' }),
  'private, pasta': startCase({ mode: 'private' }, 'pasta'),
  'private, slirp4netns': startCase({ mode: 'private' }, 'slirp4netns'),
  'none + allowlist proxy': startCase({ mode: 'none', allow: ['example.com'] }),
}, startRuns, 3);
console.log(`\nnetwork (b): run() of true, host image (n=${startRuns})`);
for (const [name, xs] of Object.entries(starts)) {
  const extra = median(xs) - median(starts.none!);
  console.log(`  ${name.padEnd(28)} median ${median(xs).toFixed(1)} ms   p90 ${percentile(xs, 90).toFixed(1)} ms   ${name === 'none' ? '' : `(+${extra.toFixed(1)} ms over none)`}`);
}
console.log('  target: private < 20 ms over none');
