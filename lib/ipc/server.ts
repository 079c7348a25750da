// The daemon's side of one connection, over any byte transport: handshake, requests in
// order, responses, and the switch to stream mode for attach / shell / logs --follow.
// Garbage from one client gets an error response or a closed connection; it never throws.
// What a connection can make the daemon hold is bounded (see limits.ts): input is read
// only up to the frame at hand, requests are not read while responses pile up unread,
// stream input waits while the PTY does not take it, and a silent peer is closed.
import { CoopError, type ErrorCode } from '../errors.js';
import {
  decodeBody, encodeControl, encodeData, encodeMessage, FrameDecoder, FrameError, MAX_FRAME, STREAM_DATA, streamFrameHead, type Frame,
} from './frames.js';
import { excessOf, HANDSHAKE_MAX, HANDSHAKE_MS, OUTPUT_HIGH_WATER, SMALL_INPUT, type InputBudget } from './limits.js';
import {
  isStreaming, PROTOCOL_VERSION, type ClientControl, type Command, type DaemonControl, type ErrorResponse,
  type Request, type Responses,
} from './messages.js';
import { InvalidRequest, validateControl, validateRequest } from './validate.js';

/** The least a transport must offer (net.Socket does; a WebSocket adapter can). */
export interface Transport {
  write(chunk: Buffer): boolean;
  end(): void;
  destroy(): void;
  /** Stop and start delivering 'data' (backpressure towards the peer). */
  pause(): unknown;
  resume(): unknown;
  on(event: 'data', cb: (chunk: Buffer) => void): unknown;
  on(event: 'close' | 'drain', cb: () => void): unknown;
  on(event: 'error', cb: (e: Error) => void): unknown;
  once(event: 'drain', cb: () => void): unknown;
  readonly writableLength: number;
  /** Optional (net.Socket has them): hold writes and send them together (writev). */
  cork?(): void;
  uncork?(): void;
}

/** PTY output at least this large is written beside its frame head, not copied into one buffer. */
const NO_COPY_BYTES = 1024;

/** A connection in stream mode, as a handler sees it. */
export interface StreamSide {
  /** PTY bytes to the client; false when the transport is backed up (see bufferedBytes). */
  send(bytes: Buffer): boolean;
  control(msg: DaemonControl): void;
  onInput(cb: (bytes: Buffer) => void): void;
  onControl(cb: (msg: ClientControl) => void): void;
  onClose(cb: () => void): void;
  /** Once, when the transport has taken everything written so far. */
  onDrain(cb: () => void): void;
  /** Bytes written but not yet taken by the transport. */
  readonly bufferedBytes: number;
  /** Stops taking the client's frames (its input cannot go anywhere yet), until resumeInput. */
  pauseInput(): void;
  resumeInput(): void;
  close(): void;
}

/** A streaming command's result: the response fields, then the stream is handed over. */
export interface StreamStart<R> {
  response: R;
  start(stream: StreamSide): void;
}

type Plain = { [C in Command]: (req: Extract<Request, { cmd: C }>) => Promise<Responses[C]> | Responses[C] };
type Streamed = {
  attach: (req: Extract<Request, { cmd: 'attach' }>) => Promise<StreamStart<Responses['attach']>>;
  shell: (req: Extract<Request, { cmd: 'shell' }>) => Promise<StreamStart<Responses['shell']>>;
  logsFollow: (req: Extract<Request, { cmd: 'logs' }>) => Promise<StreamStart<Responses['logs']>>;
};
export type Handlers = Omit<Plain, 'attach' | 'shell'> & Streamed;

const errorResponse = (error: ErrorCode, message: string): ErrorResponse => ({ ok: false, error, message });

/** How long a connection closed for an error may take to flush its last frame before it is cut. */
const CLOSE_GRACE_MS = 2000;
/** The same for a stream that ended normally (its client may still be reading the output). */
const STREAM_CLOSE_GRACE_MS = 60_000;

/** Sends one error frame and closes (a refused connection); never waits on the peer for long. */
export function refuseConnection(transport: Transport, error: ErrorCode, message: string): void {
  transport.on('error', () => {});
  transport.write(encodeMessage(errorResponse(error, message)));
  transport.end();
  setTimeout(() => transport.destroy(), CLOSE_GRACE_MS).unref();
}

class ServerStream implements StreamSide {
  private inputCbs: ((b: Buffer) => void)[] = [];
  private controlCbs: ((m: ClientControl) => void)[] = [];
  private closeCbs: (() => void)[] = [];
  private pending: Frame[] = [];
  private started = false;
  closed = false;
  inputPaused = false;
  private corked = false;

