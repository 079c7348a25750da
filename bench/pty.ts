// bench/pty: the PTY layer against dtach and tmux, every client a real terminal (node-pty):
//  (a) throughput: the program in the session writes 200 MB to its terminal; time until the
//      attached client's terminal has it all — coop attach vs dtach -a vs tmux attach;
//  (b) keystroke round trip (client terminal write -> echo back), p50/p99, coop vs dtach;
//  (c) attach replay of a full 256 KiB scrollback ring (library client);
//  (d) daemon RSS with 20 idle boxes;
//  (e) `coop -d` on a warm daemon, end to end, vs `node -e 0` (hyperfine).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '../lib/client/index.js';
import { tmp } from '../test/helpers/tmp.js';
import { benchEnv, blast, cli, coop, hyperfine, runMain, workspace } from './harness.js';
import { median, p50p99, percentile } from './stats.js';
import { Term } from './term.js';

const MB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_PTY_MB ?? 200) * 1000 * 1000;
const env = benchEnv();

async function throughput(term: Term): Promise<number> {
  const warm = blast(1000 * 1000);
  await term.run(warm.cmd, warm.done); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) {
    const b = blast(TOTAL);
    ms.push(await term.run(b.cmd, b.done));
  }
  return median(ms);
}

async function main(): Promise<void> {
  // --- boxes: a coop box, a dtach session, a tmux session, each running sh ---
  const ws = workspace();
  cli(['-d'], ws, env);
  const dir = tmp('coop-bench-peers-');
  const dtachSock = join(dir, 'dtach.sock');
  execFileSync('dtach', ['-n', dtachSock, '-E', '-r', 'none', 'sh'], { env: { ...env, PS1: '# ' } });
  const tmuxSock = join(dir, 'tmux.sock');
  execFileSync('tmux', ['-S', tmuxSock, 'new-session', '-d', '-x', '120', '-y', '40', 'env PS1="# " sh'], { env });
  execFileSync('tmux', ['-S', tmuxSock, 'set-option', '-g', 'status', 'off']);

  const coopT = new Term(process.execPath, [coop, 'attach'], ws, env);
  const dtachT = new Term('dtach', ['-a', dtachSock, '-E', '-r', 'none'], dir, env);
  const tmuxT = new Term('tmux', ['-S', tmuxSock, 'attach'], dir, env);
  for (const t of [coopT, dtachT, tmuxT]) await t.run('echo READY-$((1+1))', 'READY-2');

  console.log(`\npty (a): ${TOTAL / 1e6} MB written by sh in the session, received by one attached client terminal (median of 3)`);
  const a: Record<string, number> = {};
  for (const [name, t] of [['coop attach', coopT], ['dtach -a', dtachT], ['tmux attach', tmuxT]] as const) {
    a[name] = await throughput(t);
    console.log(`  ${name.padEnd(14)} ${a[name]!.toFixed(0)} ms   ${(TOTAL / MB / (a[name]! / 1000)).toFixed(0)} MiB/s`);
  }
  console.log(`  ratio throughput coop / dtach = ${(a['dtach -a']! / a['coop attach']!).toFixed(2)}   (target >= 1.0)`);
  console.log(`  ratio throughput coop / tmux  = ${(a['tmux attach']! / a['coop attach']!).toFixed(2)}`);

  console.log('\npty (b): keystroke round trip, client terminal -> echo back (n=280 each, interleaved runs)');
  const kc: number[] = [];
  const kd: number[] = [];
  for (let r = 0; r < 2; r++) {
    kc.push(...(await coopT.keystrokes(160)));
    kd.push(...(await dtachT.keystrokes(160)));
  }
  console.log(`  coop attach    ${p50p99(kc)}`);
  console.log(`  dtach -a       ${p50p99(kd)}`);
  console.log(`  ratio p50 coop / dtach = ${(percentile(kc, 50) / percentile(kd, 50)).toFixed(2)}   (target <= 1.0)`);
  for (const t of [coopT, dtachT, tmuxT]) t.kill();
  execFileSync('tmux', ['-S', tmuxSock, 'kill-server']);
  spawnSync('pkill', ['-f', dtachSock]);

  // --- (c) replay of a full ring ---
  const client = await Client.connect({ coopHome: env.COOP_HOME, env });
  const [box] = await client.ls();
  const filler = await client.attach({ box: box!.name, cols: 120, rows: 40 });
  await new Promise<void>((resolve) => {
    let tail = '';
    filler.on('data', (d: Buffer) => {
      tail = (tail + d.toString('latin1')).slice(-64);
      if (tail.includes('FILL-2-DONE')) resolve();
    });
    filler.write("head -c 1000000 /dev/zero | tr '\\0' '\\170'; echo; echo FILL-$((1+1))-DONE\r");
  });
  filler.destroy();
  const replay: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const s = await client.attach({ box: box!.name, cols: 120, rows: 40, readonly: true });
    await new Promise<void>((resolve) => {
      let got = 0;
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= 256 * 1024) resolve();
      });
    });
    replay.push(performance.now() - t0);
    s.destroy();
  }
  console.log('\npty (c): attach (new connection, handshake, attach) until a full 256 KiB ring is replayed (n=30)');
  console.log(`  median ${median(replay).toFixed(2)} ms   p90 ${percentile(replay, 90).toFixed(2)} ms   (target < 20 ms)`);

  // --- (d) daemon RSS with 20 idle boxes ---
  for (let i = 1; i < 20; i++) {
    cli(['-d'], workspace(), env);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const st = await client.status();
  console.log(`\npty (d): daemon RSS with ${st.boxes} idle boxes: ${(st.rss_bytes / MB).toFixed(1)} MiB   (target < 100 MB)`);

  // --- (e) coop -d on a warm daemon vs node -e 0 ---
  const results = hyperfine([['node -e 0', `${process.execPath} -e 0`], ['coop -d (warm)', `${process.execPath} ${coop} -d`]], {
    warmup: 5, runs: process.env.BENCH_RUNS ?? '50', cwd: ws, env,
  });
  console.log('\npty (e): `coop -d` on a warm daemon (box already running) vs `node -e 0` (hyperfine)');
  for (const r of results) console.log(`  ${r.command.padEnd(16)} median ${(r.median * 1000).toFixed(2)} ms`);
  console.log(`  ratio coop -d / node -e 0 = ${(results[1]!.median / results[0]!.median).toFixed(2)}   (target <= 1.3)`);

  await client.kill({ all: true, force: true });
  await client.shutdown();
  client.close();
}

runMain(main);
