// Driving a real terminal: a private tmux server, keys sent as a person would type them,
// the screen read back with capture-pane.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmp } from './tmp.js';

export class Tmux {
  private readonly socket = join(tmp('coop-tmux-'), 'sock');

  /** Starts a server with one window of the given size running `shell`. */
  constructor(opts: { cols?: number; rows?: number; env?: Record<string, string>; cwd?: string } = {}) {
    const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
    this.tmux('new-session', '-d', '-x', String(opts.cols ?? 100), '-y', String(opts.rows ?? 30),
      ...(opts.cwd ? ['-c', opts.cwd] : []), `env ${env} sh`);
    this.tmux('set-option', '-g', 'status', 'off');
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Types text literally (no key names), then Enter unless enter is false. */
  type(text: string, enter = true, target = ''): void {
    this.tmux('send-keys', ...(target ? ['-t', target] : []), '-l', text);
    if (enter) this.tmux('send-keys', ...(target ? ['-t', target] : []), 'Enter');
  }

  /** Sends tmux key names, e.g. "C-]" or "C-c". */
  keys(...names: string[]): void {
    this.tmux('send-keys', ...names);
  }

  screen(target = ''): string {
    return this.tmux('capture-pane', '-p', ...(target ? ['-t', target] : []));
  }

  /** Waits until the screen matches; fails with the screen if it never does (after a generous safety net). */
  async waitFor(pattern: RegExp, target = ''): Promise<string> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = this.screen(target);
      if (pattern.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
