// One tunnel (SPEC §11): the daemon's WebRTC peer (werift, pure TypeScript), answering
// nobody but the browser whose answer it is given. It offers first — a `coop-control`
// channel, ICE candidates gathered completely (host addresses, 127.0.0.1 for a browser on
// this machine, and STUN's reflexive ones unless there is no STUN) — and the offer goes
// into the envelope. Every data channel the page opens (`coop-control` for requests,
// `coop-pty` per attached terminal) becomes a transport served by the gateway as a
// `tunnel` peer. DTLS fingerprints in the two SDPs authenticate the ends.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import type { DaemonLog } from '../daemon/log.js';
import { CoopError } from '../errors.js';
import { DataChannelTransport } from './dc-transport.js';
import { ENVELOPE_VERSION, type AnswerEnvelope, type OfferEnvelope } from './envelope.js';
import { CONTROL_LABEL, PTY_LABEL } from './flow.js';

/** Gathering stops waiting for STUN after this long (what was found is offered). */
const GATHER_MS = 5000;
/** Data channels one tunnel may have open at once (each is a connection of the daemon). */
export const MAX_CHANNELS = 64;

export type TunnelState = 'waiting' | 'connecting' | 'connected' | 'closed';

export interface TunnelOptions {
  machineId: string;
  /** STUN server URLs (none: host candidates only). */
  stun: string[];
  /** Give up when no browser has connected this long after the offer. */
  timeoutMs: number;
  log: DaemonLog;
  /** Serves one open data channel (the gateway, as a `tunnel` peer). */
  serve(transport: DataChannelTransport, label: string): void;
  /** Called once when the tunnel ends. */
  ended(t: Tunnel, end: TunnelEnd): void;
}

export interface TunnelEnd {
  state: TunnelState;
  reason?: string;
  /** Ended by a failure (no connection, connection lost), not by either side closing it. */
  lost?: boolean;
}

const SUGGEST = 'on the same network, `coop serve -H 0.0.0.0` needs no tunnel; across networks both ends must reach a STUN server (--stun URL)';

