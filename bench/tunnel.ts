// bench/tunnel: the tunnel's DataChannels beside the WebSocket of `coop serve`, same box,
// same run, loopback only (no STUN):
//  (a) keystroke round trip — in Chromium, a key given to xterm.js until its echo is in
//      xterm.js's buffer, for the web UI over the WebSocket and over the tunnel; and the
//      transports alone, from Node: a key frame until its echo frame, over a WebSocket and
//      over a werift DataChannel (werift then runs at both ends);
//  (b) 50 MB written by the agent's shell — until the end marker is shown (Chromium) or
//      received (Node), how many bytes came through and whether the client was skipped
//      ahead (`lagged`: the daemon queues at most 1 MiB per client, then replays the
//      scrollback), i.e. what the transport delivers per second while the PTY floods it;
//  (c) 50 MB sent into a shell (`head -c` reading a raw, unechoed terminal) — input has
//      backpressure end to end (the daemon pauses a client whose input the PTY has not
//      taken; the tunnel's page keeps at most 256 KiB unacknowledged), so this is the
//      transport's throughput towards the box.
import { PROTOCOL_VERSION } from '../lib/ipc/messages.js';
import type { Page } from 'playwright-core';
import { decodeBody, encodeData, encodeMessage, FrameDecoder } from '../lib/ipc/frames.js';
import { openBrowser, waitScreen, WEBRTC_FLAGS } from '../test/helpers/browser.js';
import type { Pipe } from '../test/helpers/proto.js';
import { wsPipe } from '../test/helpers/proto.js';
import { answerLink, dcPipe, TunnelCli } from '../test/helpers/tunnel.js';
import { benchEnv, blast, runMain, servedBox, stopAll } from './harness.js';
import { pageKeystrokes, pageReady, pageRun } from './page.js';
import { p50p99, timeKeys } from './stats.js';

const TOTAL = Number(process.env.BENCH_TUNNEL_MB ?? 50) * 1000 * 1000;
const env = benchEnv();
const sinkCmd = (n: number) => `stty raw -echo; echo IN-$((3+4))-READY; head -c ${n} >/dev/null; stty sane; echo IN-DONE-$((1+1))`;
const fmt = (xs: number[]) => p50p99(xs, 2);

/** The protocol over a pipe, attached to the agent: output counted, a marker watched for. */
class Attached {
  private readonly decoder = new FrameDecoder();
  private tail = '';
  bytes = 0;
  lagged = 0;
  private want: { s: string; resolve: () => void } | null = null;
  private replies: ((m: Record<string, unknown>) => void)[] = [];
  /** The next successful reply switches to stream mode (attach). */
  private streaming = false;

  constructor(private readonly pipe: Pipe) {
    pipe.onData((d) => {
      this.decoder.push(d);
      for (let f = this.decoder.next(); f; f = this.decoder.next()) {
        if (f.kind === 'message') {
          const m = decodeBody(f.body) as Record<string, unknown>;
          if (m.ok === true && this.streaming) this.decoder.mode = 'stream';
          this.replies.shift()?.(m);
        } else if (f.kind === 'data') {
          this.bytes += f.bytes.length;
          this.tail = (this.tail + f.bytes.toString('latin1')).slice(-64);
          if (this.want && this.tail.includes(this.want.s)) {
            const w = this.want;
            this.want = null;
            this.tail = '';
            w.resolve();
          }
        } else if ((decodeBody(f.body) as { type?: string }).type === 'lagged') this.lagged++;
      }
    });
  }

  private request(msg: object): Promise<Record<string, unknown>> {
    return new Promise((r) => {
      this.replies.push(r);
      this.pipe.send(encodeMessage(msg));
    });
  }

  /** Attached to the agent, or (fresh) to a new shell of its own. */
  static async attach(pipe: Pipe, box: string, fresh = false): Promise<Attached> {
    const a = new Attached(pipe);
    await a.request({ version: PROTOCOL_VERSION });
    a.streaming = true;
    const r = await a.request(fresh ? { cmd: 'shell', box, new: true, cols: 120, rows: 40 } : { cmd: 'attach', box, pty: 0, cols: 120, rows: 40 });
    if (r.ok !== true) throw new Error(JSON.stringify(r));
    await new Promise((res) => setTimeout(res, 300));
    return a;
  }

  until(s: string): Promise<void> {
    return new Promise((resolve) => (this.want = { s, resolve }));
  }

