// Framing (SPEC §6) for Node callers: the codec of codec.ts (shared with the browser page)
// with Buffers in and out.
import {
  ByteFrameDecoder, decodeBody as decodeBytes, encodeControlBytes, encodeDataBytes, encodeMessageBytes, encodeStreamBytes,
  FrameError, MAX_FRAME, STREAM_CONTROL, STREAM_DATA,
} from './codec.js';

export { FrameError, MAX_FRAME, STREAM_CONTROL, STREAM_DATA };

/** A Buffer over the same memory (no copy). */
export const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

export const encodeMessage = (msg: object): Buffer => asBuffer(encodeMessageBytes(msg));
export const encodeStreamFrame = (type: number, payload: Uint8Array): Buffer => asBuffer(encodeStreamBytes(type, payload));
export const encodeControl = (msg: object): Buffer => asBuffer(encodeControlBytes(msg));
export const encodeData = (bytes: Uint8Array): Buffer => asBuffer(encodeDataBytes(bytes));
export const decodeBody = (body: Uint8Array): unknown => decodeBytes(body);

/** The 5 bytes before a stream frame's payload (written separately, the payload is not copied). */
export function streamFrameHead(type: number, payloadLength: number): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(payloadLength + 1);
  head[4] = type;
  return head;
}

export type Frame =
  | { kind: 'message'; body: Buffer }
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'control'; body: Buffer };

/** Pull decoder: push() chunks, then next() frames one at a time in the current mode. */
export class FrameDecoder extends ByteFrameDecoder {
  override next(): Frame | null {
    const f = super.next();
    if (!f) return null;
    return f.kind === 'data' ? { kind: 'data', bytes: asBuffer(f.bytes) } : { kind: f.kind, body: asBuffer(f.body) };
  }
}
