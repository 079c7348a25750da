// The web UI in a real browser (Debian's Chromium through playwright-core) against a real
// daemon with real boxes: the box list, typing into the agent and reading xterm.js's
// buffer, shell tabs, split, closing a tab (the PTY lives on), a new box and a kill with
// confirmation, the blocked-input notice, reload keeping the layout, reconnection (web server
// restarted; daemon killed with -9) without duplicated scrollback, a `yes` flood stopped by
// Ctrl+C, and a phone viewport's keys bar. Every request goes to the serving host.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, sleep, TestCoop } from '../helpers/daemon.js';
import { count, onlyHost, openBrowser, screenText, waitScreen } from '../helpers/browser.js';
import { tmp } from '../helpers/tmp.js';
import { trustProject } from '../helpers/trust.js';
import { serve, type Served } from '../helpers/web.js';

const t = new TestCoop('[sandbox]\nagent = "sh"\n');
let s: Served;
let name: string;
let ctx: BrowserContext;
let page: Page;
let foreign: string[];

const terminals = () => page.locator('[data-testid=terminal]');
/** Types into the terminal that has the focus (clicking it first). */
async function typeIn(text: string, n = 0): Promise<void> {
  await terminals().nth(n).click();
  await page.keyboard.type(text);
}
const cliJson = async (args: string[]) => JSON.parse((await t.cli([...args, '--json'])).stdout) as unknown;

test.before(async () => {
  name = await t.create();
  s = await serve(t);
  ctx = await openBrowser();
  page = await ctx.newPage();
  foreign = onlyHost(page, `127.0.0.1:${s.port}`);
  await page.goto(s.url);
});
test.after(async () => {
  await ctx?.close();
  await t.stop();
});

