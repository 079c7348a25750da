// The tunnel in the page (SPEC §11): the browser's WebRTC peer answering the daemon's offer,
// and its data channels as Channels (transport.ts), so the whole web UI runs over it.
// Conventions shared with the daemon (lib/tunnel/flow.ts): protocol bytes in binary
// messages of at most CHUNK bytes, {"ack": N} and {"bye": why} in text messages. The page
// keeps at most INPUT_WINDOW bytes unacknowledged by the daemon, and no more than
// SEND_HIGH_WATER in its own send buffer (bufferedAmount), queueing the rest: a paste
// waits instead of flooding either end.
import { encodeEnvelope, ENVELOPE_VERSION, type OfferEnvelope } from '../../lib/tunnel/envelope.js';
import { CHUNK, CONTROL_LABEL, INPUT_WINDOW, parseSignal, pieces, PTY_LABEL } from '../../lib/tunnel/flow.js';
import type { Channel, ChannelFactory, ChannelPurpose } from './transport.js';

const SEND_HIGH_WATER = 256 * 1024;
/** Gathering stops waiting after this long (what was found is answered). */
const GATHER_MS = 5000;
const OPEN_MS = 15_000;
/** 'disconnected' this long means the tunnel is lost. */
const DISCONNECTED_MS = 10_000;

const loopbackHost = (h: string) => h === 'localhost' || h === '[::1]' || /^127\./.test(h);

/** Whether the offer has a loopback candidate and this page is on loopback too (this machine). */
const sameMachine = (sdp: string) => loopbackHost(window.location.hostname) && /^a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 /im.test(sdp);

export class TunnelLink {
  closedWhy: string | null = null;
  private readonly closedCbs: ((why: string) => void)[] = [];
  private readonly connectedCbs: (() => void)[] = [];
  /** The daemon's own coop-control channel, taken by the first control channel asked for. */
  private spare: Promise<RTCDataChannel> | null;
  private disconnectTimer: ReturnType<typeof setTimeout> | null = null;

  private constructor(
    readonly pc: RTCPeerConnection,
    readonly offer: OfferEnvelope,
  ) {
    this.spare = new Promise((resolve) => {
      pc.ondatachannel = (e) => {
        if (e.channel.label === CONTROL_LABEL) resolve(e.channel);
        else e.channel.close();
      };
    });
    pc.onconnectionstatechange = () => this.stateChanged();
    // A closing tab does not always end the peer connection in a way the daemon notices
    // (it would find out ~30 s later): say so on a channel first.
    window.addEventListener('pagehide', () => {
      if (this.closedWhy !== null) return;
      for (const dc of this.open) {
        try {
          dc.send(JSON.stringify({ bye: 'the page was closed' }));
          break;
        } catch {
          // try the next
        }
      }
      this.closed('the page was closed');
    });
  }

  /** Open channels (for the goodbye). */
  private readonly open = new Set<RTCDataChannel>();

