// Download progress, one line per layer, redrawn in place on a terminal; silent otherwise.
import type { WriteStream } from 'node:tty';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export class Progress {
  private readonly rows: { label: string; done: number; size: number; state: string }[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: (NodeJS.WritableStream & Partial<Pick<WriteStream, 'isTTY'>>) | null) {}

  get live(): boolean {
    return !!this.out?.isTTY;
  }

  add(label: string, size: number, state = 'waiting'): number {
    this.rows.push({ label, done: 0, size, state });
    return this.rows.length - 1;
  }
  advance(i: number, n: number): void {
    const r = this.rows[i]!;
    r.done += n;
    r.state = 'downloading';
    this.schedule();
  }
  set(i: number, state: string): void {
    this.rows[i]!.state = state;
    this.schedule();
  }

  private schedule(): void {
    if (!this.live || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, 100);
  }

  private draw(): void {
    if (!this.live) return;
    const lines = this.rows.map((r) => {
      const width = 24;
      const frac = r.size ? Math.min(1, r.done / r.size) : 0;
      const bar = r.state === 'downloading' ? `[${'='.repeat(Math.round(frac * width)).padEnd(width)}] ${mb(r.done)}/${mb(r.size)}` : r.state;
      return `  ${r.label}  ${bar}`;
    });
    this.out!.write(`${this.drawn ? `\x1b[${this.drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    this.drawn = lines.length;
  }

  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.draw();
  }
}