test('the page lists the box and types into its agent', async () => {
  const row = page.locator(`[data-box="${name}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /running/);
  await typeIn('echo web-$((6*7))\n');
  await waitScreen(page, 'web-42');
  const rows = (await cliJson(['ls'])) as { name: string; clients: { web: number } }[];
  assert.is(rows.find((r) => r.name === name)!.clients.web, 1);
});

test('blocked input shows its notice and never reaches the agent', async () => {
  await typeIn('exit\n');
  await page.locator('[data-notice=blocked]').waitFor();
  await waitScreen(page, 'Blocked from web');
  await typeIn('echo still-$((1+1))\n');
  await waitScreen(page, 'still-2');
});

test('a shell tab, a split, reload keeps the layout, closing a tab leaves the shell running', async () => {
  await page.getByRole('button', { name: 'New shell' }).click();
  const tab = page.locator('.tab[data-pty]:not([data-pty="0"])');
  await tab.waitFor();
  const pty = Number(await tab.getAttribute('data-pty'));
  assert.ok(pty >= 1);
  await typeIn('echo shell-$((2+3))\n');
  await waitScreen(page, 'shell-5');
  await page.getByRole('button', { name: 'Split' }).click();
  await terminals().nth(1).waitFor();
  assert.is(await terminals().count(), 2);
  await page.reload();
  await terminals().nth(1).waitFor();
  assert.is(await page.locator('.tab[data-pty]').count(), 2, 'both tabs after reload');
  await waitScreen(page, 'shell-5', 0);
  await page.getByRole('button', { name: `Close tab ${pty}` }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=terminal]').length === 1);
  const ptys = (await cliJson(['shell', 'ls'])) as { id: number; state: string }[];
  assert.ok(ptys.some((p) => p.id === pty && p.state === 'running'), JSON.stringify(ptys));
});

test('a `yes` flood: Ctrl+C stops it within a second and the tab stays responsive', async () => {
  await page.locator('.tab[data-pty="0"] .tab-label').click();
  await waitScreen(page, 'still-2');
  await typeIn('yes\n');
  await waitScreen(page, /^y$/m);
  await page.waitForTimeout(1500); // flooding
  const t0 = Date.now();
  await page.keyboard.press('Control+C');
  await typeIn('echo flood-$((5*5))-over\n');
  await waitScreen(page, 'flood-25-over');
  const took = Date.now() - t0;
  assert.ok(took < 3000, `the prompt came back ${took} ms after Ctrl+C`);
  const ms = await page.evaluate(() => new Promise<number>((r) => {
    const a = performance.now();
    requestAnimationFrame(() => r(performance.now() - a));
  }));
  assert.ok(ms < 1000, `a frame took ${ms} ms`);
});

test('a new box from the page, then killed with confirmation', async () => {
  const ws = tmp('coop-ws-page-');
  writeFileSync(join(ws, 'coop.toml'), '[sandbox]\nagent = "sh"\n');
  trustProject(ws);
  await page.getByRole('button', { name: '+ New' }).click();
  await page.locator('input[name=workspace]').fill(ws);
  await page.locator('input[name=name]').fill('from-page');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('[data-box="from-page"]').waitFor();
  await page.getByRole('button', { name: 'Kill from-page' }).click();
  await page.getByRole('dialog').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Kill' }).click();
  await page.locator('[data-box="from-page"]').waitFor({ state: 'detached' });
  const rows = (await cliJson(['ls'])) as { name: string }[];
  assert.not.ok(rows.some((r) => r.name === 'from-page'));
});

test('the web server restarted: the page reconnects and shows the scrollback once', async () => {
  await page.locator(`[data-box="${name}"] .box-main`).click();
  await typeIn('clear; echo once-$((3*4))\n');
  await waitScreen(page, 'once-12');
  assert.is((await t.cli(['serve', '--stop'])).code, 0);
  await page.locator('.link-offline').waitFor();
  await serve(t, ['-p', String(s.port), '--token', s.token]);
  await page.locator('.link-online').waitFor();
  await page.locator('.term-wrap[data-status=live]').waitFor();
  await typeIn('echo back-$((2*4))\n');
  const text = await waitScreen(page, 'back-8');
  assert.is(count(text, 'once-12'), 1, text);
});

test('the daemon killed with -9: the page reconnects to the next one, output not duplicated', async () => {
  const pid = t.daemonPid()!;
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(20);
  await page.locator('.link-offline').waitFor();
  await serve(t, ['-p', String(s.port), '--token', s.token]); // a new daemon takes the box over
  await page.locator('.link-online').waitFor();
  await page.locator('.term-wrap[data-status=live]').waitFor();
  await typeIn('echo again-$((3*3))\n');
  const text = await waitScreen(page, 'again-9');
  assert.is(count(text, 'again-9'), 1, text);
  assert.ok(count(text, 'back-8') <= 1, text);
});

test('a phone viewport: drawer, one terminal, the keys bar (Esc, Ctrl+C reach the PTY)', async () => {
  const phone = await openBrowser({ viewport: { width: 390, height: 844 }, phone: true });
  try {
    const p = await phone.newPage();
    const away = onlyHost(p, `127.0.0.1:${s.port}`);
    await p.goto(s.url);
    await p.locator('.keys').waitFor();
    assert.is(await p.locator('.sidebar').count(), 0, 'the sidebar is a drawer');
    await p.locator('[data-testid=terminal]').click();
    await p.keyboard.type('cat -v\n');
    await p.getByRole('button', { name: 'Escape' }).click();
    await p.keyboard.type('x\n');
    await waitScreen(p, '^[x');
    await p.getByRole('button', { name: 'Ctrl+C' }).click();
    // The terminal discards input typed before the interrupted program is gone: wait for the prompt.
    await waitScreen(p, /\^C\s*\n#/);
    await p.keyboard.type('echo phone-$((8*8))\n');
    await waitScreen(p, 'phone-64');
    await p.getByRole('button', { name: 'Boxes' }).click();
    await p.locator(`.drawer [data-box="${name}"]`).waitFor();
    if (process.env.COOP_SCREENSHOTS) {
      mkdirSync(process.env.COOP_SCREENSHOTS, { recursive: true });
      await p.screenshot({ path: join(process.env.COOP_SCREENSHOTS, 'web-phone-drawer.png') });
    }
    assert.equal(away, []);
  } finally {
    await phone.close();
  }
});

test('every request of the page went to the serving host', async () => {
  assert.ok((await screenText(page)).length > 0);
  assert.equal(foreign, []);
});

test.run();
