// `coop doctor`'s checks that try: create a user namespace, mount an overlay with its upper
// layer in $COOP_HOME, ask the daemon, start a box. A failure is the one-line error (and fix)
// coop gives anywhere else for the same cause.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../boxes.js';
import { Client } from '../client/index.js';
import { defaultConfig } from '../config/defaults.js';
import { CoopError } from '../errors.js';
import { layerDirs } from '../paths.js';
import { HelperProcess } from '../sandbox/helper-process.js';
import { currentUser, hasRange, idMappingFor } from '../sandbox/idmap.js';
import type { CreatePlan, IdMapping } from '../sandbox/plan.js';
import { removeTree } from '../sandbox/remove.js';
import { spawnInUserns } from '../sandbox/userns.js';
import { packageVersion } from '../version.js';
import type { HostCheck } from './checks.js';

const ranges = (m: IdMapping) => m.uid.map((r) => (r.count === 1 ? `${r.inside} → ${r.outside}` : `${r.inside}-${r.inside + r.count - 1} → ${r.outside}-${r.outside + r.count - 1}`)).join(', ');

/** Creates a user namespace with the id mapping boxes get (newuidmap/newgidmap included). */
export async function userNamespaceProbe(): Promise<HostCheck> {
  const name = 'user namespaces';
  const o = await spawnInUserns(['/bin/sh', '-c', 'exit 0'], { cwd: '/' }).outcome;
  if (o.error) return { name, status: 'failing', message: o.error.message };
  if (o.exit?.code !== 0) return { name, status: 'failing', message: `the probe ended with ${o.exit?.signal ?? `exit code ${o.exit?.code ?? o.helper.code}`}` };
  const idmap = idMappingFor(currentUser());
  return { name, status: 'ok', message: `created one; boxes map uids ${ranges(idmap)}${hasRange(idmap) ? '' : ' (one id)'}` };
}

/** Mounts an overlay whose upper and work directories are in $COOP_HOME, inside a user namespace. */
export async function overlayProbe(home: string): Promise<HostCheck> {
  const name = 'overlayfs';
  const dir = mkdtempSync(join(home, '.doctor-'));
  const { upper, work, root } = layerDirs(dir); // as a box's layers are laid out
  const lower = join(dir, 'lower');
  for (const d of [lower, upper, work, root]) mkdirSync(d);
  const idmap = idMappingFor(currentUser());
  const ovl = (p: string) => p.replace(/[\\,:]/g, (c) => `\\${c}`);
  const plan: CreatePlan = {
    mode: 'create', name: 'doctor', namespaces: ['user', 'mount'], idmap, root, stage: [],
    ops: [{ op: 'mount', fstype: 'overlay', source: 'overlay', target: '/', data: `lowerdir=${ovl(lower)},upperdir=${ovl(upper)},workdir=${ovl(work)},userxattr`, flags: [] }],
    hostname: null, loopback: false, nest: false, confine: null, init: { mode: 'run', graceMs: 0 },
    // Nothing to run in an empty root: reaching execve means the overlay was mounted.
    process: { argv: ['/.coop-doctor'], env: {}, cwd: '/', uid: 0, gid: 0 },
  };
  try {
    const o = await new HelperProcess(plan, { argv0: 'coop-doctor' }).outcome;
    if (o.error && o.error.syscall !== 'execve') return { name, status: 'failing', message: o.error.message };
    return { name, status: 'ok', message: `an overlay with its upper layer in ${home} mounts in a user namespace` };
  } finally {
    await removeTree([dir], idmap).catch(() => rmSync(dir, { recursive: true, force: true }));
  }
}

/** Whether a daemon runs for this $COOP_HOME, and whether it is this version of coop. */
export async function daemonCheck(home: string, env: NodeJS.ProcessEnv): Promise<HostCheck> {
  const name = 'daemon';
  let client: Client;
  try {
    client = await Client.connect({ coopHome: home, env, spawn: false });
  } catch (e) {
    if (e instanceof CoopError && e.code === 'DAEMON_FAILED' && / not running$/.test(e.message)) {
      return { name, status: 'ok', message: 'not running (the first command that needs it starts it)' };
    }
    return { name, status: 'failing', message: (e as Error).message };
  }
  try {
    const s = await client.status();
    const what = `running: pid ${s.pid}, version ${s.version}, ${s.boxes} box${s.boxes === 1 ? '' : 'es'}, ${s.clients} client${s.clients === 1 ? '' : 's'}`;
    const mine = packageVersion();
    if (s.version !== mine) return { name, status: 'warning', message: `${what}; this coop is version ${mine}: \`coop system shutdown\` hands its boxes to a daemon of this version` };
    return { name, status: 'ok', message: what };
  } catch (e) {
    return { name, status: 'failing', message: (e as Error).message };
  } finally {
    client.close();
  }
}

/** Starts (and ends) one box on the host image without network, timed. */
export async function boxProbe(home: string): Promise<HostCheck> {
  const name = 'box';
  const ws = mkdtempSync(join(tmpdir(), 'coop-doctor-'));
  const config = defaultConfig(ws);
  config.sandbox.shell = 'sh';
  config.network.mode = 'none';
  const t0 = performance.now();
  try {
    const r = await run({ cmd: ['/bin/sh', '-c', 'exit 0'], config, coopHome: home, stdio: 'ignore', env: {} });
    const ms = Math.round(performance.now() - t0);
    if (r.code !== 0) return { name, status: 'failing', message: `the box started but its command ${r.failure ?? `ended with ${r.signal ?? `exit code ${r.code}`}`}`, ms };
    return { name, status: 'ok', message: `started and ended a box in ${ms} ms (host image, no network)`, ms };
  } catch (e) {
    return { name, status: 'failing', message: (e as Error).message };
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
}
