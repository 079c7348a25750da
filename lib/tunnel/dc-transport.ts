// A WebRTC DataChannel (werift) as the daemon's Transport (lib/ipc/server.ts), the tunnel's
// counterpart of ws-transport.ts; the channel's conventions are in flow.ts. Output: what is
// in werift's send buffer (bufferedAmount) plus what the page has not yet acknowledged is
// writableLength, so a tab that cannot keep up is a slow client like any other (bounded
// queue, `lagged`, replay), and `drain` comes when both are empty. Input: messages that
// arrive while the protocol has paused us are held, and acknowledged only once taken; the
// page keeps at most INPUT_WINDOW unacknowledged, so a peer holding more is misbehaving and
// its channel is closed — the daemon's memory stays bounded whatever the peer sends. Before
// anything, the page must send the tunnel's key: until it has, the transport is not served
// ('authenticated' is emitted once), and anything else closes it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { RTCDataChannel } from 'werift';
import type { Transport } from '../ipc/server.js';
import { CHUNK, INPUT_WINDOW, OUTPUT_HIGH_WATER, parseSignal, pieces } from './flow.js';

/** How long end() waits for queued output before closing anyway. */
const END_GRACE_MS = 5000;
/** A channel whose key has not come this long after it opened is closed. */
const KEY_MS = 10_000;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class DataChannelTransport extends EventEmitter implements Transport {
  /** Output sent and not yet acknowledged by the page. */
  private unacked = 0;
  private paused = false;
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  /** Input taken and not yet acknowledged to the page. */
  private toAck = 0;
  private ackQueued = false;
  private closed = false;
  private ending = false;
  private authenticated = false;
  private readonly keyTimer: NodeJS.Timeout;

  constructor(
    private readonly dc: RTCDataChannel,
    /** The tunnel's key, which the page must send first. */
    private readonly key: string,
    private readonly events: {
      /** The peer broke the channel's conventions (the channel is closed). */
      misbehaving?: (why: string) => void;
      /** The page said it is going away ({"bye"}). */
      bye?: (why: string) => void;
    } = {},
  ) {
    super();
    this.keyTimer = setTimeout(() => this.refuse('sent no key'), KEY_MS);
    this.keyTimer.unref();
    dc.bufferedAmountLowThreshold = CHUNK;
    dc.onMessage.subscribe((m) => (typeof m === 'string' ? this.text(m) : this.binary(m)));
    dc.bufferedAmountLow.subscribe(() => this.maybeDrain());
    dc.stateChanged.subscribe((s) => {
      if (s === 'closed') this.gone();
    });
  }

  get label(): string {
    return this.dc.label;
  }

  private refuse(why: string): void {
    this.events.misbehaving?.(why);
    this.destroy();
  }

  private binary(chunk: Buffer): void {
    if (this.closed) return;
    if (!this.authenticated) return this.refuse('sent data before the key');
    if (!this.paused) return this.take(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > INPUT_WINDOW + CHUNK) this.refuse(`sent ${this.heldBytes} bytes beyond what was acknowledged (window ${INPUT_WINDOW})`);
  }

  private take(chunk: Buffer): void {
    this.toAck += chunk.length;
    if (!this.ackQueued) {
      this.ackQueued = true;
      setImmediate(() => {
        this.ackQueued = false;
        if (this.toAck > 0 && this.open) this.dc.send(JSON.stringify({ ack: this.toAck }));
        this.toAck = 0;
      });
    }
    this.emit('data', chunk);
  }

  private text(text: string): void {
    if (this.closed) return;
    const s = parseSignal(text);
    if (!s) return this.refuse('sent a text message that is not a signal');
    if (!this.authenticated) {
      if (!('key' in s) || !timingSafeEqual(digest(s.key), digest(this.key))) return this.refuse('sent a wrong key');
      this.authenticated = true;
      clearTimeout(this.keyTimer);
      this.emit('authenticated');
      return;
    }
    if ('key' in s) return;
    if ('ack' in s) {
      this.unacked = Math.max(0, this.unacked - s.ack);
      this.maybeDrain();
    } else this.events.bye?.(s.bye);
  }

  private get open(): boolean {
    return !this.closed && this.dc.readyState === 'open';
  }

  private maybeDrain(): void {
    if (this.writableLength === 0 && this.listenerCount('drain') > 0) this.emit('drain');
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.keyTimer);
    this.held.length = 0;
    this.heldBytes = 0;
    this.emit('close');
  }

  write(chunk: Buffer): boolean {
    if (!this.open || this.ending) return false;
    for (const p of pieces(chunk)) this.dc.send(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    this.unacked += chunk.length;
    return this.writableLength < OUTPUT_HIGH_WATER;
  }

  /** Closes once what was written has gone out (at most END_GRACE_MS later). */
  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    const until = Date.now() + END_GRACE_MS;
    const check = () => {
      if (this.closed) return;
      // Data already handed to SCTP is delivered before the stream reset that close() sends.
      if (this.dc.bufferedAmount === 0 || Date.now() > until) return this.finish();
      setTimeout(check, 20).unref();
    };
    check();
  }

  private finish(): void {
    if (this.closed) return;
    this.dc.close();
    // werift reports "closed" once the stream reset is answered; a peer that never answers
    // must not keep the transport counted.
    setTimeout(() => this.gone(), END_GRACE_MS).unref();
  }

  destroy(): void {
    if (!this.closed) this.dc.close();
    this.gone();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && !this.closed && this.held.length) {
      const c = this.held.shift()!;
      this.heldBytes -= c.length;
      this.take(c);
    }
  }

  /** Bytes not yet taken by the page: in werift's buffer, and sent but not acknowledged. */
  get writableLength(): number {
    return this.dc.bufferedAmount + this.unacked;
  }
}
