// A client program on a terminal of the benchmark's own (node-pty): its output watched for a
// marker, commands typed and timed until their marker, keys timed until their echo.
import * as pty from 'node-pty';
import { timeKeys } from './stats.js';

export class Term {
  readonly p: pty.IPty;
  private tail = '';
  private waiting: { pattern: string; resolve: () => void } | null = null;

  constructor(file: string, args: string[], cwd: string, env: Record<string, string>) {
    this.p = pty.spawn(file, args, { cols: 120, rows: 40, cwd, env, name: 'xterm-256color' });
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

  /** Types `cmd` and waits for `marker` (printed by the command, not in its echo); ms taken. */
  async run(cmd: string, marker: string): Promise<number> {
    this.tail = '';
    const t0 = performance.now();
    const done = this.until(marker);
    this.p.write(`${cmd}\r`);
    await done;
    return performance.now() - t0;
  }

  /** Keystroke round trips (see timeKeys). */
  keystrokes(n: number): Promise<number[]> {
    return timeKeys(n, (keys) => this.p.write(keys), (ch) => this.until(ch));
  }

  kill(): void {
    this.p.kill('SIGKILL');
  }
}
