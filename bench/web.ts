// bench/web: the web UI in Debian's Chromium against the CLI's attach, same box, same run:
//  (a) keystroke round trip: a key typed into xterm.js (terminal.input, what a keydown
//      becomes) until its echo is in xterm.js's buffer (write parsed) and on screen (the
//      next animation frame after that), p50/p99 — vs `coop attach` on a real terminal
//      (node-pty), key written until its echo is read back;
//  (b) 50 MB written by the agent's shell: time until the page shows the end marker, the
//      longest the tab's main thread was blocked meanwhile (a timer's worst lateness), and
//      whether it had to skip output (lagged) — vs `coop attach` of the same output.
import { PROTOCOL_VERSION } from '../lib/ipc/messages.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pty from 'node-pty';
import type { Page } from 'playwright-core';
import { encodeData, encodeMessage } from '../lib/ipc/frames.js';
import { openBrowser, waitScreen } from '../test/helpers/browser.js';
import { tmp } from '../test/helpers/tmp.js';
import { percentile } from './stats.js';

const coop = fileURLToPath(new URL('../bin/coop.cjs', import.meta.url));
const TOTAL = Number(process.env.BENCH_WEB_MB ?? 50) * 1000 * 1000;
const home = tmp('coop-bench-home-');
const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, COOP_HOME: home, TERM: 'xterm-256color', COOP_DAEMON_IDLE_MS: '600000' };
const blastCmd = (n: number) => `head -c ${n} /dev/zero | tr '\\0' '\\170'; echo; echo BLAST-$((40+2))-DONE`;

/** In the page: type n keys into terminal 0, each timed until parsed and until painted. */
function pageKeystrokes(page: Page, n: number): Promise<{ parsed: number[]; painted: number[] }> {
  return page.evaluate(async (count) => {
    type T = {
      input(d: string, user?: boolean): void;
      onWriteParsed(cb: () => void): { dispose(): void };
      buffer: { active: { cursorX: number } };
    };
    const t = (document.querySelector('[data-testid=terminal]') as Element & { xterm: T }).xterm;
    const parsed: number[] = [];
    const painted: number[] = [];
    for (let i = 0; i < count; i++) {
      if (i % 50 === 0) {
        t.input('\x15', true); // Ctrl+U: an empty line again
        await new Promise((r) => setTimeout(r, 50));
      }
      const x = t.buffer.active.cursorX;
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const sub = t.onWriteParsed(() => {
          if (t.buffer.active.cursorX <= x) return;
          sub.dispose();
          parsed.push(performance.now() - t0);
          requestAnimationFrame(() => {
            painted.push(performance.now() - t0);
            resolve();
          });
        });
        t.input(String.fromCharCode(0x61 + (i % 26)), true);
      });
    }
    t.input('\x15', true);
    return { parsed: parsed.slice(20), painted: painted.slice(20) };
  }, n);
}

/**
 * In the page, without xterm.js or React: a WebSocket of its own attached to the agent,
 * a key frame sent until its echo arrives (the transport's share of the round trip).
 */
function rawKeystrokes(page: Page, wsUrl: string, box: string, n: number): Promise<number[]> {
  const frames = {
    hello: [...encodeMessage({ version: PROTOCOL_VERSION })],
    attach: [...encodeMessage({ cmd: 'attach', box, pty: 0, cols: 80, rows: 24 })],
    keys: Array.from({ length: 26 }, (_, i) => [...encodeData(Buffer.from(String.fromCharCode(0x61 + i)))]),
    clear: [...encodeData(Buffer.from('\x15'))],
  };
  return page.evaluate(async ({ url, f, count }) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let seen = '';
    let wake: (() => void) | null = null;
    ws.onmessage = (e) => {
      const b = new Uint8Array(e.data as ArrayBuffer);
      ws.send(JSON.stringify({ ack: b.length }));
      seen += String.fromCharCode(...b);
      wake?.();
    };
    await new Promise((r) => (ws.onopen = r));
    const until = (ok: () => boolean) => new Promise<void>((r) => {
      wake = () => ok() && (wake = null, r());
      wake();
    });
    ws.send(new Uint8Array(f.hello));
    await until(() => seen.includes('ok'));
    ws.send(new Uint8Array(f.attach));
    await new Promise((r) => setTimeout(r, 300));
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      if (i % 50 === 0) {
        ws.send(new Uint8Array(f.clear));
        await new Promise((r) => setTimeout(r, 50));
      }
      seen = '';
      const ch = String.fromCharCode(0x61 + (i % 26));
      const t0 = performance.now();
      ws.send(new Uint8Array(f.keys[i % 26]!));
      await until(() => seen.includes(ch));
      out.push(performance.now() - t0);
    }
    ws.send(new Uint8Array(f.clear));
    ws.close();
    return out.slice(20);
  }, { url: wsUrl, f: frames, count: n });
}

