// The allowlist proxy's decisions: may the box reach this host? The name the client asked
// for must be listed; the proxy resolves it itself and hands back the one address it
// checked (no loopback, private or link-local address, nor one of this machine's, unless
// network.allow lists it), so the connection goes exactly there.
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { Allowlist, bareHost, isAddress } from './allow.js';

export interface Refusal {
  method: string;
  host: string;
  port: number;
  /** What was wrong, e.g. `"evil.example" is not in network.allow`. */
  reason: string;
  /** How to allow it. */
  fix: string;
}

export interface DeciderOptions {
  allow: string[];
  /** network.hosts: names with fixed addresses, used instead of DNS. */
  hosts?: Record<string, string>;
  /** Called for every refused request. */
  onRefusal?: (r: Refusal) => void;
  /** Name resolution (default: the host's resolver). */
  resolve?: (name: string) => Promise<string[]>;
  /** This machine's addresses, refused like loopback ones (default: its interfaces'). */
  hostAddresses?: Set<string>;
}

export type Decision = { ok: true; address: string } | { ok: false; status: number; reason: string; fix: string };

const defaultResolve = async (name: string) => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);

/** The body of a refusal the client gets (one line). */
export const refusalText = (r: Pick<Refusal, 'reason' | 'fix'>) => `coop: blocked: ${r.reason}. ${r.fix}`;

/** One line about a refusal, for the box's terminal and `coop logs`. */
export const refusalNotice = (r: Refusal) => `coop blocked ${r.method} ${r.host}:${r.port}: ${r.reason}. ${r.fix}`;

export function createDecider(opts: DeciderOptions) {
  const allow = new Allowlist(opts.allow);
  const hosts = new Map(Object.entries(opts.hosts ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const resolve = opts.resolve ?? defaultResolve;

  async function decide(rawHost: string): Promise<Decision> {
    const host = bareHost(rawHost);
    const addFix = (what: string) => `To allow it, add "${what}" to network.allow in coop.toml (coop run: --allow ${what})`;
    if (isAddress(host)) {
      if (allow.listsAddress(host)) return { ok: true, address: host };
      return { ok: false, status: 403, reason: `${host} is not in network.allow`, fix: addFix(host) };
    }
    if (!allow.nameEntry(host)) return { ok: false, status: 403, reason: `"${host}" is not in network.allow`, fix: addFix(host) };
    let addresses: string[];
    try {
      addresses = hosts.has(host) ? [hosts.get(host)!] : await resolve(host);
    } catch (e) {
      return { ok: false, status: 502, reason: `"${host}" could not be resolved (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, fix: 'Check the name' };
    }
    let why = `"${host}" has no address`;
    for (const a of addresses) {
      const refused = allow.refuseAddress(a, opts.hostAddresses);
      if (!refused) return { ok: true, address: a };
      why = `"${host}" resolves to ${refused}`;
    }
    return { ok: false, status: 403, reason: why, fix: addresses.length ? addFix(addresses[0]!) : 'Check the name' };
  }

  /** The refusal's body; a 403 is also reported (onRefusal). */
  function refused(method: string, host: string, port: number, d: Extract<Decision, { ok: false }>): string {
    if (d.status === 403) opts.onRefusal?.({ method, host: bareHost(host), port, reason: d.reason, fix: d.fix });
    return `${refusalText(d)}\n`;
  }

  return { decide, refused };
}

/**
 * Answers coop-net's questions on `channel`, one line each way:
 *   coop-net: "ID HOST PORT"   (a CONNECT request it holds)
 *   answer:   "ID ok ADDRESS" or "ID no STATUS BODY" (BODY: the refusal text, one line)
 */
export function serveDecisions(channel: Socket, opts: DeciderOptions): void {
  const { decide, refused } = createDecider(opts);
  let pending = '';
  channel.setEncoding('utf8');
  channel.on('data', (chunk: string) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const [id, host, portText] = pending.slice(0, nl).split(' ');
      pending = pending.slice(nl + 1);
      if (!id || !host || !portText) continue;
      const port = Number(portText);
      void decide(host).then((d) => {
        const answer = d.ok ? `${id} ok ${d.address}` : `${id} no ${d.status} ${refused('CONNECT', host, port, d).trim()}`;
        channel.write(`${answer.replace(/[\r\n]/g, ' ')}\n`);
      });
    }
    if (pending.length > 65536) channel.destroy();
  });
  channel.on('error', () => channel.destroy());
}
