// The input filter for web and tunnel clients of an agent's PTY (SPEC §8). One per client;
// local terminal clients and shell PTYs are never filtered. The matching is native
// (src-native/addon/filter.cc); this wrapper owns the 500 ms timer that releases held bytes.
import { native, type NativeFilter } from '../native.js';

/** What a client whose input was blocked receives. */
export const BLOCK_WARNING = '\r\n\x1b[1;33m⚠  Blocked from web. Use local terminal to exit.\x1b[0m\r\n';

/** Bytes held as a possible start of a blocked sequence are released after this much quiet. */
export const HOLD_FLUSH_MS = 500;

export interface InputFilterOptions {
  /** Further Ctrl+C within this many ms of a passed one are dropped (default 500). */
  ctrlCDebounceMs?: number;
  /** Extra sequences blocked anywhere (config's parseSequence output). */
  sequences?: Buffer[];
  /** Forwarded bytes, in order. */
  onData: (data: Buffer) => void;
  /** A dropped match (the bytes that were not forwarded). */
  onBlocked?: (matched: Buffer) => void;
  /** The clock (tests). */
  now?: () => number;
}

export class InputFilter {
  private readonly filter: NativeFilter;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: InputFilterOptions) {
    this.filter = new (native().InputFilter)(opts.ctrlCDebounceMs ?? 500, opts.sequences ?? []);
    this.now = opts.now ?? Date.now;
  }

  /** Input from the client. */
  write(chunk: Buffer): void {
    const { data, blocked } = this.filter.push(chunk, this.now());
    if (data.length) this.opts.onData(data);
    for (const b of blocked) this.opts.onBlocked?.(b);
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.filter.held > 0 ? setTimeout(() => this.flush(), HOLD_FLUSH_MS) : null;
  }

  /** Releases held bytes now (also what the timer does). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const held = this.filter.flush();
    if (held.length) this.opts.onData(held);
  }

  /** Bytes currently held. */
  get held(): number {
    return this.filter.held;
  }

  /** Stops the timer; held bytes are discarded. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