/** The CLI's attach on a terminal of our own (node-pty). */
class CliTerm {
  readonly p: pty.IPty;
  private tail = '';
  private waiting: { pattern: string; resolve: () => void } | null = null;
  constructor(cwd: string) {
    this.p = pty.spawn(process.execPath, [coop, 'attach'], { cols: 120, rows: 40, cwd, env, name: 'xterm-256color' });
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
  async run(cmd: string, marker: string): Promise<number> {
    this.tail = '';
    const t0 = performance.now();
    const done = this.until(marker);
    this.p.write(`${cmd}\r`);
    await done;
    return performance.now() - t0;
  }
  async keystrokes(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 50 === 0) this.p.write('\x15');
      const ch = String.fromCharCode(0x61 + (i % 26));
      const t0 = performance.now();
      const echoed = this.until(ch);
      this.p.write(ch);
      await echoed;
      out.push(performance.now() - t0);
    }
    this.p.write('\x15');
    return out.slice(20);
  }
}

const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(3)} ms   p99 ${percentile(xs, 99).toFixed(3)} ms`;

async function main(): Promise<void> {
  const ws = tmp('coop-bench-ws-');
  writeFileSync(join(ws, 'coop.toml'), '[sandbox]\nagent = "sh"\n');
  execFileSync(process.execPath, [coop, 'trust'], { cwd: ws, env });
  execFileSync(process.execPath, [coop, '-d'], { cwd: ws, env });
  const served = execFileSync(process.execPath, [coop, 'serve', '-p', '0', '--no-qr'], { cwd: ws, env, encoding: 'utf8' });
  const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(served)![0];

  const browser = await openBrowser();
  const page = await browser.newPage();
  await page.goto(url);
  await page.locator('.term-wrap[data-status=live]').waitFor();
  await page.locator('[data-testid=terminal]').click();
  await page.keyboard.type('echo READY-$((1+1))\n');
  await waitScreen(page, 'READY-2');
  const cli = new CliTerm(ws);
  await cli.run('echo READY-$((2+2))', 'READY-4');

  console.log('\nweb (a): keystroke round trip over loopback, 2 x 150 keys each, interleaved');
  const parsed: number[] = [];
  const painted: number[] = [];
  const raw: number[] = [];
  const attach: number[] = [];
  const box = (JSON.parse(execFileSync(process.execPath, [coop, 'ls', '--json'], { cwd: ws, env, encoding: 'utf8' })) as { name: string }[])[0]!.name;
  const wsUrl = url.replace('http://', 'ws://').replace('/?', '/ws?');
  for (let r = 0; r < 2; r++) {
    const k = await pageKeystrokes(page, 150);
    parsed.push(...k.parsed);
    painted.push(...k.painted);
    raw.push(...(await rawKeystrokes(page, wsUrl, box, 150)));
    attach.push(...(await cli.keystrokes(150)));
  }
  console.log(`  Chromium, echo in xterm.js's buffer   ${fmt(parsed)}   (target p50 <= 2 ms)`);
  console.log(`  Chromium, echo on screen (next frame)  ${fmt(painted)}`);
  console.log(`  Chromium, bare WebSocket (no xterm.js) ${fmt(raw)}`);
  console.log(`  coop attach (CLI, a real terminal)     ${fmt(attach)}`);

  console.log(`\nweb (b): ${TOTAL / 1e6} MB written by sh in the box, until the end marker is shown`);
  await page.evaluate(() => {
    const w = window as unknown as { worst: number; stopLag: () => void };
    w.worst = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      w.worst = Math.max(w.worst, now - last - 50);
      last = now;
    }, 50);
    w.stopLag = () => clearInterval(timer);
  });
  const t0 = performance.now();
  await page.locator('[data-testid=terminal]').click();
  await page.keyboard.type(`${blastCmd(TOTAL)}\n`);
  await waitScreen(page, 'BLAST-42-DONE');
  const webMs = performance.now() - t0;
  const worst = await page.evaluate(() => {
    const w = window as unknown as { worst: number; stopLag: () => void };
    w.stopLag();
    return w.worst;
  });
  const lagged = await page.locator('[data-notice=lagged]').count();
  const cliMs = await cli.run(blastCmd(TOTAL), 'BLAST-42-DONE');
  console.log(`  Chromium page   ${webMs.toFixed(0)} ms   main thread blocked at most ${worst.toFixed(0)} ms   output skipped (lagged): ${lagged ? 'yes' : 'no'}`);
  console.log(`  coop attach     ${cliMs.toFixed(0)} ms`);
  console.log(`  ratio page / attach = ${(webMs / cliMs).toFixed(2)}`);

  cli.p.kill('SIGKILL');
  await browser.close();
  execFileSync(process.execPath, [coop, 'kill', '--all', '-f'], { cwd: ws, env });
  execFileSync(process.execPath, [coop, 'system', 'shutdown'], { cwd: ws, env });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
