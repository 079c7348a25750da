// The web UI in Chromium as the benchmarks drive it: commands typed into its terminal, and
// keys given to xterm.js timed until their echo.
import type { Page } from 'playwright-core';
import { waitScreen } from '../test/helpers/browser.js';

/** Types `cmd` into the page's terminal and waits until `marker` is on its screen. */
export async function pageRun(page: Page, cmd: string, marker: RegExp | string): Promise<void> {
  await page.locator('[data-testid=terminal]').click();
  await page.keyboard.type(`${cmd}\n`);
  await waitScreen(page, marker);
}

/** Waits until the page's terminal is live and its shell answers (`n` tells pages apart). */
export async function pageReady(page: Page, n = 1): Promise<void> {
  await page.locator('.term-wrap[data-status=live]').waitFor();
  await pageRun(page, `echo READY-$((${n}+${n}))`, `READY-${n + n}`);
}

export interface KeystrokeOptions {
  /** Also time until the next animation frame after the echo is parsed (the next key waits for it). */
  paint?: boolean;
  /**
   * A pause before each next key (after that frame, with `paint`), so the key is typed while
   * the page is idle, as a typist's is. 0: at once, and with `paint` inside the animation
   * frame callback, before that frame's layout, paint and commit (of the previous echo).
   */
  idleMs?: number;
}

/**
 * In the page: n keys typed into terminal 0 (what a keydown becomes), each timed until its
 * echo is parsed into xterm.js's buffer and, with `paint`, until the next animation frame
 * after that; the first 20 left out.
 */
export function pageKeystrokes(page: Page, n: number, opts: KeystrokeOptions = {}): Promise<{ parsed: number[]; painted: number[] }> {
  return page.evaluate(async ({ count, paint, idleMs }) => {
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
          if (!paint) return resolve();
          requestAnimationFrame(() => {
            painted.push(performance.now() - t0);
            resolve();
          });
        });
        t.input(String.fromCharCode(0x61 + (i % 26)), true);
      });
      if (idleMs > 0) await new Promise((r) => setTimeout(r, idleMs));
    }
    t.input('\x15', true);
    return { parsed: parsed.slice(20), painted: painted.slice(20) };
  }, { count: n, paint: opts.paint ?? false, idleMs: opts.idleMs ?? 0 });
}

/**
 * n real key presses (Chromium's input events, sent over CDP: keydown, the character, keyup)
 * into the focused terminal, `idleMs` apart, each timed in the page from its keydown until its
 * echo is parsed into xterm.js's buffer; the first 20 left out.
 */
export async function pageKeyPresses(page: Page, n: number, idleMs: number): Promise<number[]> {
  await page.locator('[data-testid=terminal]').click();
  await page.evaluate(() => {
    type T = { onWriteParsed(cb: () => void): void; buffer: { active: { cursorX: number } } };
    const t = (document.querySelector('[data-testid=terminal]') as Element & { xterm: T }).xterm;
    const w = window as unknown as { keyTimes?: number[] };
    if (w.keyTimes) return void (w.keyTimes = []);
    w.keyTimes = [];
    let t0 = 0;
    let x = 0;
    window.addEventListener('keydown', () => {
      t0 = performance.now();
      x = t.buffer.active.cursorX;
    }, true);
    t.onWriteParsed(() => {
      if (t0 && t.buffer.active.cursorX > x) {
        w.keyTimes!.push(performance.now() - t0);
        t0 = 0;
      }
    });
  });
  const pause = () => new Promise((r) => setTimeout(r, idleMs));
  for (let i = 0; i < n; i++) {
    if (i % 50 === 0) {
      await page.keyboard.press('Control+U');
      await pause();
    }
    await page.keyboard.press(String.fromCharCode(0x61 + (i % 26)));
    await pause();
  }
  await page.keyboard.press('Control+U');
  return (await page.evaluate(() => (window as unknown as { keyTimes: number[] }).keyTimes)).slice(20);
}
