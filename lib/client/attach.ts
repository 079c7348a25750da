// A stream-mode connection as a Node Duplex: write keystrokes, read PTY output, and the
// daemon's events (pty_exited, pty_restarting, detached, lagged, blocked).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { encodeControl, encodeData, MAX_FRAME } from '../ipc/frames.js';
import type { DaemonControl, ExitReason } from '../ipc/messages.js';

/**
 * The events of an AttachStream besides 'data': the PTY's process exited (`pty_exited`, with
 * why) or is being restarted (`pty_restarting`), the scrollback replay is done (`replayed`),
 * the stream was `detached`, this client fell behind and got a fresh replay (`lagged`), or
 * filtered input was `blocked`.
 *
 * @example
 *   const onExit: AttachEvents['pty_exited'] = ({ code, signal }) => console.log(code ?? signal);
 *   stream.on('pty_exited', onExit);
 */
export interface AttachEvents {
  pty_exited: (e: { code: number | null; signal: string | null; reason?: ExitReason }) => void;
  replayed: () => void;
  pty_restarting: (e: { delay_ms: number }) => void;
  detached: (e: { reason?: string }) => void;
  lagged: (e: { dropped_bytes: number }) => void;
  blocked: (e: { bytes: number }) => void;
}

/**
 * A PTY of a box as a Duplex stream (from Client's attach, shell and follow): read its
 * output, write keystrokes, `resize()`, `detach()`; daemon events are emitted by name
 * (see AttachEvents), and `ending` says why the stream ended.
 *
 * @example
 *   const stream: AttachStream = await client.attach({ box: 'api', cols: 80, rows: 24 });
 *   stream.pipe(process.stdout);
 *   stream.on('close', () => console.log(stream.ending));
 */
export class AttachStream extends Duplex {
  /**
   * Why the stream ended, once it has: the last `pty_exited` or `detached` event.
   *
   * @example
   *   stream.on('close', () => console.log(stream.ending?.type));   // 'pty_exited' or 'detached'
   */
  ending: DaemonControl | null = null;
  /**
   * The PTY's size when its scrollback was taken, if the daemon said (render the replay at it).
   *
   * @example
   *   const { cols, rows } = stream.ptySize ?? { cols: 80, rows: 24 };
   */
  ptySize: { cols: number; rows: number } | null = null;

  constructor(private readonly socket: Socket) {
    super({ allowHalfOpen: false });
    socket.on('close', () => {
      this.push(null);
      this.destroy();
    });
    socket.on('error', (e) => this.destroy(e));
  }

  /** Called by the connection with each PTY data frame. @internal */
  receiveData(bytes: Buffer): void {
    if (!this.push(bytes)) this.socket.pause();
  }

  /** Called by the connection with each control frame. @internal */
  receiveControl(msg: DaemonControl): void {
    if (msg.type === 'pty_exited' || msg.type === 'detached') this.ending = msg;
    const { type, ...fields } = msg;
    this.emit(type, fields);
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const max = MAX_FRAME - 1;
    for (let i = 0; i < chunk.length; i += max) {
      const last = i + max >= chunk.length;
      const ok = this.socket.write(encodeData(chunk.subarray(i, i + max)), last ? cb : undefined);
      void ok;
    }
    if (chunk.length === 0) cb();
  }

  /**
   * Tells the daemon this client's window size (the PTY takes the smallest of its
   * interactive clients').
   *
   * @example
   *   process.stdout.on('resize', () => stream.resize(process.stdout.columns, process.stdout.rows));
   */
  resize(cols: number, rows: number): void {
    this.socket.write(encodeControl({ type: 'resize', cols, rows }));
  }

  /**
   * Leaves the PTY running; the daemon answers with `detached` and closes the stream.
   *
   * @example
   *   stream.detach();
   */
  detach(): void {
    this.socket.write(encodeControl({ type: 'detach' }));
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }

  override on<E extends keyof AttachEvents>(event: E, listener: AttachEvents[E]): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
}
