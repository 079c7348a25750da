// Making a configuration's agent work in its box, before the box is created (on the
// caller's side: the caller's PATH and environment are what count):
//  - a preset (claude, codex, ...) gets its state directories persisted per box, its
//    API-key variables passed when set, and — when the box does not have the command —
//    the command found on the caller's PATH, its install directory (symlinks resolved)
//    bound read-only at the same path, and its interpreter likewise when the box lacks it;
//  - any agent the box still cannot run is reported now, as one line with what to do.
import { homedir } from 'node:os';
import { dirname, posix, relative } from 'node:path';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import { withCaCerts } from '../sandbox/ca-certs.js';
import { DEFAULT_PATH, homeOf } from '../sandbox/env.js';
import { resolveRootfs } from '../image/rootfs.js';
import { rootfsDirOf } from '../sandbox/box-plan.js';
import { BoxView } from './boxview.js';
import { installDirOf, interpreterOf, realFile, whichOnHost, type Interpreter } from './locate.js';
import { presetFor, type AgentPreset } from './presets.js';

export interface PrepareOptions {
  /** The caller's environment: PATH to find the agent, API keys to pass. */
  env: NodeJS.ProcessEnv;
  /** The built rootfs directory of an image; null for `host`. */
  rootfs: string | null;
  coopHome: string;
  /** The caller's home (never bound as a whole). */
  hostHome?: string;
}

export interface PreparedAgent {
  config: CoopConfig;
  /** What was done, one line each (shown with --verbose). */
  notes: string[];
}

const inside = (path: string, dir: string) => path === dir || !relative(dir, path).startsWith('..');

/** True when a mount or a persist entry already covers the in-box directory. */
function covered(config: CoopConfig, boxDir: string): boolean {
  const home = homeOf(config.sandbox.user);
  const expand = (p: string) => (p === '~' ? home : p.startsWith('~/') ? posix.join(home, p.slice(2)) : p);
  const targets = [
    ...config.sandbox.mounts.map((m) => expand(m.box)),
    ...config.session.persist.map((p) => posix.join(home, p)),
  ];
  return targets.some((t) => t && (inside(boxDir, t) || inside(t, boxDir)));
}

function applyPreset(config: CoopConfig, preset: AgentPreset, env: NodeJS.ProcessEnv, notes: string[]): void {
  const home = homeOf(config.sandbox.user);
  for (const dir of preset.state) {
    if (covered(config, posix.join(home, dir))) continue;
    config.session.persist.push(dir);
    notes.push(`${preset.command}: ~/${dir} is kept per box (session.persist)`);
  }
  for (const k of preset.env) {
    if (env[k] && !(k in config.env)) {
      config.env[k] = env[k]!;
      notes.push(`${preset.command}: $${k} passed from your environment`);
    }
  }
  for (const [k, v] of Object.entries(preset.fixedEnv?.(home) ?? {})) if (!(k in config.env)) config.env[k] = v;
}

/** Binds a host directory read-only at the same path in the box. */
function bindSame(config: CoopConfig, dir: string, hostHome: string, what: string, notes: string[]): void {
  if (dir === '/' || inside(hostHome, dir) || dirname(dir) === '/') {
    throw new CoopError('CONFIG_INVALID', `${what} is installed directly in ${dir}, which coop will not bind into a box whole; install it in a directory of its own (e.g. npm install -g --prefix ~/.local/agents …), or mount its directory yourself (sandbox.mounts)`);
  }
  config.sandbox.mounts.push({ kind: 'path', host: dir, box: dir, readonly: true });
  notes.push(`${what}: ${dir} bound read-only`);
}

function notFound(cmd: string, preset: AgentPreset | null, env: NodeJS.ProcessEnv): CoopError {
  if (preset) {
    return new CoopError('CONFIG_INVALID', `agent "${cmd}": ${preset.title} is neither in the box nor on your PATH; install it (${preset.install}), or set sandbox.agent to its path`);
  }
  const host = whichOnHost(cmd, env.PATH);
  const where = host ? realFile(host) ?? host : null;
  const hint = where
    ? `it is at ${where} on this machine, hidden from the box: add "${dirname(where)}:/opt/${cmd}:ro" to sandbox.mounts and set agent = "/opt/${cmd}/${where.split('/').pop()}"`
    : cmd.includes('/') ? 'mount the directory that holds it (sandbox.mounts)' : 'mount its directory (sandbox.mounts) and give its path';
  return new CoopError('CONFIG_INVALID', `agent "${cmd}" is not found in the box: ${hint}, or install it with sandbox.setup on an image (e.g. image = "debian:bookworm")`);
}

/** Runs the interpreter of a script from the caller's side when the box lacks it. */
function provideInterpreter(config: CoopConfig, script: string, interp: Interpreter, view: BoxView, o: PrepareOptions, notes: string[]): string[] | null {
  const boxPath = config.env.PATH ?? DEFAULT_PATH;
  if ('path' in interp ? view.isExecutable(interp.path) : view.findCommand(interp.name, boxPath)) return null;
  const host = 'path' in interp ? interp.path : whichOnHost(interp.name, o.env.PATH);
  const real = host && realFile(host);
  const name = 'path' in interp ? interp.path : interp.name;
  if (!real) throw new CoopError('CONFIG_INVALID', `agent ${script} needs ${name}, which is neither in the box nor on your PATH; install it, or use an image that has it`);
  const dir = installDirOf(real);
  bindSame(config, dir, o.hostHome ?? homedir(), `${name} (for ${script})`, notes);
  config.env.PATH = `${dirname(real)}:${boxPath}`;
  return [real, script];
}

/**
 * A loaded configuration made ready for a box: the CA bundle bound in, the agent prepared
 * against the image's rootfs (which must be built) or the host. Throws CoopError.
 */
export function boxReadyConfig(config: CoopConfig, o: { env: NodeJS.ProcessEnv; coopHome: string; baseDir: string }): PreparedAgent {
  const rootfs = config.sandbox.image === 'host' ? null : rootfsDirOf(resolveRootfs(config.sandbox, { baseDir: o.baseDir, coopHome: o.coopHome }));
  return prepareAgent(withCaCerts(config), { env: o.env, rootfs, coopHome: o.coopHome });
}

/** The configuration to create the box with (a copy); throws CoopError when the agent cannot run in it. */
export function prepareAgent(input: CoopConfig, o: PrepareOptions): PreparedAgent {
  const config = structuredClone(input);
  const notes: string[] = [];
  const argv = config.sandbox.agent;
  if (!argv?.length) return { config, notes };
  const preset = presetFor(argv);
  if (preset) applyPreset(config, preset, o.env, notes);
  const view = () => BoxView.of(config, o.rootfs, o.coopHome);
  if (view().findCommand(argv[0]!, config.env.PATH ?? DEFAULT_PATH)) return { config, notes };
  if (!preset) throw notFound(argv[0]!, null, o.env);
  const host = whichOnHost(preset.command, o.env.PATH);
  const real = host && realFile(host);
  if (!real) throw notFound(argv[0]!, preset, o.env);
  bindSame(config, installDirOf(real), o.hostHome ?? homedir(), `${preset.title} (${host})`, notes);
  const interp = interpreterOf(real);
  const run = (interp && provideInterpreter(config, real, interp, view(), o, notes)) ?? [real];
  config.sandbox.agent = [...run, ...argv.slice(1)];
  if (!view().isExecutable(real)) throw notFound(argv[0]!, preset, o.env);
  return { config, notes };
}
