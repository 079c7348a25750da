// Debian's Chromium driven by playwright-core, for the web UI's tests and benchmarks: a
// fresh empty profile each time, flags for a closed network, and helpers to read what
// xterm.js shows.
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tmp } from './tmp.js';

export const CHROMIUM = process.env.COOP_CHROMIUM ?? '/usr/bin/chromium';

// (--headless comes with headless: true.)
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export interface BrowserOptions {
  viewport?: { width: number; height: number };
  /** A phone: touch events, a mobile viewport. */
  phone?: boolean;
}

/** A browser with a fresh profile directory (closing the context ends it). */
export function openBrowser(opts: BrowserOptions = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tmp('coop-chromium-'), {
    executablePath: CHROMIUM, headless: true, args: FLAGS,
    viewport: opts.viewport ?? { width: 1280, height: 800 }, isMobile: opts.phone, hasTouch: opts.phone, deviceScaleFactor: opts.phone ? 2 : 1,
    acceptDownloads: false, serviceWorkers: 'block',
  });
}

/** Fails the test on any request to another host than the serving one. */
export function onlyHost(page: Page, host: string): string[] {
  const foreign: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    if (u.host !== host) foreign.push(r.url());
  });
  return foreign;
}

/** The text of the n-th terminal on the page (its whole buffer, scrollback included). */
export function screenText(page: Page, n = 0): Promise<string> {
  return page.evaluate((i) => {
    type Buf = { length: number; getLine(y: number): { translateToString(trim: boolean): string } | undefined };
    const el = document.querySelectorAll('[data-testid=terminal]')[i] as (Element & { xterm?: { buffer: { active: Buf } } }) | undefined;
    const b = el?.xterm?.buffer.active;
    if (!b) return '';
    const out: string[] = [];
    for (let y = 0; y < b.length; y++) out.push(b.getLine(y)?.translateToString(true) ?? '');
    return out.join('\n');
  }, n);
}

/** Waits until the n-th terminal shows the pattern (a safety net: fails after 30 s with the screen). */
export async function waitScreen(page: Page, pattern: RegExp | string, n = 0): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = await screenText(page, n);
    if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`terminal ${n} never showed ${pattern}; it shows:\n${text.trimEnd().slice(-1500)}`);
    await page.waitForTimeout(50);
  }
}

export const count = (text: string, s: string) => text.split(s).length - 1;