  send(text: string): void {
    this.pipe.send(encodeData(Buffer.from(text)));
  }

  /** Keystroke round trips (see timeKeys), 50 ms to settle after each Ctrl+U. */
  keystrokes(n: number): Promise<number[]> {
    return timeKeys(n, (keys) => this.send(keys), (ch) => this.until(ch), 50);
  }

  /** 50 MB of input into `head -c` on a raw terminal; ms until it has read them all. */
  async sink(): Promise<number> {
    const ready = this.until('IN-7-READY');
    this.send(`${sinkCmd(TOTAL)}\r`);
    await ready;
    const done = this.until('IN-DONE-2');
    const t0 = performance.now();
    const chunk = Buffer.alloc(512 * 1024, 0x78);
    for (let sent = 0; sent < TOTAL; sent += chunk.length) this.pipe.send(encodeData(chunk.subarray(0, Math.min(chunk.length, TOTAL - sent))));
    await done;
    return performance.now() - t0;
  }

  async blast(): Promise<{ ms: number; mb: number; lagged: number }> {
    await new Promise((r) => setTimeout(r, 200));
    const [b0, l0] = [this.bytes, this.lagged];
    const t0 = performance.now();
    const b = blast(TOTAL);
    const done = this.until(b.done);
    this.send(`${b.cmd}\r`);
    await done;
    return { ms: performance.now() - t0, mb: (this.bytes - b0) / 1e6, lagged: this.lagged - l0 };
  }
}

/** In the page's active (shell) tab: 50 MB given to xterm.js as typed input; ms until `head` read them. */
async function pageSink(page: Page): Promise<number> {
  await pageRun(page, `clear; ${sinkCmd(TOTAL)}`, /^IN-7-READY/m);
  const t0 = performance.now();
  await page.evaluate((n) => {
    const t = (document.querySelector('[data-testid=terminal]') as Element & { xterm: { input(d: string, user?: boolean): void } }).xterm;
    const piece = 'x'.repeat(1024 * 1024);
    for (let sent = 0; sent < n; sent += piece.length) t.input(piece.slice(0, Math.min(piece.length, n - sent)), true);
  }, TOTAL);
  await waitScreen(page, 'IN-DONE-2');
  return performance.now() - t0;
}

/** Counts the bytes of binary messages the page receives (window.rx), over either transport. */
const COUNT_RX = () => {
  const w = window as unknown as { rx: number };
  w.rx = 0;
  for (const C of [WebSocket, RTCDataChannel] as { prototype: object }[]) {
    const d = Object.getOwnPropertyDescriptor(C.prototype, 'onmessage')!;
    Object.defineProperty(C.prototype, 'onmessage', {
      configurable: true,
      get() {
        return d.get!.call(this);
      },
      set(fn: ((e: MessageEvent) => unknown) | null) {
        d.set!.call(this, fn && ((e: MessageEvent) => {
          if (e.data instanceof ArrayBuffer) w.rx += e.data.byteLength;
          return fn.call(this, e);
        }));
      },
    });
  }
};

/** In a new shell tab of the page (no other client sees its output). */
async function pageBlast(page: Page): Promise<{ ms: number; mb: number; lagged: number }> {
  await page.getByRole('button', { name: 'New shell' }).click();
  await page.locator('.tab.active[data-pty]:not([data-pty="0"])').waitFor();
  await page.locator('.term-wrap[data-status=live]').waitFor();
  await page.evaluate(() => {
    const w = window as unknown as { lagged: number };
    w.lagged = 0;
    new MutationObserver((ms) => {
      for (const m of ms) for (const n of m.addedNodes) if ((n as Element).getAttribute?.('data-notice') === 'lagged') w.lagged++;
    }).observe(document.body, { childList: true, subtree: true });
  });
  const rx = () => page.evaluate(() => (window as unknown as { rx: number }).rx);
  const rx0 = await rx();
  const t0 = performance.now();
  const pageBlast = blast(TOTAL);
  await pageRun(page, pageBlast.cmd, pageBlast.done);
  const ms = performance.now() - t0;
  return { ms, mb: ((await rx()) - rx0) / 1e6, lagged: await page.evaluate(() => (window as unknown as { lagged: number }).lagged) };
}

