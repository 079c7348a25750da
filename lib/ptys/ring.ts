// The scrollback of a PTY: the last 256 KiB of its output (native, src-native/addon/ring.cc).
//
// Contract with attaching clients: subscribe to live output and take snapshot() in the same
// JavaScript turn (no output can be delivered between the two), then send the snapshot
// before any live bytes — nothing is lost or sent twice. `written` is the total ever
// written; since(offset) gives what followed an offset, or null once it was overwritten.
import { native, type NativeRing } from '../native.js';

export const SCROLLBACK_BYTES = 256 * 1024;

export type ScrollbackRing = NativeRing;

export function createRing(capacity = SCROLLBACK_BYTES): ScrollbackRing {
  return new (native().ScrollbackRing)(capacity);
}
