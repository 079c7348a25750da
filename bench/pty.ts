// bench/pty: the PTY layer against dtach and tmux, every client a real terminal (node-pty):
//  (a) throughput: the program in the session writes 200 MB to its terminal; time until the
//      attached client's terminal has it all — coop attach vs dtach -a vs tmux attach;
//  (b) keystroke round trip (client terminal write -> echo back), p50/p99, coop vs dtach;
//  (c) attach replay of a full 256 KiB scrollback ring (library client);
//  (d) daemon RSS with 20 idle boxes;
//  (e) `coop -d` on a warm daemon, end to end, vs `node -e 0` (hyperfine).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';
import { Client } from '../lib/client/index.js';
import { tmp } from '../test/helpers/tmp.js';
import { median, percentile } from './stats.js';

const coop = fileURLToPath(new URL('../bin/coop.cjs', import.meta.url));
const MB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_PTY_MB ?? 200) * 1000 * 1000;
const home = tmp('coop-bench-home-');
const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, COOP_HOME: home, TERM: 'xterm-256color', COOP_DAEMON_IDLE_MS: '600000' };

function workspace(agent = 'sh'): string {
  const ws = tmp('coop-bench-ws-');
  writeFileSync(join(ws, 'coop.toml'), `[sandbox]\nagent = "${agent}"\n`);
  return ws;
}

/** A client program on a terminal of our own; output counted and searched. */
class Term {
  readonly p: pty.IPty;
  private tail = '';
  private waiting: { pattern: string; resolve: () => void } | null = null;
  constructor(file: string, args: string[], cwd: string) {
    this.p = pty.spawn(file, args, { cols: 120, rows: 40, cwd, env, name: 'xterm-256color' });
    this.p.onData((d) => {
      this.tail = (this.tail + d).slice(-256);
      if (this.waiting && this.tail.includes(this.waiting.pattern)) {
        const w = this.waiting;
        this.waiting = null;
        this.tail = '';
        w.resolve();
      }
    });
  }
  until(pattern: string): Promise<void> {
    if (this.tail.includes(pattern)) {
      this.tail = '';
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.waiting = { pattern, resolve }));
  }
  /** Types `cmd` and waits for `marker` (printed by the command, not in its echo). */
  async run(cmd: string, marker: string): Promise<number> {
    const t0 = performance.now();
    const done = this.until(marker);
    this.p.write(`${cmd}\r`);
    await done;
    return performance.now() - t0;
  }
  kill(): void {
    this.p.kill('SIGKILL');
  }
}

const blastCmd = (n: number) => `head -c ${n} /dev/zero | tr '\\0' '\\170'; echo; echo BLAST-$((40+2))-DONE`;

async function throughput(term: Term): Promise<number> {
  await term.run(blastCmd(1000 * 1000), 'BLAST-42-DONE'); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) ms.push(await term.run(blastCmd(TOTAL), 'BLAST-42-DONE'));
  return median(ms);
}

async function keystrokes(term: Term, n = 300): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const ch = String.fromCharCode(0x61 + (i % 26));
    const t0 = performance.now();
    const echoed = term.until(ch);
    term.p.write(ch);
    await echoed;
    out.push(performance.now() - t0);
    if (i % 50 === 49) await term.run('\x15', ''); // Ctrl+U: clear the line
  }
  term.p.write('\x15');
  return out.slice(20);
}

async function main(): Promise<void> {
  // --- boxes: a coop box, a dtach session, a tmux session, each running sh ---
  const ws = workspace();
  execFileSync(process.execPath, [coop, '-d'], { cwd: ws, env });
  const dir = tmp('coop-bench-peers-');
  const dtachSock = join(dir, 'dtach.sock');
  execFileSync('dtach', ['-n', dtachSock, '-E', '-r', 'none', 'sh'], { env: { ...env, PS1: '# ' } });
  const tmuxSock = join(dir, 'tmux.sock');
  execFileSync('tmux', ['-S', tmuxSock, 'new-session', '-d', '-x', '120', '-y', '40', 'env PS1="# " sh'], { env });
  execFileSync('tmux', ['-S', tmuxSock, 'set-option', '-g', 'status', 'off']);

  const coopT = new Term(process.execPath, [coop, 'attach'], ws);
  const dtachT = new Term('dtach', ['-a', dtachSock, '-E', '-r', 'none'], dir);
  const tmuxT = new Term('tmux', ['-S', tmuxSock, 'attach'], dir);
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
    kc.push(...(await keystrokes(coopT, 160)));
    kd.push(...(await keystrokes(dtachT, 160)));
  }
  console.log(`  coop attach    p50 ${percentile(kc, 50).toFixed(3)} ms   p99 ${percentile(kc, 99).toFixed(3)} ms`);
  console.log(`  dtach -a       p50 ${percentile(kd, 50).toFixed(3)} ms   p99 ${percentile(kd, 99).toFixed(3)} ms`);
  console.log(`  ratio p50 coop / dtach = ${(percentile(kc, 50) / percentile(kd, 50)).toFixed(2)}   (target <= 1.0)`);
  for (const t of [coopT, dtachT, tmuxT]) t.kill();
  execFileSync('tmux', ['-S', tmuxSock, 'kill-server']);
  spawnSync('pkill', ['-f', dtachSock]);

  // --- (c) replay of a full ring ---
  const client = await Client.connect({ coopHome: home, env });
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
    const w = workspace();
    mkdirSync(w, { recursive: true });
    execFileSync(process.execPath, [coop, '-d'], { cwd: w, env });
  }
  await new Promise((r) => setTimeout(r, 1000));
  const st = await client.status();
  console.log(`\npty (d): daemon RSS with ${st.boxes} idle boxes: ${(st.rss_bytes / MB).toFixed(1)} MiB   (target < 100 MB)`);

  // --- (e) coop -d on a warm daemon vs node -e 0 ---
  const out = join(dir, 'hyperfine.json');
  execFileSync('hyperfine', ['-N', '--warmup', '5', '--runs', process.env.BENCH_RUNS ?? '50', '--export-json', out,
    '-n', 'node -e 0', `${process.execPath} -e 0`, '-n', 'coop -d (warm)', `${process.execPath} ${coop} -d`], { cwd: ws, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const results = (JSON.parse(readFileSync(out, 'utf8')) as { results: { command: string; median: number }[] }).results;
  console.log('\npty (e): `coop -d` on a warm daemon (box already running) vs `node -e 0` (hyperfine)');
  for (const r of results) console.log(`  ${r.command.padEnd(16)} median ${(r.median * 1000).toFixed(2)} ms`);
  console.log(`  ratio coop -d / node -e 0 = ${(results[1]!.median / results[0]!.median).toFixed(2)}   (target <= 1.3)`);

  await client.kill({ all: true, force: true });
  await client.shutdown();
  client.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
