// coop system status|logs|shutdown|volumes|volume-rm: the daemon and coop's own state.
import { createReadStream, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { CoopError } from '../../lib/errors.js';
import { coopHome, daemonPaths, volumesDir } from '../../lib/paths.js';
import { removeVolume, volumeUsers } from '../../lib/sandbox/volumes.js';
import { daemonProtocol } from '../../lib/client/connection.js';
import { daemonNotRunning, shutdownOtherVersion } from '../../lib/client/daemon.js';
import { connectClient } from '../cli/client.js';
import type { Handler } from '../cli/spec.js';
import { table } from './info.js';

const notRunning = daemonNotRunning;

export const systemStatusCommand: Handler = async (args, ctx) => {
  let client;
  try {
    client = await connectClient(args, ctx, false);
  } catch (e) {
    if (!notRunning(e)) throw e;
    if (args.opts.json) ctx.stdout.write(`${JSON.stringify({ running: false }, null, 2)}\n`);
    else ctx.stdout.write('The coop daemon is not running (it starts with the first command that needs it).\n');
    return 0;
  }
  try {
    const s = await client.status();
    if (args.opts.json) ctx.stdout.write(`${JSON.stringify({ running: true, ...s }, null, 2)}\n`);
    else {
      ctx.stdout.write(table([
        ['pid', String(s.pid)], ['version', s.version], ['uptime', `${s.uptime_s}s`], ['socket', s.socket],
        ['COOP_HOME', s.coop_home], ['boxes', String(s.boxes)], ['clients', String(s.clients)],
        ['memory (RSS)', `${(s.rss_bytes / 1048576).toFixed(1)} MiB`],
      ]));
    }
    return 0;
  } finally {
    client.close();
  }
};

export const systemShutdownCommand: Handler = async (args, ctx) => {
  let client;
  try {
    client = await connectClient(args, ctx, false);
  } catch (e) {
    const theirs = daemonProtocol(e);
    if (theirs !== null) {
      await shutdownOtherVersion({ socket: args.opts.socket as string | undefined, env: ctx.env }, theirs);
      if (!ctx.quiet) ctx.stdout.write('The coop daemon (another version of coop) stopped; its boxes keep running (the next command takes them over).\n');
      return 0;
    }
    if (!notRunning(e)) throw e;
    if (!ctx.quiet) ctx.stdout.write('The coop daemon is not running.\n');
    return 0;
  }
  try {
    const boxes = (await client.ls()).length;
    await client.shutdown();
    if (!ctx.quiet) {
      ctx.stdout.write(boxes === 0 ? 'The coop daemon stopped.\n'
        : `The coop daemon stopped; ${boxes === 1 ? '1 box keeps' : `${boxes} boxes keep`} running (the next command takes ${boxes === 1 ? 'it' : 'them'} over).\n`);
    }
    return 0;
  } finally {
    client.close();
  }
};

/** The daemon's log: the last -n lines (default 50), -f to follow. */
export const systemLogsCommand: Handler = async (args, ctx) => {
  const file = daemonPaths(coopHome(ctx.env)).log;
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (!args.opts.follow) throw new CoopError('DAEMON_FAILED', `no daemon log yet (${file})`);
  }
  const n = (args.opts.lines as number | undefined) ?? 50;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length) ctx.stdout.write(`${lines.slice(-n).join('\n')}\n`);
  if (!args.opts.follow) return 0;
  let offset = Buffer.byteLength(text);
  await new Promise<void>((resolve) => {
    const pump = () => {
      let size = 0;
      try {
        size = statSync(file).size;
      } catch {
        return;
      }
      if (size < offset) offset = 0; // rotated or truncated
      if (size === offset) return;
      createReadStream(file, { start: offset, end: size - 1 }).pipe(ctx.stdout, { end: false });
      offset = size;
    };
    const timer = setInterval(pump, 500);
    let watcher: ReturnType<typeof watch> | null = null;
    try {
      watcher = watch(file, pump);
    } catch {
      // polling alone
    }
    const stop = () => {
      clearInterval(timer);
      watcher?.close();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
};

export const systemVolumesCommand: Handler = async (args, ctx) => {
  const home = coopHome(ctx.env);
  let names: string[] = [];
  try {
    names = readdirSync(volumesDir(home)).sort();
  } catch {
    // none yet
  }
  const users = volumeUsers(home);
  if (args.opts.json) {
    ctx.stdout.write(`${JSON.stringify(names.map((name) => ({ name, path: join(volumesDir(home), name), boxes: users.get(name) ?? [] })), null, 2)}\n`);
  } else if (names.length === 0) {
    if (!ctx.quiet) ctx.stdout.write('No volumes.\n');
  } else {
    ctx.stdout.write(table([['NAME', 'USED BY', 'PATH'], ...names.map((n) => [n, (users.get(n) ?? []).join(',') || '-', join(volumesDir(home), n)])]));
  }
  return 0;
};

export const systemVolumeRmCommand: Handler = async (args, ctx) => {
  const name = args.positionals[0]!;
  await removeVolume(coopHome(ctx.env), name);
  if (!ctx.quiet) ctx.stdout.write(`Removed volume ${name}\n`);
  return 0;
};

const size = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

export const systemDfCommand: Handler = async (args, ctx) => {
  const { diskUsage } = await import('../../lib/image/gc.js');
  const u = await diskUsage(coopHome(ctx.env));
  if (args.opts.json) {
    ctx.stdout.write(`${JSON.stringify(u, null, 2)}\n`);
    return 0;
  }
  const rows = [['WHAT', 'SIZE', 'NOTE']];
  for (const r of u.rootfs) rows.push([`rootfs/${r.hash.slice(0, 12)}`, size(r.bytes), `${r.image ?? '(no record)'}${r.inUse ? ' (in use)' : ''}`]);
  rows.push(['download cache', size(u.cacheBytes), '`coop system prune` empties it']);
  for (const v of u.volumes) rows.push([`volume ${v.name}`, size(v.bytes), '']);
  rows.push(['boxes (layers, persist)', size(u.boxesBytes), '']);
  ctx.stdout.write(table(rows));
  return 0;
};

export const systemCleanCommand: Handler = async (args, ctx) => {
  const { clean } = await import('../../lib/image/gc.js');
  const r = await clean(coopHome(ctx.env), args.opts.all === true);
  if (!ctx.quiet) ctx.stdout.write(r.removed.length ? `Removed ${r.removed.join(', ')}; freed ${size(r.freedBytes)}\n` : 'Nothing to remove.\n');
  return 0;
};

export const systemPruneCommand: Handler = async (args, ctx) => {
  const { prune } = await import('../../lib/image/gc.js');
  const r = await prune(coopHome(ctx.env));
  if (!ctx.quiet) ctx.stdout.write(r.removed.length ? `Removed ${r.removed.join(', ')}; freed ${size(r.freedBytes)}\n` : 'Nothing to remove.\n');
  return 0;
};
