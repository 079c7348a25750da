// Running a host command inside a user namespace with the caller's id mapping (no other
// namespaces, no mounts): as in-box root it can chown files to the mapped ids of a
// subordinate range — what unpacking image layers unprivileged needs.
import { HelperProcess, type StdioSlot } from './helper-process.js';
import { currentUser, hasRange, idMappingFor } from './idmap.js';
import type { CreatePlan } from './plan.js';

export interface UsernsOptions {
  /** Environment of the command (nothing else is passed). */
  env?: Record<string, string>;
  /** Host working directory (default: the caller's). */
  cwd?: string;
  stdio?: [StdioSlot, StdioSlot, StdioSlot];
}

/** The plan for `argv` in a user namespace mapping in-namespace 0 to the caller (plus its subuid range). */
export function usernsPlan(argv: string[], opts: UsernsOptions = {}): CreatePlan {
  return {
    mode: 'create',
    name: 'userns',
    namespaces: ['user'],
    idmap: idMappingFor(currentUser()),
    root: null,
    stage: [],
    ops: [],
    hostname: null,
    loopback: false,
    nest: false,
    confine: null,
    init: { mode: 'run', graceMs: 0 },
    process: { argv, env: opts.env ?? {}, cwd: opts.cwd ?? process.cwd(), uid: 0, gid: 0 },
  };
}

/**
 * Starts `argv` in a user namespace where it is root over the caller's files and, when
 * /etc/subuid gives the caller a range, over ids 1..65535 mapped onto it. Await
 * `.outcome` for how it ended (`outcome.exit`).
 */
export function spawnInUserns(argv: string[], opts: UsernsOptions = {}): HelperProcess {
  return new HelperProcess(usernsPlan(argv, opts), { argv0: 'coop-userns', stdio: opts.stdio, detached: false });
}

/** True when boxes of the current user can hold files of several owners (a subordinate id range). */
export const canMapRange = () => hasRange(idMappingFor(currentUser()));
