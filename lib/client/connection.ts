// A client connection to the daemon: handshake, typed requests, and streams.
import { connect as netConnect, type Socket } from 'node:net';
import { CoopError, type ErrorCode } from '../errors.js';
import { decodeBody, encodeMessage, FrameDecoder } from '../ipc/frames.js';
import {
  PROTOCOL_VERSION, type AttachRequest, type Command, type DaemonControl, type LogsRequest, type OkResponse,
  type Request, type ShellRequest,
} from '../ipc/messages.js';
import { peerCred } from '../ipc/unix.js';
import { AttachStream } from './attach.js';
import { checkSocket } from './safe-path.js';

type Waiter = { resolve: (msg: Record<string, unknown>) => void; reject: (e: Error) => void; stream: boolean };

export class Connection {
  private readonly decoder = new FrameDecoder();
  private readonly waiting: Waiter[] = [];
  private stream: AttachStream | null = null;
  private closedError: Error | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new CoopError('DAEMON_FAILED', 'the daemon closed the connection')));
  }

  /**
   * Connects to a daemon socket and greets it. Rejects with the connect error (ENOENT,
   * ECONNREFUSED...), or before a byte is sent when the socket is not safely the caller's
   * (see safe-path.ts) or the process listening on it runs as another uid.
   */
  static open(socketPath: string, version = PROTOCOL_VERSION): Promise<Connection> {
    try {
      checkSocket(socketPath);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const socket = netConnect(socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const uid = peerCred(socket)?.uid;
        if (uid !== process.getuid!()) {
          socket.destroy();
          return reject(new CoopError('DAEMON_FAILED', `refusing to use ${socketPath}: the process listening on it runs as uid ${uid ?? 'unknown'}, not as you (uid ${process.getuid!()}); remove the socket, or set COOP_HOME to a directory of your own`));
        }
        const c = new Connection(socket);
        c.send({ version }, false).then(() => resolve(c), (e) => reject(explainMismatch(e, version)));
      });
    });
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk);
    for (;;) {
      let frame;
      try {
        frame = this.decoder.next();
      } catch (e) {
        this.socket.destroy(e as Error);
        return;
      }
      if (!frame) return;
      if (frame.kind === 'message') {
        let msg: Record<string, unknown>;
        try {
          msg = decodeBody(frame.body) as Record<string, unknown>;
        } catch (e) {
          this.socket.destroy(e as Error);
          return;
        }
        const w = this.waiting.shift();
        if (!w) continue;
        if (msg.ok === false) {
          w.reject(new CoopError(msg.error as ErrorCode, String(msg.message)));
          continue;
        }
        if (w.stream) {
          // Everything after this response is stream frames, possibly in this very chunk.
          // They are handled from the next turn of the event loop, once the caller has the
          // stream and its listeners: no output and no event is lost.
          this.decoder.mode = 'stream';
          this.stream = new AttachStream(this.socket);
          w.resolve(msg);
          this.socket.pause();
          setImmediate(() => {
            this.socket.resume();
            this.onData(Buffer.alloc(0));
          });
          return;
        }
        w.resolve(msg);
      } else if (this.stream) {
        if (frame.kind === 'data') this.stream.receiveData(frame.bytes);
        else {
          try {
            this.stream.receiveControl(decodeBody(frame.body) as DaemonControl);
          } catch {
            this.socket.destroy();
            return;
          }
        }
      }
    }
  }

  private send(msg: object, stream: boolean): Promise<Record<string, unknown>> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, stream });
      this.socket.write(encodeMessage(msg));
    });
  }

  /** Sends a request; resolves with the response or rejects with a CoopError carrying its code. */
  request<C extends Exclude<Command, 'attach' | 'shell'>>(req: Extract<Request, { cmd: C }>): Promise<OkResponse<C>> {
    return this.send(req, false) as Promise<OkResponse<C>>;
  }

  /** Sends attach / shell / logs --follow; the connection becomes the returned stream. */
  async openStream(req: AttachRequest | ShellRequest | LogsRequest): Promise<{ response: Record<string, unknown>; stream: AttachStream }> {
    const response = await this.send(req, true);
    return { response, stream: this.stream! };
  }

  close(): void {
    this.socket.end();
  }
}/** The protocol version a daemon that refused our handshake speaks, from its VERSION_MISMATCH. */
export function daemonProtocol(e: unknown): number | null {
  if (!(e instanceof CoopError) || e.code !== 'VERSION_MISMATCH') return null;
  const m = /(?:speaks protocol version|daemon speaks protocol) (\d+)/.exec(e.message);
  return m ? Number(m[1]) : null;
}

function explainMismatch(e: unknown, ours: number): unknown {
  const theirs = daemonProtocol(e);
  if (theirs === null || theirs === ours) return e;
  return new CoopError('VERSION_MISMATCH', `the running daemon speaks protocol ${theirs} and this coop speaks ${ours}: it is another version of coop; \`coop system shutdown\` replaces it (its boxes keep running)`);
}


