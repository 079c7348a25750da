// The framing codec (SPEC §6) on plain Uint8Array, so that the daemon, the CLI and the
// browser page share one module. Request mode: [u32 BE length][msgpack map]. Stream mode
// (after attach / shell / logs --follow): [u32 BE length][u8 type][payload], where the
// length counts the type byte and the payload; type 0 = PTY bytes, type 1 = msgpack
// control. Frames are at most 1 MiB. One decoder serves both modes, so bytes that arrive
// right behind a request (already stream frames) are never lost when the mode switches.
// No Node API here: lib/ipc/frames.ts gives Node callers Buffers.
import { Packr } from 'msgpackr';

export const MAX_FRAME = 1024 * 1024;
export const STREAM_DATA = 0;
export const STREAM_CONTROL = 1;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'number' });

function withHead(headLen: number, length: number, body: Uint8Array, type?: number): Uint8Array {
  const out = new Uint8Array(headLen + body.length);
  new DataView(out.buffer).setUint32(0, length);
  if (type !== undefined) out[4] = type;
  out.set(body, headLen);
  return out;
}

/** Encodes a request-mode message. */
export function encodeMessageBytes(msg: object): Uint8Array {
  const body = packr.pack(msg) as Uint8Array;
  return withHead(4, body.length, body);
}

/** Encodes a stream-mode frame. */
export function encodeStreamBytes(type: number, payload: Uint8Array): Uint8Array {
  return withHead(5, payload.length + 1, payload, type);
}

export const encodeControlBytes = (msg: object) => encodeStreamBytes(STREAM_CONTROL, packr.pack(msg) as Uint8Array);
export const encodeDataBytes = (bytes: Uint8Array) => encodeStreamBytes(STREAM_DATA, bytes);

/** Decodes a msgpack body; throws on malformed input. */
export function decodeBody(body: Uint8Array): unknown {
  return packr.unpack(body);
}

export type RawFrame =
  | { kind: 'message'; body: Uint8Array }
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'control'; body: Uint8Array };

export class FrameError extends Error {
  constructor(
    message: string,
    readonly code: 'MESSAGE_TOO_LARGE' | 'INVALID_COMMAND',
  ) {
    super(message);
  }
}

/** Pull decoder: push() chunks, then next() frames one at a time in the current mode. */
export class ByteFrameDecoder {
  private chunks: Uint8Array[] = [];
  private length = 0;
  mode: 'request' | 'stream' = 'request';

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Forgets everything buffered (the connection is gone). */
  clear(): void {
    this.chunks = [];
    this.length = 0;
  }

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.length;
  }

  /** The first n buffered bytes (copying only when a frame spans chunks). */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    this.length -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    for (let off = 0; off < n; ) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  /** The declared length of the next frame, once its 4 length bytes are here. */
  headLength(): number | null {
    if (this.length < 4) return null;
    const first = this.chunks[0]!;
    const b = first.length >= 4 ? first : this.take4();
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  /** The first 4 bytes when they span chunks (copied; nothing is consumed). */
  private take4(): Uint8Array {
    const out = new Uint8Array(4);
    let n = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, 4 - n);
      out.set(c.subarray(0, k), n);
      n += k;
      if (n === 4) break;
    }
    return out;
  }

  /** The next complete frame, or null. Throws FrameError for a frame that cannot be valid. */
  next(): RawFrame | null {
    const len = this.headLength();
    if (len === null) return null;
    if (len > MAX_FRAME) throw new FrameError(`frame of ${len} bytes is larger than the 1 MiB limit`, 'MESSAGE_TOO_LARGE');
    if (len === 0) {
      this.take(4);
      throw new FrameError(this.mode === 'stream' ? 'empty stream frame (no type byte)' : 'empty message', 'INVALID_COMMAND');
    }
    if (this.length < 4 + len) return null;
    const frame = this.take(4 + len).subarray(4);
    if (this.mode === 'request') return { kind: 'message', body: frame };
    const type = frame[0];
    if (type === STREAM_DATA) return { kind: 'data', bytes: frame.subarray(1) };
    if (type === STREAM_CONTROL) return { kind: 'control', body: frame.subarray(1) };
    throw new FrameError(`unknown stream frame type ${type}`, 'INVALID_COMMAND');
  }
}