  /** Answers the offer: the link, and the answer's text for the daemon. */
  static async answer(offer: OfferEnvelope): Promise<{ link: TunnelLink; answer: string }> {
    if (sameMachine(offer.sdp)) {
      // Browsers offer their own host addresses (loopback included) only to a page that
      // may use media devices; on this machine that is what connects the two ends.
      try {
        const s = await navigator.mediaDevices?.getUserMedia({ audio: true });
        s?.getTracks().forEach((t) => t.stop());
      } catch {
        // refused: other addresses may still do
      }
    }
    const pc = new RTCPeerConnection({ iceServers: offer.stun.map((urls) => ({ urls })) });
    const link = new TunnelLink(pc, offer);
    await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const t = setTimeout(resolve, GATHER_MS);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState !== 'complete') return;
        clearTimeout(t);
        resolve();
      });
    });
    const sdp = pc.localDescription?.sdp;
    if (!sdp) throw new Error('the browser made no answer');
    return { link, answer: await encodeEnvelope({ version: ENVELOPE_VERSION, sdp, id: offer.id }) };
  }

  private stateChanged(): void {
    const s = this.pc.connectionState;
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    this.disconnectTimer = null;
    if (s === 'connected') for (const cb of this.connectedCbs.splice(0)) cb();
    else if (s === 'failed') this.closed('the connection failed (the two ends could not reach each other, or one went away)');
    else if (s === 'closed') this.closed('the connection closed');
    else if (s === 'disconnected') this.disconnectTimer = setTimeout(() => this.closed('the connection was lost'), DISCONNECTED_MS);
  }

  onConnected(cb: () => void): void {
    if (this.pc.connectionState === 'connected') cb();
    else this.connectedCbs.push(cb);
  }

  onClosed(cb: (why: string) => void): void {
    if (this.closedWhy !== null) cb(this.closedWhy);
    else this.closedCbs.push(cb);
  }

  /** The tunnel is over (the daemon said bye, or the connection ended): say why once. */
  closed(why: string): void {
    if (this.closedWhy !== null) return;
    this.closedWhy = why;
    for (const cb of this.closedCbs.splice(0)) cb(why);
    this.pc.close();
  }

  /** Channels over this tunnel: the page's transport for the whole UI. */
  readonly factory: ChannelFactory = async (purpose: ChannelPurpose) => {
    if (this.closedWhy !== null) throw new Error(`the tunnel closed: ${this.closedWhy}`);
    let dc: RTCDataChannel;
    if (purpose === 'control' && this.spare) {
      dc = await this.spare;
      this.spare = null;
    } else {
      dc = this.pc.createDataChannel(purpose === 'control' ? CONTROL_LABEL : PTY_LABEL, { ordered: true });
    }
    await opened(dc);
    return this.wrap(dc);
  };

  private wrap(dc: RTCDataChannel): Channel {
    this.open.add(dc);
    dc.binaryType = 'arraybuffer';
    dc.bufferedAmountLowThreshold = CHUNK * 4;
    const queue: Uint8Array[] = [];
    let unacked = 0;
    const flush = () => {
      while (queue.length && unacked < INPUT_WINDOW && dc.bufferedAmount < SEND_HIGH_WATER && dc.readyState === 'open') {
        const p = queue.shift()!;
        dc.send(p as Uint8Array<ArrayBuffer>);
        unacked += p.length;
      }
    };
    dc.onbufferedamountlow = flush;
    dc.send(JSON.stringify({ key: this.offer.key })); // first, always: the daemon serves nothing before
    const ch: Channel = {
      send: (bytes) => {
        for (const p of pieces(bytes)) queue.push(p.slice());
        flush();
      },
      ack: (n) => {
        if (n > 0 && dc.readyState === 'open') dc.send(JSON.stringify({ ack: n }));
      },
      close: () => dc.close(),
      onMessage: null,
      onClose: null,
    };
    dc.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) return ch.onMessage?.(new Uint8Array(e.data));
      const s = typeof e.data === 'string' ? parseSignal(e.data) : null;
      if (s && 'ack' in s) {
        unacked = Math.max(0, unacked - s.ack);
        flush();
      } else if (s && 'bye' in s) this.closed(s.bye);
    };
    dc.onclose = () => {
      this.open.delete(dc);
      queue.length = 0;
      ch.onClose?.(this.closedWhy ?? 'the channel closed');
    };
    return ch;
  }
}

function opened(dc: RTCDataChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    if (dc.readyState === 'open') return resolve();
    const t = setTimeout(() => reject(new Error('the tunnel did not open a channel in time')), OPEN_MS);
    dc.addEventListener('open', () => {
      clearTimeout(t);
      resolve();
    });
    dc.addEventListener('close', () => {
      clearTimeout(t);
      reject(new Error('the channel closed before it opened'));
    });
  });
}
