// A PTY's output as plain text lines, the way a terminal shows it: cursor movement,
// colours, redraws and terminal queries rendered away. `coop logs` prints these; `-n`
// counts them; `-f` follows them as lines are finished.
import type { IBuffer, IMarker } from '@xterm/headless';
import { Emulator } from './emulator.js';

/** Lines y0..y1 of a buffer as text, a wrapped line joined to the line it continues. */
function bufferText(buf: IBuffer, y0: number, y1: number): string[] {
  const out: string[] = [];
  for (let y = y0; y < y1; y++) {
    const line = buf.getLine(y);
    if (!line) continue;
    const text = line.translateToString(false);
    if (line.isWrapped && out.length) out[out.length - 1] += text;
    else out.push(text);
  }
  return out.map((l) => l.trimEnd());
}

const dropTrailingBlank = (lines: string[]) => {
  let n = lines.length;
  while (n > 0 && lines[n - 1] === '') n--;
  return lines.slice(0, n);
};

/** Everything on the emulator: the main screen with its history, then the alternate screen when it is up. */
export function screenLines(em: Emulator): string[] {
  const t = em.term;
  const lines = dropTrailingBlank(bufferText(t.buffer.normal, 0, t.buffer.normal.length));
  if (em.alternate) lines.push(...dropTrailingBlank(bufferText(t.buffer.alternate, 0, t.rows)));
  return lines;
}

/** Renders a PTY's scrollback at the PTY's size into text lines. */
export async function renderLines(bytes: Buffer, cols: number, rows: number): Promise<string[]> {
  const em = await Emulator.create(cols, rows, 100_000);
  try {
    await em.write(bytes);
    return screenLines(em);
  } finally {
    em.dispose();
  }
}

/** The last n lines (all when n is undefined), each ending in a newline. */
export function tailText(lines: string[], n?: number): string {
  const shown = n === undefined ? lines : n <= 0 ? [] : lines.slice(-n);
  return shown.map((l) => `${l}\n`).join('');
}

/**
 * Follows a PTY's output as rendered lines: a line of the main screen is printed once the
 * cursor has left it (it is finished); a full-screen program's alternate screen is printed
 * whenever it changed and then stayed still for a moment.
 */
export class LineFollower {
  /** The first line not printed yet (a marker moves with the lines as old ones are dropped). */
  private next: IMarker | null = null;
  /** The same as a number, while the alternate screen is up (markers belong to the active screen). */
  private nextLine = 0;
  private lastFrame = '';
  private frameTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly em: Emulator,
    private readonly print: (text: string) => void,
    private readonly settleMs: number,
  ) {}

  static async create(cols: number, rows: number, print: (text: string) => void, settleMs = 250): Promise<LineFollower> {
    return new LineFollower(await Emulator.create(cols, rows, 10_000), print, settleMs);
  }

  private cursorLine(): number {
    const b = this.em.term.buffer.normal;
    return b.baseY + b.cursorY;
  }

  /** Takes the scrollback replay and prints its last n lines (all when undefined). */
  async start(replay: Buffer, n?: number): Promise<void> {
    await this.em.write(replay);
    const b = this.em.term.buffer.normal;
    const done = bufferText(b, 0, this.cursorLine());
    let shown = dropTrailingBlank(done);
    if (this.em.alternate) {
      this.lastFrame = this.frame();
      shown = [...shown, ...this.lastFrame.split('\n').filter((_, i, a) => i < a.length - 1)];
    }
    this.print(tailText(shown, n));
    this.markNext();
  }

  /** Marks the cursor's line as the first one not printed. */
  private markNext(): void {
    this.next?.dispose();
    this.next = null;
    this.nextLine = this.cursorLine();
    if (!this.em.alternate) this.next = this.em.term.registerMarker(0) ?? null;
  }

  private frame(): string {
    return tailText(dropTrailingBlank(bufferText(this.em.term.buffer.alternate, 0, this.em.term.rows)));
  }

  feed(bytes: Buffer): void {
    this.writing = this.writing.then(async () => {
      await this.em.write(bytes);
      this.printFinished(false);
      if (this.em.alternate) this.scheduleFrame();
    });
  }

  private printFinished(all: boolean): void {
    if (this.em.alternate) return; // markers belong to the main screen; printed when it is back
    const b = this.em.term.buffer.normal;
    // Lines dropped from the history before being printed are gone: go on from the oldest.
    const from = this.next ? (this.next.isDisposed ? 0 : this.next.line) : this.nextLine;
    const end = all ? b.length : this.cursorLine();
    if (end <= from) return;
    const lines = bufferText(b, from, end);
    this.print(tailText(all ? dropTrailingBlank(lines) : lines));
    this.markNext();
  }

  private scheduleFrame(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = setTimeout(() => {
      this.frameTimer = null;
      if (!this.em.alternate) return;
      const f = this.frame();
      if (f !== this.lastFrame) this.print(f);
      this.lastFrame = f;
    }, this.settleMs);
  }

  /** The end: what is on the cursor's line too. */
  async finish(): Promise<void> {
    await this.writing;
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.printFinished(true);
    this.em.dispose();
  }
}
