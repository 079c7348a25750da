// The tunnel end to end with a real browser: Debian's Chromium (playwright-core) opens the
// connect link on loopback (no STUN). The answer goes back both ways — posted by the page
// `coop serve` served, and pasted from the exported static page into `coop tunnel` waiting
// on a real terminal (tmux) — then the whole web UI runs over the data channels: typing into
// the agent and reading its output, a shell tab, blocked input refused. Ctrl+C on the
// command, closing the tab and a daemon that stops answering are each reported on the other
// side; the connect page fits a phone; a damaged or too new link is explained on the page.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32, deflateRawSync } from 'node:zlib';
import { toBase64url } from '../../lib/tunnel/envelope.js';
import { onlyHost, openBrowser, waitScreen, WEBRTC_FLAGS } from '../helpers/browser.js';
import { COOP } from '../helpers/cli.js';
import { TestCoop } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';
import { Tmux } from '../helpers/tmux.js';
import { TunnelCli } from '../helpers/tunnel.js';
import { serve, type Served } from '../helpers/web.js';

const t = new TestCoop('[sandbox]\nagent = "sh"\n');
let name: string;
let served: Served;
let ctx: BrowserContext;
let site: Server;
let siteBase: string;

/** A static host for the exported page (what any web host would do: files by path). */
function staticHost(dir: string): Promise<Server> {
  const files: Record<string, string> = { '/connect': 'connect.html', '/connect.html': 'connect.html', '/connect/': 'connect/index.html', '/': 'index.html' };
  const s = createServer((req, res) => {
    const f = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(readFileSync(join(dir, f)));
  });
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r(s)));
}

test.before(async () => {
  name = await t.create();
  served = await serve(t);
  const dir = tmp('coop-site-');
  const exp = await t.cli(['serve', '--export', dir]);
  assert.is(exp.code, 0, exp.stderr);
  site = await staticHost(dir);
  siteBase = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  ctx = await openBrowser({ args: WEBRTC_FLAGS });
});
test.after(async () => {
  await ctx?.close();
  site?.close();
  await t.stop();
});

const terminals = (p: Page) => p.locator('[data-testid=terminal]');
async function typeIn(p: Page, text: string, n = 0): Promise<void> {
  await terminals(p).nth(n).click();
  await p.keyboard.type(text);
}

test('posted back: the page coop serve served answers by itself; the web UI runs over the tunnel', async () => {
  const cli = new TunnelCli(['--no-stun'], t.env, t.workspace);
  const url = await cli.url();
  const page = await ctx.newPage();
  const foreign = onlyHost(page, `127.0.0.1:${served.port}`);
  await page.goto(url);
  await cli.until(/Connected/);
  await page.locator(`[data-box="${name}"]`).waitFor();
  assert.match(await page.locator('.via').innerText(), /tunnel to /);
  await typeIn(page, 'echo rtc-$((6*7))\n');
  await waitScreen(page, 'rtc-42');
  const rows = JSON.parse((await t.cli(['ls', '--json'])).stdout) as { name: string; clients: { tunnel: number; web: number } }[];
  const row = rows.find((r) => r.name === name)!;
  assert.is(row.clients.tunnel, 1, JSON.stringify(row));
  assert.is(row.clients.web, 0, 'nothing over the WebSocket');

  await typeIn(page, 'exit\n');
  await page.locator('[data-notice=blocked]').waitFor();
  await waitScreen(page, 'Blocked from web');
  await typeIn(page, 'echo after-$((1+1))\n');
  await waitScreen(page, 'after-2');

  await page.getByRole('button', { name: 'New shell' }).click();
  await page.locator('.tab[data-pty]:not([data-pty="0"])').waitFor();
  await typeIn(page, 'echo shell-$((2+3))\n');
  await waitScreen(page, 'shell-5');

  // Ctrl+C on the machine: the command ends, the page says the tunnel closed and why.
  cli.child.kill('SIGINT');
  assert.is(await cli.exited, 130, cli.stderr);
  await page.locator('[data-tunnel=closed]').waitFor();
  assert.match(await page.locator('[data-tunnel=closed]').innerText(), /stopped on the machine/);
  assert.equal(foreign, [], 'only the serving host was ever requested');
  await page.close();
});

