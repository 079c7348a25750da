// Where each key of a TOML document is written: dotted key path -> 1-based line.
// smol-toml returns values without positions; validation errors need the line. The
// text has already been parsed successfully, so this scanner can assume valid TOML.

class Scanner {
  pos = 0;
  line = 1;
  readonly lines = new Map<string, number>();
  constructor(private readonly s: string) {}

  private peek(off = 0): string {
    return this.s[this.pos + off] ?? '';
  }
  private next(): string {
    const c = this.s[this.pos++] ?? '';
    if (c === '\n') this.line++;
    return c;
  }
  private startsWith(t: string): boolean {
    return this.s.startsWith(t, this.pos);
  }
  private record(path: string[], line: number): void {
    for (let i = 1; i <= path.length; i++) {
      const key = path.slice(0, i).join('.');
      if (!this.lines.has(key)) this.lines.set(key, line);
    }
  }

  /** Skips spaces, tabs, comments and (when allowed) newlines. */
  private skip(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.next();
      else if (c === '#') while (this.pos < this.s.length && this.peek() !== '\n') this.next();
      else return;
    }
  }

  private readString(): string {
    const quote = this.peek();
    const triple = this.startsWith(quote.repeat(3));
    const delim = triple ? quote.repeat(3) : quote;
    for (let i = 0; i < delim.length; i++) this.next();
    let out = '';
    while (this.pos < this.s.length && !this.startsWith(delim)) {
      const c = this.next();
      if (c === '\\' && quote === '"') out += this.next();
      else out += c;
    }
    for (let i = 0; i < delim.length; i++) this.next();
    // A closing """ may be followed by up to two more quotes that belong to the string.
    while (triple && this.peek() === quote) this.next();
    return out;
  }

  private readKey(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skip(false);
      const c = this.peek();
      if (c === '"' || c === "'") parts.push(this.readString());
      else {
        let k = '';
        while (/[A-Za-z0-9_-]/.test(this.peek())) k += this.next();
        parts.push(k);
      }
      this.skip(false);
      if (this.peek() !== '.') return parts;
      this.next();
    }
  }

  private readValue(path: string[]): void {
    this.skip(false);
    const c = this.peek();
    if (c === '"' || c === "'") this.readString();
    else if (c === '{') this.readInline(path);
    else if (c === '[') this.readArray(path);
    else while (this.pos < this.s.length && !/[\n,\]}#]/.test(this.peek())) this.next();
  }

  private readInline(path: string[]): void {
    this.next(); // {
    for (;;) {
      this.skip(true);
      if (this.peek() === '}' || this.pos >= this.s.length) break;
      const line = this.line;
      const key = [...path, ...this.readKey()];
      this.record(key, line);
      this.skip(false);
      this.next(); // =
      this.readValue(key);
      this.skip(true);
      if (this.peek() === ',') this.next();
    }
    this.next(); // }
  }

  private readArray(path: string[]): void {
    this.next(); // [
    for (;;) {
      this.skip(true);
      if (this.peek() === ']' || this.pos >= this.s.length) break;
      this.readValue(path);
      this.skip(true);
      if (this.peek() === ',') this.next();
    }
    this.next(); // ]
  }

  scan(): Map<string, number> {
    let table: string[] = [];
    while (this.pos < this.s.length) {
      this.skip(true);
      if (this.pos >= this.s.length) break;
      const line = this.line;
      if (this.peek() === '[') {
        const array = this.startsWith('[[');
        this.next();
        if (array) this.next();
        table = this.readKey();
        this.record(table, line);
        this.next();
        if (array) this.next();
        continue;
      }
      const key = [...table, ...this.readKey()];
      this.record(key, line);
      this.skip(false);
      this.next(); // =
      this.readValue(key);
    }
    return this.lines;
  }
}

/** Line of every key (and every table/prefix) of a valid TOML document. */
export function locateKeys(source: string): Map<string, number> {
  return new Scanner(source).scan();
}