  constructor(
    private readonly transport: Transport,
    /** Called when input may flow again. */
    private readonly onResume: () => void,
  ) {}

  send(bytes: Buffer): boolean {
    if (this.closed) return false;
    this.coalesce();
    if (bytes.length < NO_COPY_BYTES || !this.corked) return this.transport.write(encodeData(bytes));
    this.transport.write(streamFrameHead(STREAM_DATA, bytes.length));
    return this.transport.write(bytes);
  }
  control(msg: DaemonControl): void {
    if (this.closed) return;
    this.coalesce();
    this.transport.write(encodeControl(msg));
  }
  /**
   * What is written in this turn of the event loop goes out together (one writev), right
   * after the turn's I/O callbacks: a burst of small outputs costs one system call.
   */
  private coalesce(): void {
    if (this.corked || !this.transport.cork || !this.transport.uncork) return;
    this.corked = true;
    this.transport.cork();
    setImmediate(() => {
      this.corked = false;
      this.transport.uncork!();
    });
  }
  onInput(cb: (b: Buffer) => void): void {
    this.inputCbs.push(cb);
  }
  onControl(cb: (m: ClientControl) => void): void {
    this.controlCbs.push(cb);
  }
  onClose(cb: () => void): void {
    if (this.closed) cb();
    else this.closeCbs.push(cb);
  }
  onDrain(cb: () => void): void {
    if (this.transport.writableLength === 0) return void setImmediate(cb);
    this.transport.once('drain', cb);
  }
  get bufferedBytes(): number {
    return this.transport.writableLength;
  }
  pauseInput(): void {
    this.inputPaused = true;
  }
  resumeInput(): void {
    if (!this.inputPaused) return;
    this.inputPaused = false;
    if (!this.closed) this.onResume();
  }
  close(): void {
    this.transport.end();
    setTimeout(() => this.transport.destroy(), STREAM_CLOSE_GRACE_MS).unref();
  }

  /** Frames that arrive before the handler took over are kept for it. */
  deliver(frame: Frame): void {
    if (!this.started) {
      this.pending.push(frame);
      return;
    }
    if (frame.kind === 'data') for (const cb of this.inputCbs) cb(frame.bytes);
    else if (frame.kind === 'control') {
      let msg: ClientControl;
      try {
        msg = validateControl(decodeBody(frame.body));
      } catch {
        this.transport.destroy(); // a broken stream cannot be resynchronised
        return;
      }
      for (const cb of this.controlCbs) cb(msg);
    }
  }
  begin(): void {
    this.started = true;
    for (const f of this.pending.splice(0)) this.deliver(f);
  }
  ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    for (const cb of this.closeCbs.splice(0)) cb();
    this.inputCbs = [];
    this.controlCbs = [];
  }
}

export interface ServeOptions {
  /** Called with handler errors that were not CoopErrors (bugs), for the log. */
  onInternalError?: (e: unknown) => void;
  /** Shared by all connections: frames above SMALL_INPUT take their excess from it. */
  budget?: InputBudget;
  /** Close a connection that has not greeted after this long (default HANDSHAKE_MS). */
  handshakeMs?: number;
}

