// One client attached to a PTY: its share of the output (a bounded queue: a slow client
// falls behind alone, is told it lagged and gets a fresh replay), its input (filtered for
// web and tunnel clients of the agent), its window size.
import type { StreamSide } from '../ipc/server.js';
import { BLOCK_WARNING, InputFilter } from './filter.js';
import type { ScrollbackRing } from './ring.js';

/** Output a client may have waiting before it counts as lagging (SPEC §7). */
export const CLIENT_QUEUE_BYTES = 1024 * 1024;

export type ClientKind = 'local' | 'web' | 'tunnel';

export interface PtyClientOptions {
  kind: ClientKind;
  /** A follower: output only, its size does not count. */
  readonly: boolean;
  cols: number;
  rows: number;
  /** Filter input (SPEC §8) with these settings; null for none. */
  filter: { ctrlCDebounceMs: number; sequences: Buffer[] } | null;
}

export class PtyClient {
  readonly kind: ClientKind;
  readonly readonly: boolean;
  cols: number;
  rows: number;
  private readonly filter: InputFilter | null;
  private lagging = false;
  private dropped = 0;

  constructor(
    readonly stream: StreamSide,
    opts: PtyClientOptions,
    private readonly ring: ScrollbackRing,
    /** Where this client's (filtered) input goes. */
    input: (bytes: Buffer) => void,
  ) {
    this.kind = opts.kind;
    this.readonly = opts.readonly;
    this.cols = opts.cols;
    this.rows = opts.rows;
    this.filter = opts.filter
      ? new InputFilter({
          ...opts.filter,
          onData: input,
          onBlocked: (matched) => {
            stream.send(Buffer.from(BLOCK_WARNING));
            stream.control({ type: 'blocked', bytes: matched.length });
          },
        })
      : null;
    stream.onInput((bytes) => {
      if (this.readonly) return;
      if (this.filter) this.filter.write(bytes);
      else input(bytes);
    });
    stream.onClose(() => this.filter?.dispose());
  }

  /** PTY output for this client; never blocks. */
  output(bytes: Buffer): void {
    if (this.lagging) {
      this.dropped += bytes.length;
      return;
    }
    if (this.stream.bufferedBytes + bytes.length > CLIENT_QUEUE_BYTES) {
      // Stop queueing; once what is queued has gone out, say so and start over from the ring.
      this.lagging = true;
      this.dropped = bytes.length;
      this.stream.onDrain(() => this.recover());
      return;
    }
    this.stream.send(bytes);
  }

  private recover(): void {
    if (!this.lagging) return;
    this.lagging = false;
    this.stream.control({ type: 'lagged', dropped_bytes: this.dropped });
    this.dropped = 0;
    this.stream.send(this.ring.snapshot());
    this.stream.control({ type: 'replayed' });
  }
}