test('pasted: the exported page on a static host shows the answer; pasted into coop tunnel on a terminal', async () => {
  const term = new Tmux({ cols: 120, rows: 40, cwd: t.workspace, env: { ...(t.env as Record<string, string>) } });
  try {
    term.type(`node ${COOP} tunnel --no-stun --no-qr --page ${siteBase}/connect`);
    let url = '';
    for (let i = 0; i < 600 && !url; i++) {
      url = /http:\/\/\S+#\S+/.exec(term.tmux('capture-pane', '-p', '-J'))?.[0] ?? '';
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url.startsWith(`${siteBase}/connect#`), url);
    const page = await ctx.newPage();
    const foreign = onlyHost(page, new URL(siteBase).host);
    await page.goto(url);
    await page.locator('[data-connect=paste]').waitFor();
    assert.match(await page.locator('.machine').innerText(), /first connection from this browser/);
    const answer = await page.locator('[data-testid=answer]').inputValue();
    assert.match(answer, /^[A-Za-z0-9_-]{100,}$/);
    term.type(answer);
    await term.waitFor(/Connected/);
    await page.locator(`[data-box="${name}"]`).waitFor();
    await typeIn(page, 'echo pasted-$((7*7))\n');
    await waitScreen(page, 'pasted-49');

    // The tab closes: the command says so at once (not ~30 s later when ICE gives up) and ends.
    await page.close({ runBeforeUnload: false });
    await term.waitFor(/The tunnel closed: the browser closed the tunnel/);
    term.type('echo exit=$?');
    await term.waitFor(/exit=0/);
    assert.equal(foreign, []);
  } finally {
    term.kill();
  }
});

test('the daemon stops answering (a lost network): the page reports the tunnel lost', async () => {
  const cli = new TunnelCli(['--no-stun'], t.env, t.workspace);
  const page = await ctx.newPage();
  await page.goto(await cli.url());
  await cli.until(/Connected/);
  await page.locator(`[data-box="${name}"]`).waitFor();
  const pid = t.daemonPid()!;
  process.kill(pid, 'SIGSTOP');
  try {
    await page.locator('[data-tunnel=closed]').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-tunnel=closed]').innerText(), /lost|failed/);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  cli.child.kill('SIGINT');
  await cli.exited;
  await page.close();
});

test('on a phone: the connect page fits the screen, the answer and its QR code in view', async () => {
  const phone = await openBrowser({ viewport: { width: 390, height: 844 }, phone: true, args: WEBRTC_FLAGS });
  const cli = new TunnelCli(['--no-stun', '--page', `${siteBase}/connect`], t.env, t.workspace);
  try {
    const p = await phone.newPage();
    await p.goto(await cli.url());
    await p.locator('[data-connect=paste]').waitFor();
    await p.locator('.answer-qr').waitFor();
    const fits = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, 'no horizontal scrolling');
    assert.ok(await p.locator('[data-testid=answer]').isVisible());
    if (process.env.COOP_SCREENSHOTS) {
      mkdirSync(process.env.COOP_SCREENSHOTS, { recursive: true });
      await p.screenshot({ path: join(process.env.COOP_SCREENSHOTS, 'tunnel-connect-phone.png') });
    }
  } finally {
    cli.child.kill('SIGINT');
    await cli.exited;
    await phone.close();
  }
});

test('a damaged link or one from a newer coop: the page says what is wrong', async () => {
  const page = await ctx.newPage();
  await page.goto(`${siteBase}/connect#not-a-real-envelope`);
  await page.locator('[data-connect=error]').waitFor();
  assert.match(await page.locator('[data-connect=error]').innerText(), /damaged|cut short/);
  const z = deflateRawSync(Buffer.from(JSON.stringify({ version: 2, sdp: 'later' })));
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc32(z));
  const future = toBase64url(Buffer.concat([z, sum]));
  await page.goto(`${siteBase}/connect#${future}`);
  await page.reload();
  await page.locator('[data-connect=error]').waitFor();
  assert.match(await page.locator('[data-connect=error]').innerText(), /newer coop/);
  await page.close();
});

test.run();
