// The daemon's tunnels (SPEC §11): each opened by a `coop tunnel` and living as long as
// that command's connection; answers come by paste (through the command) or posted by a
// connect page this daemon served. Loaded only when a tunnel is asked for (werift with it).
import type { DaemonLog } from '../daemon/log.js';
import { CoopError } from '../errors.js';
import type { Transport } from '../ipc/server.js';
import type { DataChannelTransport } from './dc-transport.js';
import { decodeAnswer, encodeEnvelope, EnvelopeError } from './envelope.js';
import { machineId } from './machine.js';
import { Tunnel, type TunnelEnd } from './peer.js';

export const DEFAULT_STUN = ['stun:stun.l.google.com:19302'];
/** Tunnels open at once (each waits for or serves one browser). */
export const MAX_TUNNELS = 8;
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

export interface TunnelsOptions {
  coopHome: string;
  log: DaemonLog;
  serve(transport: DataChannelTransport, label: string, tunnel: Tunnel): void;
  /** Called when tunnels come and go (the idle timer). */
  changed(): void;
}

export interface OpenRequest {
  stun: string[];
  timeoutMs: number;
  /** The connect page's address, without fragment. */
  page: string;
  /** The connection of the `coop tunnel` that asked: the tunnel ends with it. */
  owner: Transport | null;
}

export class Tunnels {
  private readonly tunnels = new Map<string, Tunnel>();
  /** How the last few tunnels ended (a `coop tunnel` asking after the fact gets the reason). */
  private readonly ends = new Map<string, TunnelEnd>();

  constructor(private readonly opts: TunnelsOptions) {}

  get size(): number {
    return this.tunnels.size;
  }

  async open(req: OpenRequest): Promise<{ url: string; id: string }> {
    if (this.tunnels.size >= MAX_TUNNELS) {
      throw new CoopError('TUNNEL_FAILED', `${this.tunnels.size} tunnels are already open (the limit); end one of those \`coop tunnel\` commands first`);
    }
    const t = await Tunnel.open({
      machineId: machineId(this.opts.coopHome),
      stun: req.stun,
      timeoutMs: req.timeoutMs,
      log: this.opts.log,
      serve: (tr, label) => this.opts.serve(tr, label, t),
      ended: (x, end) => {
        this.tunnels.delete(x.id);
        this.ends.set(x.id, end);
        for (const k of this.ends.keys()) if (this.ends.size > 16) this.ends.delete(k);
        this.opts.changed();
      },
    });
    this.tunnels.set(t.id, t);
    this.opts.changed();
    req.owner?.on('close', () => t.close('`coop tunnel` was stopped on the machine'));
    const fragment = await encodeEnvelope(t.offer);
    return { url: `${req.page}#${fragment}`, id: t.id };
  }

  /** The browser's answer, pasted or posted. */
  async answer(text: string): Promise<void> {
    let a;
    try {
      a = await decodeAnswer(text);
    } catch (e) {
      if (e instanceof EnvelopeError) throw new CoopError('BAD_ARGUMENTS', e.message);
      throw e;
    }
    const t = this.tunnels.get(a.id);
    if (!t) throw new CoopError('BAD_ARGUMENTS', 'that answer is for a tunnel that is not open (it ended, or another coop made it): run `coop tunnel` again for a new link');
    await t.accept(a);
  }

  wait(id: string, until: 'connected' | 'closed'): Promise<TunnelEnd> {
    const t = this.tunnels.get(id);
    if (!t) return Promise.resolve(this.ends.get(id) ?? { state: 'closed', reason: 'no such tunnel (it ended)', lost: true });
    return t.wait(until);
  }

  closeAll(reason: string): void {
    for (const t of [...this.tunnels.values()]) t.close(reason);
  }
}