/** Serves one connection until it closes. */
export function serveConnection(transport: Transport, handlers: Handlers, opts: ServeOptions = {}): void {
  const decoder = new FrameDecoder();
  let greeted = false;
  let busy = false;
  let stream: ServerStream | null = null;
  let dead = false;
  /** Bytes of opts.budget this connection holds for the frame at its head. */
  let reserved = 0;
  let reading = true;
  let awaitingDrain = false;

  const reply = (msg: object) => {
    if (!dead) transport.write(encodeMessage(msg));
  };
  const fatal = (msg: object) => {
    reply(msg);
    dead = true;
    release();
    transport.end();
    setTimeout(() => transport.destroy(), CLOSE_GRACE_MS).unref();
  };
  const release = () => {
    if (reserved) opts.budget?.give(reserved);
    reserved = 0;
  };
  const greeting = setTimeout(() => {
    if (!greeted && !dead) fatal(errorResponse('VERSION_MISMATCH', `no handshake within ${(opts.handshakeMs ?? HANDSHAKE_MS) / 1000} s; start with {version: ${PROTOCOL_VERSION}}`));
  }, opts.handshakeMs ?? HANDSHAKE_MS);
  greeting.unref();

  /**
   * Reads only what the frame at the head needs: up to SMALL_INPUT of small frames, or the
   * whole of one large frame, whose excess must come from the shared budget.
   */
  function flow(): void {
    if (dead) return;
    const head = decoder.headLength();
    if (!greeted && head !== null && head > HANDSHAKE_MAX) {
      return fatal(errorResponse('MESSAGE_TOO_LARGE', `a handshake is at most ${HANDSHAKE_MAX} bytes; this frame has ${head}`));
    }
    const want = excessOf(head);
    if (want > reserved) {
      if (opts.budget && !opts.budget.take(want - reserved)) {
        const mib = Math.round(opts.budget.total / 1024 / 1024);
        if (stream) {
          dead = true;
          release();
          return transport.destroy();
        }
        return fatal(errorResponse('BUSY', `the daemon is already receiving ${mib} MiB of large frames from other connections; try again`));
      }
      reserved = want;
    } else if (want < reserved) {
      opts.budget?.give(reserved - want);
      reserved = want;
    }
    // (A frame over the limit is refused when it comes up; nothing more is read for it.)
    const need = head !== null && head <= MAX_FRAME ? Math.max(SMALL_INPUT, head + 4) : SMALL_INPUT;
    const read = decoder.buffered < need;
    if (read === reading) return;
    reading = read;
    if (read) transport.resume();
    else transport.pause();
  }

  /** Requests wait while their responses are not being read; stream input while the PTY is full. */
  function held(): boolean {
    if (stream) return stream.inputPaused;
    if (transport.writableLength <= OUTPUT_HIGH_WATER) return false;
    if (!awaitingDrain) {
      awaitingDrain = true;
      transport.once('drain', () => {
        awaitingDrain = false;
        void pump();
      });
    }
    return true;
  }

  async function handle(req: Request): Promise<void> {
    try {
      if (isStreaming(req)) {
        const s = new ServerStream(transport, () => void pump());
        stream = s;
        decoder.mode = 'stream'; // at once: what follows the request are stream frames
        const h = req.cmd === 'attach' ? handlers.attach(req) : req.cmd === 'shell' ? handlers.shell(req) : handlers.logsFollow(req as Extract<Request, { cmd: 'logs' }>);
        const started = await h;
        reply({ ok: true, ...started.response });
        if (dead || s.closed) return s.ended();
        started.start(s);
        s.begin();
        return;
      }
      const fn = (handlers as unknown as Record<string, (r: Request) => unknown>)[req.cmd]!;
      reply({ ok: true, ...((await fn(req)) as object) });
    } catch (e) {
      const err = e instanceof CoopError ? errorResponse(e.code, e.message) : errorResponse('INTERNAL', (e as Error)?.message ?? String(e));
      if (!(e instanceof CoopError)) opts.onInternalError?.(e);
      if (stream) fatal(err); // the client may already have sent stream frames
      else reply(err);
    }
  }

  function onMessage(frame: Frame): Promise<void> | void {
    let msg: unknown;
    try {
      msg = decodeBody((frame as { body: Buffer }).body);
    } catch {
      return reply(errorResponse('INVALID_COMMAND', 'malformed msgpack'));
    }
    if (!greeted) {
      const v = msg && typeof msg === 'object' && !Array.isArray(msg) ? (msg as { version?: unknown }).version : undefined;
      if (v !== PROTOCOL_VERSION) {
        return fatal(errorResponse('VERSION_MISMATCH', `this daemon speaks protocol version ${PROTOCOL_VERSION}; start with {version: ${PROTOCOL_VERSION}}`));
      }
      greeted = true;
      clearTimeout(greeting);
      return reply({ version: PROTOCOL_VERSION, ok: true });
    }
    let req: Request;
    try {
      req = validateRequest(msg);
    } catch (e) {
      return reply(errorResponse('INVALID_COMMAND', e instanceof InvalidRequest ? e.message : 'invalid request'));
    }
    return handle(req);
  }

  async function pump(): Promise<void> {
    if (busy) return;
    busy = true;
    try {
      while (!dead && !held()) {
        let frame: Frame | null;
        try {
          frame = decoder.next();
        } catch (e) {
          if (e instanceof FrameError && e.code === 'INVALID_COMMAND' && !stream) {
            reply(errorResponse('INVALID_COMMAND', e.message));
            continue;
          }
          if (stream) transport.destroy();
          else fatal(errorResponse(e instanceof FrameError ? e.code : 'INVALID_COMMAND', (e as Error).message));
          return;
        }
        if (!frame) return;
        if (stream) (stream as ServerStream).deliver(frame);
        else await onMessage(frame);
        flow(); // that frame is done with: read on
      }
    } finally {
      busy = false;
      flow();
    }
  }

  transport.on('data', (chunk) => {
    if (dead) return;
    decoder.push(chunk);
    flow();
    void pump();
  });
  transport.on('error', () => {});
  transport.on('close', () => {
    dead = true;
    clearTimeout(greeting);
    decoder.clear(); // nothing a gone client sent is kept
    release();
    stream?.ended();
  });
}
