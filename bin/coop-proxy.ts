// The allowlist proxy process of one box (lib/network/), started by coop-net with a socket
// listening on 127.0.0.1:3129 inside the box as fd 3 (plain HTTP, handed over by coop-net)
// and its question channel as fd 4 (may this CONNECT go out, and where to?). Bundled into
// dist/bin/coop-proxy.cjs. argv[2]: JSON { box, allow, hosts, log }, where log is a file
// (daemon boxes: the daemon shows new lines in the agent's PTY) or "-" (stderr: the
// terminal of `coop run`).
import { appendFileSync, statSync, truncateSync } from 'node:fs';
import { isatty } from 'node:tty';
import { Socket } from 'node:net';
import { refusalNotice, serveDecisions, type Refusal } from '../lib/network/decide.js';
import { createProxy } from '../lib/network/proxy.js';

interface ProxyArgs {
  box: string;
  allow: string[];
  hosts: Record<string, string>;
  log: string;
}

/** network.log stays below this size: it starts again from empty (the daemon follows). */
const LOG_LIMIT = 1 << 20;

const args = JSON.parse(process.argv[2] ?? '{}') as ProxyArgs;

function logRefusal(r: Refusal): void {
  if (args.log === '-') {
    const text = `[${refusalNotice(r)}]`;
    process.stderr.write(isatty(2) ? `\r\n\x1b[2m${text}\x1b[0m\r\n` : `${text}\n`);
    return;
  }
  try {
    if ((statSync(args.log, { throwIfNoEntry: false })?.size ?? 0) > LOG_LIMIT) truncateSync(args.log, 0);
    appendFileSync(args.log, `${refusalNotice(r)}\n`, { mode: 0o600 });
  } catch {
    // the box's directory is gone: it is ending
  }
}

const opts = { allow: args.allow, hosts: args.hosts, onRefusal: logRefusal };
createProxy(opts).listen({ fd: 3 });
const channel = new Socket({ fd: 4, readable: true, writable: true });
serveDecisions(channel, opts);
channel.on('close', () => process.exit(0)); // coop-net is gone
