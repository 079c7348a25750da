// The browser's side of a tunnel played by werift in the test process: decode the link's
// envelope, answer it, and open data channels that speak the channel conventions of
// lib/tunnel/flow.ts (as a Pipe for helpers/proto.ts: binary messages acknowledged at once,
// as a page that renders instantly).
import { spawn, type ChildProcess } from 'node:child_process';
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import { decodeOffer, encodeEnvelope, ENVELOPE_VERSION, type OfferEnvelope } from '../../lib/tunnel/envelope.js';
import { CONTROL_LABEL, INPUT_WINDOW, parseSignal, pieces, PTY_LABEL } from '../../lib/tunnel/flow.js';
import { COOP } from './cli.js';
import type { Pipe } from './proto.js';

export interface Answerer {
  offer: OfferEnvelope;
  answer: string;
  pc: RTCPeerConnection;
  /** The daemon's coop-control channel, once open. */
  control: Promise<RTCDataChannel>;
  /** A channel of the page's own (coop-pty unless another label is given), once open. */
  channel(label?: string): Promise<RTCDataChannel>;
  /** Why the daemon said it closed the tunnel ({"bye"}), once it did. */
  bye: Promise<string>;
  close(): Promise<void>;
}

const openOf = (dc: RTCDataChannel): Promise<RTCDataChannel> =>
  new Promise((resolve, reject) => {
    if (dc.readyState === 'open') return resolve(dc);
    dc.stateChanged.subscribe((s) => {
      if (s === 'open') resolve(dc);
      else if (s === 'closed') reject(new Error(`channel ${dc.label} closed before it opened`));
    });
  });

/** Answers the offer in a connect URL (the envelope after "#"). */
export async function answerLink(url: string): Promise<Answerer> {
  const offer = await decodeOffer(new URL(url).hash);
  const pc = new RTCPeerConnection({ iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'] });
  let byeSeen: (why: string) => void = () => {};
  const bye = new Promise<string>((r) => (byeSeen = r));
  const watch = (dc: RTCDataChannel) =>
    dc.onMessage.subscribe((m) => {
      if (typeof m !== 'string') return;
      const s = parseSignal(m);
      if (s && 'bye' in s) byeSeen(s.bye);
    });
  const control = new Promise<RTCDataChannel>((resolve) =>
    pc.onDataChannel.subscribe((dc) => {
      watch(dc);
      if (dc.label === CONTROL_LABEL) void openOf(dc).then(resolve);
    }),
  );
  await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
  });
  const answer = await encodeEnvelope({ version: ENVELOPE_VERSION, sdp: pc.localDescription!.sdp, id: offer.id });
  return {
    offer, answer, pc, control, bye,
    channel: (label = PTY_LABEL) => {
      const dc = pc.createDataChannel(label, { ordered: true });
      watch(dc);
      return openOf(dc);
    },
    close: () => pc.close(),
  };
}

/**
 * A data channel as a Pipe, keeping the page's side of the conventions: the tunnel's key
 * first (`key`: the offer's, or another to see it refused), binary pieces out,
 * at most INPUT_WINDOW of them unacknowledged by the daemon; every binary message in
 * acknowledged at once.
 */
export function dcPipe(dc: RTCDataChannel, key: string): Pipe {
  const cbs: ((b: Buffer) => void)[] = [];
  const queue: Buffer[] = [];
  let unacked = 0;
  const flush = () => {
    while (queue.length && unacked < INPUT_WINDOW && dc.readyState === 'open') {
      const p = queue.shift()!;
      dc.send(p);
      unacked += p.length;
    }
  };
  dc.send(JSON.stringify({ key }));
  dc.onMessage.subscribe((m) => {
    if (typeof m === 'string') {
      const s = parseSignal(m);
      if (s && 'ack' in s) {
        unacked = Math.max(0, unacked - s.ack);
        flush();
      }
      return;
    }
    dc.send(JSON.stringify({ ack: m.length }));
    for (const cb of cbs) cb(m);
  });
  return {
    send: (b) => {
      for (const p of pieces(b)) queue.push(Buffer.from(p));
      flush();
    },
    onData: (cb) => void cbs.push(cb),
    onClose: (cb) => void dc.stateChanged.subscribe((s) => s === 'closed' && cb()),
    close: () => dc.close(),
  };
}

/** `coop tunnel ARGS` running, its output collected; answer() pastes a line into it. */
export class TunnelCli {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
    this.child = spawn(process.execPath, [COOP, 'tunnel', '--no-qr', ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((r) => this.child.on('close', (code) => r(code)));
  }

  /** The connect URL it printed. */
  async url(): Promise<string> {
    await this.until(/https?:\/\/\S+#\S+/);
    return /https?:\/\/\S+#\S+/.exec(this.stdout)![0];
  }

  paste(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Waits for the pattern on stdout or stderr (a safety net: fails after 60 s with both). */
  async until(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!pattern.test(this.stdout) && !pattern.test(this.stderr)) {
      if (Date.now() > deadline) throw new Error(`coop tunnel never printed ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
