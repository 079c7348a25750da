// Framing (SPEC §6). Request mode: [u32 BE length][msgpack map]. Stream mode (after
// attach / shell / logs --follow): [u32 BE length][u8 type][payload], where the length
// counts the type byte and the payload; type 0 = PTY bytes, type 1 = msgpack control.
// Frames are at most 1 MiB. One decoder serves both modes, so bytes that arrive right
// behind a request (already stream frames) are never lost when the mode switches.
import { Packr } from 'msgpackr';

export const MAX_FRAME = 1024 * 1024;
export const STREAM_DATA = 0;
export const STREAM_CONTROL = 1;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'number' });

/** Encodes a request-mode message. */
export function encodeMessage(msg: object): Buffer {
  const body = packr.pack(msg);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Encodes a stream-mode frame. */
export function encodeStreamFrame(type: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(payload.length + 1);
  head[4] = type;
  return Buffer.concat([head, payload]);
}

/** The 5 bytes before a stream frame's payload (written separately, the payload is not copied). */
export function streamFrameHead(type: number, payloadLength: number): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(payloadLength + 1);
  head[4] = type;
  return head;
}

export const encodeControl = (msg: object) => encodeStreamFrame(STREAM_CONTROL, packr.pack(msg));
export const encodeData = (bytes: Buffer) => encodeStreamFrame(STREAM_DATA, bytes);

/** Decodes a msgpack body; throws on malformed input. */
export function decodeBody(body: Buffer): unknown {
  return packr.unpack(body);
}

export type Frame =
  | { kind: 'message'; body: Buffer }
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'control'; body: Buffer };

export class FrameError extends Error {
  constructor(
    message: string,
    readonly code: 'MESSAGE_TOO_LARGE' | 'INVALID_COMMAND',
  ) {
    super(message);
  }
}

/** Pull decoder: push() chunks, then next() frames one at a time in the current mode. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private length = 0;
  mode: 'request' | 'stream' = 'request';

  push(chunk: Buffer): void {
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
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    this.length -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    for (let off = 0; off < n; ) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
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
    if (first.length >= 4) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks.slice(0, 4)).readUInt32BE(0);
  }

  /** The next complete frame, or null. Throws FrameError for a frame that cannot be valid. */
  next(): Frame | null {
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
