// A WebSocket as the daemon's Transport (lib/ipc/server.ts): binary messages carry the
// protocol's bytes, exactly as a Unix socket would; text messages are the transport's own
// flow control: the page acknowledges, with {"ack": N}, the N bytes it has consumed
// (rendered, for terminal output). What is written and not yet acknowledged counts as
// buffered, so a browser tab that cannot keep up is a slow client like any other (bounded
// queue, `lagged`, a fresh replay) and a flood never piles up in the tab.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import type { Transport } from '../ipc/server.js';

/** write() says "wait for drain" above this many buffered bytes. */
const HIGH_WATER = 256 * 1024;
/** An unanswered ping for this long ends the connection (a phone that went away). */
const PING_MS = 30_000;

export class WebSocketTransport extends EventEmitter implements Transport {
  /** Bytes sent and not yet acknowledged by the page. */
  private unacked = 0;
  private paused = false;
  private readonly held: Buffer[] = [];
  private closed = false;
  private alive = true;
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly ws: WebSocket) {
    super();
    const socket = (ws as unknown as { _socket: Socket })._socket;
    ws.on('message', (data: RawData, isBinary: boolean) => (isBinary ? this.binary(data) : this.text(data)));
    ws.on('pong', () => (this.alive = true));
    ws.on('error', (e) => this.emit('error', e));
    ws.on('close', () => this.gone());
    socket.on('drain', () => this.maybeDrain());
    this.pinger = setInterval(() => {
      if (!this.alive) return void ws.terminate();
      this.alive = false;
      ws.ping();
    }, PING_MS);
    this.pinger.unref();
  }

  private binary(data: RawData): void {
    const chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (this.paused) this.held.push(chunk);
    else this.emit('data', chunk);
  }

  private text(data: RawData): void {
    let n: unknown;
    try {
      n = (JSON.parse(data.toString()) as { ack?: unknown }).ack;
    } catch {
      n = undefined;
    }
    if (!Number.isSafeInteger(n) || (n as number) < 0) {
      this.ws.close(1003, 'text messages are acknowledgements: {"ack": N}');
      return;
    }
    this.unacked = Math.max(0, this.unacked - (n as number));
    this.maybeDrain();
  }

  private maybeDrain(): void {
    if (this.writableLength === 0 && this.listenerCount('drain') > 0) this.emit('drain');
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    this.held.length = 0;
    this.emit('close');
  }

  write(chunk: Buffer): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return false;
    this.unacked += chunk.length;
    this.ws.send(chunk, { binary: true });
    return this.writableLength < HIGH_WATER;
  }

  end(): void {
    if (!this.closed) this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
    this.gone();
  }

  pause(): void {
    this.paused = true;
    this.ws.pause();
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && this.held.length) this.emit('data', this.held.shift()!);
    if (!this.paused) this.ws.resume();
  }

  /** Bytes not yet taken: in the socket, and sent but not acknowledged. */
  get writableLength(): number {
    return this.ws.bufferedAmount + this.unacked;
  }
}
