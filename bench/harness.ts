// What the benchmarks that drive a daemon share: the CLI under test, a COOP_HOME of their own,
// a workspace whose agent is a shell, that box served on loopback, the flood command, the end.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmp } from '../test/helpers/tmp.js';

/** The bundled CLI under test. */
export const coop = fileURLToPath(new URL('../bin/coop.cjs', import.meta.url));

export interface BenchEnv {
  [name: string]: string;
  PATH: string;
  HOME: string;
  COOP_HOME: string;
  TERM: string;
  COOP_DAEMON_IDLE_MS: string;
}

/** Every environment handed out, so a benchmark that fails still ends its boxes and daemons. */
const envs: BenchEnv[] = [];

/** The environment of every coop a benchmark starts: a fresh COOP_HOME, a daemon that stays up. */
export function benchEnv(): BenchEnv {
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, COOP_HOME: tmp('coop-bench-home-'), TERM: 'xterm-256color', COOP_DAEMON_IDLE_MS: '600000' };
  envs.push(env);
  return env;
}

/** A fresh workspace whose coop.toml makes `agent` the box's agent. */
export function workspace(agent = 'sh'): string {
  const ws = tmp('coop-bench-ws-');
  writeFileSync(join(ws, 'coop.toml'), `[sandbox]\nagent = "${agent}"\n`);
  return ws;
}

/** Runs the CLI in `ws` until it exits; its stdout. */
export const cli = (args: string[], ws: string, env: BenchEnv): string =>
  execFileSync(process.execPath, [coop, ...args], { cwd: ws, env, encoding: 'utf8' });

let blasts = 0;

/**
 * What the shell runs to write `n` bytes to its terminal (`cmd`), and the marker it prints when
 * done (`done`: not in the command's echo, and new each time — a replay of the scrollback after
 * `lagged` holds the markers of earlier runs).
 */
export function blast(n: number): { cmd: string; done: string } {
  const id = ++blasts;
  return { cmd: `head -c ${n} /dev/zero | tr '\\0' '\\170'; echo; echo BLAST-$((40+2))-${id}-DONE`, done: `BLAST-42-${id}-DONE` };
}

export interface ServedBox {
  ws: string;
  /** The page, token included. */
  url: string;
  /** The WebSocket endpoint behind the page. */
  wsUrl: string;
  box: string;
}

/** A trusted workspace, its box (sh) started and served on loopback by `coop serve -p 0`. */
export function servedBox(env: BenchEnv): ServedBox {
  const ws = workspace();
  cli(['trust'], ws, env);
  cli(['-d'], ws, env);
  const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(cli(['serve', '-p', '0', '--no-qr'], ws, env))![0];
  const box = (JSON.parse(cli(['ls', '--json'], ws, env)) as { name: string }[])[0]!.name;
  return { ws, url, wsUrl: url.replace('http://', 'ws://').replace('/?', '/ws?'), box };
}

export interface HyperfineResult {
  command: string;
  /** Seconds. */
  median: number;
  mean: number;
}

/** hyperfine (`-N`: no shell) over the named commands, run in `cwd`; its results, in order. */
export function hyperfine(commands: [name: string, command: string][], opts: { warmup: number; runs: string; cwd: string; env: NodeJS.ProcessEnv }): HyperfineResult[] {
  const out = join(tmp('coop-bench-'), 'hyperfine.json');
  execFileSync('hyperfine', ['-N', '--warmup', String(opts.warmup), '--runs', opts.runs, '--export-json', out, ...commands.flatMap(([name, cmd]) => ['-n', name, cmd])], {
    cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return (JSON.parse(readFileSync(out, 'utf8')) as { results: HyperfineResult[] }).results;
}

/** Kills every box and stops the daemon. */
export function stopAll(ws: string, env: BenchEnv): void {
  cli(['kill', '--all', '-f'], ws, env);
  cli(['system', 'shutdown'], ws, env);
}

/** Runs a benchmark: exit status 0, or the error printed, its boxes and daemons ended, and 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      for (const env of envs) {
        try {
          stopAll('/', env);
        } catch {
          // nothing ran there, or it is gone already
        }
      }
      process.exit(1);
    },
  );
}
