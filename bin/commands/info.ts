// coop ls, coop status: what is running, as a table or --json.
import type { LsRow } from '../../lib/ipc/messages.js';
import { boxForDirectory, Client } from '../../lib/client/index.js';
import { connectClient } from '../cli/client.js';
import type { Args, CliContext, Handler } from '../cli/spec.js';

function age(createdSec: number): string {
  const s = Math.max(0, Math.round(Date.now() / 1000 - createdSec));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function agentState(r: LsRow): string {
  if (r.state === 'damaged') return 'damaged';
  return r.ptys.find((p) => p.role === 'agent')?.state ?? 'none';
}

/** "private", "none +3 allowed", "private :8080" (ports published on loopback show as :PORT). */
function networkCell(r: LsRow): string {
  const n = r.network;
  if (!n) return '-';
  const ports = n.ports.map((p) => (p.startsWith('127.0.0.1:') ? `:${p.split(':')[1]}` : p.split(':').slice(0, 2).join(':')));
  return [n.mode, ...ports, ...(n.allow.length ? [`+${n.allow.length} allowed`] : [])].join(' ');
}

/** The network of a box in words, for `coop status`. */
function networkLine(r: LsRow): string | null {
  const n = r.network;
  if (!n) return null;
  const ports = n.ports.map((p) => {
    const [addr, host, box] = p.split(':');
    return `${addr}:${host} -> box port ${box}`;
  });
  return `Network ${n.mode}` + (ports.length ? `; published ${ports.join(', ')}` : '') +
    (n.allow.length ? `; only through coop's proxy to ${n.allow.join(', ')}` : '') + '\n';
}

function lsTable(rows: LsRow[]): string {
  return table([
    ['NAME', 'AGENT', 'SHELLS', 'CLIENTS', 'AGE', 'NETWORK', 'WORKSPACE'],
    ...rows.map((r) => [
      r.name, agentState(r), String(r.ptys.filter((p) => p.role === 'shell').length),
      String(r.clients.local + r.clients.web + r.clients.tunnel), age(r.created), networkCell(r), r.workspace,
    ]),
  ]) + rows.filter((r) => r.problem).map((r) => `${r.name}: ${r.problem}\n`).join('');
}

const json = (ctx: CliContext, v: unknown) => ctx.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

/** The daemon's rows; none, and no daemon started, when a scan finds no box (SPEC §5). */
async function lsRows(args: Args, ctx: CliContext): Promise<LsRow[]> {
  const client = await Client.connectIfBoxes({ socket: args.opts.socket as string | undefined, env: ctx.env });
  if (!client) return [];
  try {
    return await client.ls();
  } finally {
    client.close();
  }
}

export const lsCommand: Handler = async (args, ctx) => {
  const rows = await lsRows(args, ctx);
  if (args.opts.json) json(ctx, rows);
  else if (rows.length === 0) {
    if (!ctx.quiet) ctx.stdout.write('No boxes are running. Start one with `coop` in a project directory.\n');
  } else ctx.stdout.write(lsTable(rows));
  return 0;
};

/** `coop status`: the box of this directory (if any) and the daemon. */
export const statusCommand: Handler = async (args, ctx) => {
  const client = await connectClient(args, ctx);
  try {
    const [daemon, rows] = await Promise.all([client.status(), client.ls()]);
    const box = boxForDirectory(rows, ctx.cwd);
    if (args.opts.json) {
      json(ctx, { box, daemon });
      return 0;
    }
    if (!box) ctx.stdout.write(`No box for ${ctx.cwd}.\n`);
    else {
      ctx.stdout.write(`Box ${box.name} (init pid ${box.pid}, up ${age(box.created)}), workspace ${box.workspace}\n`);
      ctx.stdout.write(networkLine(box) ?? '');
      ctx.stdout.write(table([['PTY', 'ROLE', 'STATE', 'PID', 'COMMAND'], ...box.ptys.map((p) => [String(p.id), p.role, p.state, String(p.pid ?? '-'), p.command])]));
    }
    ctx.stdout.write(`Daemon pid ${daemon.pid}, coop ${daemon.version}, ${daemon.boxes} box(es), ${daemon.clients} client(s)\n`);
    return 0;
  } finally {
    client.close();
  }
};
