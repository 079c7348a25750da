// The daemon's memory bounds per connection and across connections (SPEC §5, §12): what
// a client may make the daemon hold, whatever it sends or fails to read.
import { MAX_FRAME } from './frames.js';

/** Input a connection may have buffered without a share of the large-frame budget. */
export const SMALL_INPUT = 64 * 1024;
/** The handshake is a few bytes; before it, no frame may be larger than this. */
export const HANDSHAKE_MAX = 4096;
/** A connection that has not greeted within this long is closed. */
export const HANDSHAKE_MS = 5000;
/** No further request is read while more than this waits to go out to the client. */
export const OUTPUT_HIGH_WATER = 128 * 1024;
/** Simultaneous connections; more are refused with an error frame. */
export const MAX_CONNECTIONS = 256;
/** Bytes of frames larger than SMALL_INPUT that all connections together may be receiving. */
export const LARGE_FRAME_BUDGET = 32 * 1024 * 1024;

/**
 * The shared budget for large frames: a connection receiving a frame above SMALL_INPUT
 * holds its excess here until the frame has been handled (or the connection is gone).
 */
export class InputBudget {
  private used = 0;
  constructor(readonly total = LARGE_FRAME_BUDGET) {}

  /** Takes n bytes; false (and nothing taken) when they are not available. */
  take(n: number): boolean {
    if (this.used + n > this.total) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}

/** The bytes a frame of declared length `len` needs beyond the free allowance. */
export const excessOf = (len: number | null): number =>
  len === null || len > MAX_FRAME ? 0 : Math.max(0, len + 4 - SMALL_INPUT);
