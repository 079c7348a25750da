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

/**
 * In the page: n keys typed into terminal 0 (what a keydown becomes), each timed until its
 * echo is parsed into xterm.js's buffer and, with `paint`, until the next animation frame
 * after that (the next key waits for it); the first 20 left out.
 */
export function pageKeystrokes(page: Page, n: number, paint = false): Promise<{ parsed: number[]; painted: number[] }> {
  return page.evaluate(async ({ count, paint }) => {
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
    }
    t.input('\x15', true);
    return { parsed: parsed.slice(20), painted: painted.slice(20) };
  }, { count: n, paint });
}
