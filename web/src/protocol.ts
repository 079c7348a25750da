// The daemon's protocol (SPEC §6) over one Channel: handshake, requests, and stream mode
// after attach / shell. The codec is the daemon's own (lib/ipc/codec.ts).
import {
  ByteFrameDecoder, decodeBody, encodeControlBytes, encodeDataBytes, encodeMessageBytes, MAX_FRAME,
} from '../../lib/ipc/codec.js';
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import type { Channel, ChannelFactory, ChannelPurpose } from './transport.js';

export class ProtoError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Msg = Record<string, unknown>;

export interface StreamHandlers {
  /** Terminal bytes; call done() once they are consumed (rendered). */
  data(bytes: Uint8Array, done: () => void): void;
  event(ev: Msg): void;
  closed(why: string): void;
}

export class Conn {
  private readonly decoder = new ByteFrameDecoder();
  private readonly waiting: { resolve: (m: Msg) => void; reject: (e: Error) => void; stream: boolean }[] = [];
  private handlers: StreamHandlers | null = null;
  private closedWhy: string | null = null;
  onClose: ((why: string) => void) | null = null;
  /** Acknowledgements not yet sent (batched). */
  private unsent = 0;
  private pendingWrites = 0;

  private constructor(private readonly ch: Channel) {
    ch.onMessage = (b) => this.receive(b);
    ch.onClose = (why) => this.ended(why);
  }

  static async open(factory: ChannelFactory, purpose: ChannelPurpose): Promise<Conn> {
    const c = new Conn(await factory(purpose));
    const hello = await c.send({ version: PROTOCOL_VERSION }, false);
    if (hello.version !== PROTOCOL_VERSION) throw new ProtoError('VERSION_MISMATCH', 'the daemon speaks another protocol version');
    return c;
  }

  private ended(why: string): void {
    if (this.closedWhy !== null) return;
    this.closedWhy = why;
    for (const w of this.waiting.splice(0)) w.reject(new ProtoError('CLOSED', why));
    this.handlers?.closed(why);
    this.onClose?.(why);
  }

  private consumed(n: number): void {
    this.unsent += n;
    if (this.pendingWrites === 0 || this.unsent >= 64 * 1024) {
      this.ch.ack(this.unsent);
      this.unsent = 0;
    }
  }

  private receive(bytes: Uint8Array): void {
    this.decoder.push(bytes);
    let writes = 0;
    let finished = false;
    const done = () => {
      this.pendingWrites--;
      if (--writes === 0 && finished) this.consumed(bytes.length);
    };
    for (;;) {
      let f;
      try {
        f = this.decoder.next();
      } catch (e) {
        this.ch.close();
        return this.ended((e as Error).message);
      }
      if (!f) break;
      if (f.kind === 'message') {
        const m = decodeBody(f.body) as Msg;
        const w = this.waiting.shift();
        if (!w) continue;
        if (m.ok === false) w.reject(new ProtoError(String(m.error), String(m.message)));
        else {
          if (w.stream) this.decoder.mode = 'stream';
          w.resolve(m);
        }
      } else if (f.kind === 'data') {
        writes++;
        this.pendingWrites++;
        if (this.handlers) this.handlers.data(f.bytes, done);
        else done();
      } else {
        this.handlers?.event(decodeBody(f.body) as Msg);
      }
    }
    finished = true;
    if (writes === 0) this.consumed(bytes.length);
  }

  private send(msg: Msg, stream: boolean): Promise<Msg> {
    if (this.closedWhy !== null) return Promise.reject(new ProtoError('CLOSED', this.closedWhy));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, stream });
      this.ch.send(encodeMessageBytes(msg));
    });
  }

  request<T = Msg>(msg: Msg): Promise<T> {
    return this.send(msg, false) as Promise<T>;
  }

  /** attach / shell: the response; the channel then carries the stream to `handlers`. */
  stream(msg: Msg, handlers: StreamHandlers): Promise<Msg> {
    this.handlers = handlers;
    return this.send(msg, true);
  }

  input(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += MAX_FRAME - 1) this.ch.send(encodeDataBytes(bytes.subarray(i, i + MAX_FRAME - 1)));
  }

  control(msg: Msg): void {
    this.ch.send(encodeControlBytes(msg));
  }

  close(): void {
    this.handlers = null;
    this.ch.close();
  }
}