export class Tunnel {
  readonly id = randomBytes(12).toString('base64url');
  /**
   * Channels are served only after the page sends this (it is in the link, not in the
   * answer). The DTLS fingerprints say which certificates the two ends present; werift
   * 0.24 does not check the handshake signature that proves the browser holds its key, so
   * this secret, which never crosses the network outside the encrypted channel, does.
   */
  private readonly key = randomBytes(18).toString('base64url');
  state: TunnelState = 'waiting';
  offer!: OfferEnvelope;
  private pc!: RTCPeerConnection;
  private readonly channels = new Set<DataChannelTransport>();
  private readonly dcs = new Set<RTCDataChannel>();
  private end: TunnelEnd | null = null;
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly opts: TunnelOptions) {}

  /** A peer with its offer ready (candidates gathered), waiting for an answer. */
  static async open(opts: TunnelOptions): Promise<Tunnel> {
    const t = new Tunnel(opts);
    await t.start();
    return t;
  }

  private async start(): Promise<void> {
    const { RTCPeerConnection } = await import('werift');
    const { opts } = this;
    this.pc = new RTCPeerConnection({
      iceServers: opts.stun.map((urls) => ({ urls })),
      // A browser on this machine reaches us on loopback (tests, local use).
      iceAdditionalHostAddresses: ['127.0.0.1'],
    });
    this.pc.onDataChannel.subscribe((dc) => this.adopt(dc));
    this.pc.connectionStateChange.subscribe((s) => this.stateChanged(s));
    this.adopt(this.pc.createDataChannel(CONTROL_LABEL, { ordered: true }));
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gathered();
    if (this.end) throw new CoopError('TUNNEL_FAILED', `the tunnel closed while gathering addresses: ${this.end.reason}`);
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp || !/^a=candidate:/m.test(sdp)) {
      this.close('no network address to offer', true);
      throw new CoopError('TUNNEL_FAILED', `no network address to offer a browser (no interface is up${opts.stun.length ? ' and STUN gave none' : ''})`);
    }
    this.offer = { version: ENVELOPE_VERSION, sdp, machine_id: opts.machineId, hostname: hostname(), id: this.id, stun: opts.stun, key: this.key };
    this.timer = setTimeout(() => {
      const s = Math.round(opts.timeoutMs / 1000);
      this.close(`no browser connected within ${s} s (${this.state === 'waiting' ? 'no answer came' : 'an answer came, but no network path between the two ends worked'}); ${SUGGEST}`, true);
    }, opts.timeoutMs);
    this.timer.unref();
    opts.log.write('tunnel-offered', { tunnel: this.id.slice(0, 8), stun: opts.stun.length > 0 });
  }

  private gathered(): Promise<void> {
    return new Promise((resolve) => {
      if (this.pc.iceGatheringState === 'complete') return resolve();
      const t = setTimeout(resolve, GATHER_MS);
      this.pc.iceGatheringStateChange.subscribe((s) => {
        if (s !== 'complete') return;
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** A data channel of ours or of the page: served once open; unknown labels are closed. */
  private adopt(dc: RTCDataChannel): void {
    if (this.end || (dc.label !== CONTROL_LABEL && dc.label !== PTY_LABEL) || this.dcs.size >= MAX_CHANNELS) {
      if (!this.end) this.opts.log.write('tunnel-channel-refused', { tunnel: this.id.slice(0, 8), label: dc.label.slice(0, 40), open: this.dcs.size });
      dc.close();
      return;
    }
    this.dcs.add(dc);
    dc.stateChanged.subscribe((s) => {
      if (s === 'closed') this.dcs.delete(dc);
    });
    const serve = () => {
      const tr = new DataChannelTransport(dc, this.key, {
        misbehaving: (why) => this.opts.log.write('tunnel-channel-closed', { tunnel: this.id.slice(0, 8), label: dc.label, why }),
        bye: () => this.close('the browser closed the tunnel (its page was closed)'),
      });
      this.channels.add(tr);
      tr.on('close', () => this.channels.delete(tr));
      tr.once('authenticated', () => this.opts.serve(tr, dc.label));
    };
    if (dc.readyState === 'open') serve();
    else {
      const sub = dc.stateChanged.subscribe((s) => {
        if (s !== 'open') return;
        sub.unSubscribe();
        serve();
      });
    }
  }

  private stateChanged(s: string): void {
    if (this.end) return;
    if (s === 'connected' && this.state !== 'connected') {
      this.state = 'connected';
      if (this.timer) clearTimeout(this.timer);
      this.opts.log.write('tunnel-connected', { tunnel: this.id.slice(0, 8) });
      this.wake();
    } else if (s === 'failed') {
      this.close(this.state === 'connected' ? 'the connection was lost (the browser went away or the network changed)' : `no network path between the two ends worked; ${SUGGEST}`, true);
    } else if (s === 'closed') {
      this.close('the browser closed the tunnel', false);
    }
  }

  /** Takes the browser's answer (once). */
  async accept(answer: AnswerEnvelope): Promise<void> {
    if (answer.id !== this.id) throw new CoopError('BAD_ARGUMENTS', 'that answer is for another tunnel: answer the link this `coop tunnel` printed');
    if (this.end) throw new CoopError('TUNNEL_FAILED', `this tunnel has ended: ${this.end.reason}`);
    if (this.state !== 'waiting') throw new CoopError('BAD_ARGUMENTS', 'this tunnel was already answered (a link works once): run `coop tunnel` again for a new one');
    this.state = 'connecting';
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    } catch (e) {
      this.state = 'waiting';
      throw new CoopError('BAD_ARGUMENTS', `the answer's session description was refused (${(e as Error).message}): copy the whole answer the page shows again`);
    }
    this.opts.log.write('tunnel-answered', { tunnel: this.id.slice(0, 8) });
    this.wake();
  }

  /** Resolves when the tunnel is connected (or has ended, for 'connected') or has ended. */
  async wait(until: 'connected' | 'closed'): Promise<TunnelEnd> {
    for (;;) {
      if (this.end) return this.end;
      if (until === 'connected' && this.state === 'connected') return { state: 'connected' };
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Open data channels (each a transport of the gateway). */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Ends the tunnel: the page is told why on every channel, then the peer closes. */
  close(reason: string, lost = false): void {
    if (this.end) return;
    this.end = { state: 'closed', reason, lost };
    this.state = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.opts.log.write('tunnel-closed', { tunnel: this.id.slice(0, 8), lost });
    const bye = JSON.stringify({ bye: reason.slice(0, 300) });
    for (const dc of this.dcs) {
      try {
        if (dc.readyState === 'open') dc.send(bye);
        dc.close();
      } catch {
        // already gone
      }
    }
    for (const tr of this.channels) tr.destroy();
    // A moment for the bye and the stream resets to leave before DTLS and ICE go down.
    const pc = this.pc;
    setTimeout(() => void pc?.close().catch(() => {}), 200).unref();
    this.wake();
    this.opts.ended(this, this.end);
  }
}
