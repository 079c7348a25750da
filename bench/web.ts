// bench/web: the web UI in Debian's Chromium against the CLI's attach, same box, same run:
//  (a) keystroke round trip: a key typed into xterm.js (terminal.input, what a keydown
//      becomes) until its echo is in xterm.js's buffer (write parsed) and on screen (the
//      next animation frame after that), p50/p99 — each key typed while the page is idle (a
//      pause after the previous echo's frame, as a typist's), and each typed inside the frame
//      that paints the previous echo (before its layout, paint and commit); real key presses
//      (Chromium input events, keydown until the echo is parsed); a bare WebSocket in the same
//      page paced both ways; `coop attach` on a real terminal (node-pty), key written until its
//      echo is read back;
//  (b) 50 MB written by the agent's shell: time until the page shows the end marker, the
//      longest the tab's main thread was blocked meanwhile (a timer's worst lateness), and
//      whether it had to skip output (lagged) — vs `coop attach` of the same output.
import { PROTOCOL_VERSION } from '../lib/ipc/messages.js';
import type { Page } from 'playwright-core';
import { encodeData, encodeMessage } from '../lib/ipc/frames.js';
import { openBrowser } from '../test/helpers/browser.js';
import { benchEnv, blast, coop, runMain, servedBox, stopAll } from './harness.js';
import { pageKeyPresses, pageKeystrokes, pageReady, pageRun } from './page.js';
import { p50p99 } from './stats.js';
import { Term } from './term.js';

const TOTAL = Number(process.env.BENCH_WEB_MB ?? 50) * 1000 * 1000;
const env = benchEnv();
/** The pause before a key typed while the page is idle: the previous echo's frame is long done. */
const IDLE_MS = 30;

/**
 * In the page, without xterm.js or React: a WebSocket of its own attached to the agent,
 * a key frame sent until its echo arrives (the transport's share of the round trip). The
 * page's terminal, attached to the same agent, paints each echo too; the next key waits
 * for that frame, then `idleMs` (0: sent inside the frame callback, as pageKeystrokes).
 */
function rawKeystrokes(page: Page, wsUrl: string, box: string, n: number, idleMs: number): Promise<number[]> {
  const frames = {
    hello: [...encodeMessage({ version: PROTOCOL_VERSION })],
    attach: [...encodeMessage({ cmd: 'attach', box, pty: 0, cols: 80, rows: 24 })],
    keys: Array.from({ length: 26 }, (_, i) => [...encodeData(Buffer.from(String.fromCharCode(0x61 + i)))]),
    clear: [...encodeData(Buffer.from('\x15'))],
  };
  return page.evaluate(async ({ url, f, count, idleMs }) => {
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
      await new Promise((r) => requestAnimationFrame(r));
      if (idleMs > 0) await new Promise((r) => setTimeout(r, idleMs));
    }
    ws.send(new Uint8Array(f.clear));
    ws.close();
    return out.slice(20);
  }, { url: wsUrl, f: frames, count: n, idleMs });
}

async function main(): Promise<void> {
  const { ws, url, wsUrl, box } = servedBox(env);

  const browser = await openBrowser();
  const page = await browser.newPage();
  await page.goto(url);
  await pageReady(page);
  const cli = new Term(process.execPath, [coop, 'attach'], ws, env);
  await cli.run('echo READY-$((2+2))', 'READY-4');

  console.log('\nweb (a): keystroke round trip over loopback, 2 x 150 keys each, interleaved');
  const r = { parsed: [] as number[], painted: [] as number[], inFrame: [] as number[], presses: [] as number[], raw: [] as number[], rawInFrame: [] as number[], attach: [] as number[] };
  for (let i = 0; i < 2; i++) {
    const k = await pageKeystrokes(page, 150, { paint: true, idleMs: IDLE_MS });
    r.parsed.push(...k.parsed);
    r.painted.push(...k.painted);
    r.inFrame.push(...(await pageKeystrokes(page, 150, { paint: true })).parsed);
    r.presses.push(...(await pageKeyPresses(page, 150, IDLE_MS)));
    r.raw.push(...(await rawKeystrokes(page, wsUrl, box, 150, IDLE_MS)));
    r.rawInFrame.push(...(await rawKeystrokes(page, wsUrl, box, 150, 0)));
    r.attach.push(...(await cli.keystrokes(150)));
  }
  console.log(`  Chromium, echo in xterm.js's buffer, page idle      ${p50p99(r.parsed)}   (target p50 <= 2 ms)`);
  console.log(`  Chromium, echo on screen (next frame)               ${p50p99(r.painted)}`);
  console.log(`  Chromium, echo in the buffer, key typed in a frame  ${p50p99(r.inFrame)}`);
  console.log(`  Chromium, real key presses, keydown to the buffer   ${p50p99(r.presses)}`);
  console.log(`  Chromium, bare WebSocket (no xterm.js), page idle   ${p50p99(r.raw)}`);
  console.log(`  Chromium, bare WebSocket, key sent in a frame       ${p50p99(r.rawInFrame)}`);
  console.log(`  coop attach (CLI, a real terminal)                  ${p50p99(r.attach)}`);

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
  const pageBlast = blast(TOTAL);
  await pageRun(page, pageBlast.cmd, pageBlast.done);
  const webMs = performance.now() - t0;
  const worst = await page.evaluate(() => {
    const w = window as unknown as { worst: number; stopLag: () => void };
    w.stopLag();
    return w.worst;
  });
  const lagged = await page.locator('[data-notice=lagged]').count();
  const cliBlast = blast(TOTAL);
  const cliMs = await cli.run(cliBlast.cmd, cliBlast.done);
  console.log(`  Chromium page   ${webMs.toFixed(0)} ms   main thread blocked at most ${worst.toFixed(0)} ms   output skipped (lagged): ${lagged ? 'yes' : 'no'}`);
  console.log(`  coop attach     ${cliMs.toFixed(0)} ms`);
  console.log(`  ratio page / attach = ${(webMs / cliMs).toFixed(2)}`);

  cli.kill();
  await browser.close();
  stopAll(ws, env);
}

runMain(main);
