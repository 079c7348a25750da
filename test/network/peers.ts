// Real peers for the network tests, on this machine only: HTTP servers on loopback or on
// one of this machine's own addresses, a DNS server on loopback, and a look at the
// processes coop-net keeps for a box.
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as netServer } from 'node:net';
import { networkInterfaces } from 'node:os';

/** An HTTP server answering every request with `body`; its port. */
export async function httpServer(address: string, body: string | Buffer): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((res) => server.listen(0, address, res));
  return { server, port: (server.address() as { port: number }).port };
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** This machine's first non-loopback IPv4 address (the host side of a private box's network), or null. */
export function ownAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return null;
}

/** A DNS server on 127.0.0.1 answering A queries for `names`; every other name gets NXDOMAIN. */
export async function dnsServer(names: Record<string, string>): Promise<{ port: number; close: () => void; queries: string[] }> {
  const sock = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (q, from) => {
    if (q.length < 17) return;
    let p = 12;
    const labels: string[] = [];
    while (p < q.length && q[p]! > 0) {
      labels.push(q.toString('ascii', p + 1, p + 1 + q[p]!));
      p += 1 + q[p]!;
    }
    const question = q.subarray(12, p + 5);
    const name = labels.join('.').toLowerCase();
    const qtype = q.readUInt16BE(p + 1);
    queries.push(name);
    const address = names[name];
    const answer = address && qtype === 1;
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2);
    header.writeUInt16BE(address ? 0x8180 : 0x8183, 2); // response, recursion available; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const parts = [header, question];
    if (answer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the name in the question
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      parts.push(rr);
    }
    sock.send(Buffer.concat(parts), from.port, from.address);
  });
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  return { port: sock.address().port, close: () => sock.close(), queries };
}

const pids = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number);

function ppidOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** coop-net of box `name` and its children (pasta or slirp4netns, the proxy, its connector). */
export function netProcesses(name: string): number[] {
  const keepers = pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `coop-net\0${name}\0`;
    } catch {
      return false;
    }
  });
  return [...new Set([...keepers, ...pids().filter((pid) => keepers.includes(ppidOf(pid) ?? -1))])];
}

/** Which of `list` still run. */
export function running(list: number[]): number[] {
  return list.filter((pid) => {
    try {
      process.kill(pid, 0);
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] !== 'Z';
    } catch {
      return false;
    }
  });
}

/** The name of a process (comm). */
export const nameOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/** The command line of a process, for messages. */
export const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return `(pid ${pid} gone)`;
  }
};
