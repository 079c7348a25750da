// Following a file that another process appends lines to (a box's network.log, where its
// allowlist proxy writes each refusal): new complete lines are handed over as they come.
import { closeSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export class LineFollower {
  private offset = 0;
  private partial = '';
  private watcher: FSWatcher | null = null;

  /** From the file's current end (`fromStart`: from its beginning); the file may not exist yet. */
  constructor(private readonly file: string, private readonly onLine: (line: string) => void, fromStart = false) {
    if (!fromStart) this.offset = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    try {
      this.watcher = watch(dirname(file), (_event, name) => {
        if (!name || name === basename(file)) this.read();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = null; // the directory is gone: the box is ending
    }
  }

  private read(): void {
    const size = statSync(this.file, { throwIfNoEntry: false })?.size;
    if (size === undefined) return;
    if (size < this.offset) this.offset = 0; // started again from empty
    if (size === this.offset) return;
    const buf = Buffer.alloc(Math.min(size - this.offset, 1 << 20));
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    try {
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const lines = (this.partial + buf.toString('utf8', 0, n)).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line) this.onLine(line);
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}