async function main(): Promise<void> {
  const { ws, url, wsUrl, box } = servedBox(env);

  // Chromium: the web UI over the WebSocket, and over a tunnel (answer posted by the page).
  const browser = await openBrowser({ args: WEBRTC_FLAGS });
  await browser.addInitScript(COUNT_RX);
  const pageWs = await browser.newPage();
  await pageWs.goto(url);
  const pageTunnel = await browser.newPage();
  const cliPage = new TunnelCli(['--no-stun'], env, ws);
  await pageTunnel.goto(await cliPage.url());
  await cliPage.until(/Connected/);
  await pageReady(pageWs, 1);
  await pageReady(pageTunnel, 2);

  // Node: a bare WebSocket, and a bare DataChannel of a second tunnel (answer pasted).
  const bareWs = await Attached.attach(await wsPipe(wsUrl), box);
  const cliBare = new TunnelCli(['--no-stun', '--page', 'http://127.0.0.1:9/connect'], env, ws);
  const peer = await answerLink(await cliBare.url());
  cliBare.paste(peer.answer);
  await cliBare.until(/Connected/);
  const bareDc = await Attached.attach(dcPipe(await peer.channel(), peer.offer.key), box);

  console.log('\ntunnel (a): keystroke round trip over loopback, 2 x 150 keys each, interleaved');
  const r = { pageWs: [] as number[], pageDc: [] as number[], ws: [] as number[], dc: [] as number[] };
  for (let i = 0; i < 2; i++) {
    r.pageWs.push(...(await pageKeystrokes(pageWs, 150)).parsed);
    r.pageDc.push(...(await pageKeystrokes(pageTunnel, 150)).parsed);
    r.ws.push(...(await bareWs.keystrokes(150)));
    r.dc.push(...(await bareDc.keystrokes(150)));
  }
  console.log(`  Chromium web UI over the WebSocket   ${fmt(r.pageWs)}   (echo in xterm.js's buffer)`);
  console.log(`  Chromium web UI over the tunnel      ${fmt(r.pageDc)}`);
  console.log(`  Node, bare WebSocket                 ${fmt(r.ws)}`);
  console.log(`  Node, bare DataChannel (werift)      ${fmt(r.dc)}`);

  console.log(`\ntunnel (b): ${TOTAL / 1e6} MB written by sh in a shell of each client's own, until the end marker arrives`);
  const line = (what: string, x: { ms: number; mb: number; lagged: number }) =>
    console.log(`  ${what}  ${x.ms.toFixed(0)} ms   ${x.mb.toFixed(1)} MB delivered (${(x.mb / (x.ms / 1000)).toFixed(1)} MB/s)   skipped ahead (lagged) ${x.lagged}x`);
  const wsShell = await Attached.attach(await wsPipe(wsUrl), box, true);
  const dcShell = await Attached.attach(dcPipe(await peer.channel(), peer.offer.key), box, true);
  const nw = await wsShell.blast();
  const nd = await dcShell.blast();
  line('Node, bare WebSocket           ', nw);
  line('Node, bare DataChannel (werift)', nd);
  const pw = await pageBlast(pageWs);
  const pd = await pageBlast(pageTunnel);
  line('Chromium web UI, WebSocket     ', pw);
  line('Chromium web UI, tunnel        ', pd);
  console.log(`  ratio tunnel / WebSocket: page ${(pd.ms / pw.ms).toFixed(2)}, bare ${(nd.ms / nw.ms).toFixed(2)}`);

  console.log(`\ntunnel (c): ${TOTAL / 1e6} MB sent into a shell (head -c on a raw terminal), until all is read`);
  const rate = (ms: number) => `${ms.toFixed(0)} ms   ${(TOTAL / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
  // (Not werift to werift: with werift sending too, a window-limited flow loses its last
  // packets to a full socket buffer and waits for 1 s retransmission timeouts: 0.2 MB/s.)
  const iw = await wsShell.sink();
  const ipw = await pageSink(pageWs);
  const ipd = await pageSink(pageTunnel);
  console.log(`  Node, bare WebSocket             ${rate(iw)}`);
  console.log(`  Chromium web UI, WebSocket       ${rate(ipw)}`);
  console.log(`  Chromium web UI, tunnel          ${rate(ipd)}`);
  console.log(`  ratio tunnel / WebSocket (page) = ${(ipd / ipw).toFixed(2)}`);

  cliPage.child.kill('SIGINT');
  cliBare.child.kill('SIGINT');
  await Promise.all([cliPage.exited, cliBare.exited]);
  await peer.close();
  await browser.close();
  stopAll(ws, env);
}

runMain(main);
