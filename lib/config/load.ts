// loadConfig: find the files, check each layer, merge, expand [env] from the caller's
// environment, and say what is missing — before anything is started.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, formatLocated } from './errors.js';
import { expandValue } from './expand.js';
import { layerFromObject, layerFromText, type Layer } from './layer.js';
import { mergeLayers } from './merge.js';
import { ownFix, readOwnFile } from './owner.js';
import { PACKAGE_MANAGERS } from './schema.js';
import { requireTrust, trustCommand } from './trust.js';
import { trustStorePath } from './trust-store.js';
import type { BoxMount, CoopConfig, NetworkMode } from './types.js';

/** Settings from command-line flags: the last layer. */
export interface ConfigOverrides {
  image?: string;
  network?: NetworkMode | string;
  /** Names the box may reach (`coop run --allow`), added to network.allow. */
  allow?: string[];
  /** Agent command line (split like a shell would). */
  agent?: string;
  hostname?: string;
}

export interface LoadConfigOptions {
  /** The caller's working directory (default process.cwd()). */
  cwd?: string;
  /** Workspace directory (-w); its coop.toml is the project file. */
  workspace?: string;
  /** Project file to use instead of <workspace>/coop.toml (--config). */
  configPath?: string;
  /** Global file; default $XDG_CONFIG_HOME/coop/default.toml or ~/.config/coop/default.toml; null for none. */
  globalPath?: string | null;
  /** The caller's environment: `$NAME` expansion and XDG_CONFIG_HOME. Default process.env. */
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
  /** Fail when no layer names an agent (commands that start one). */
  requireAgent?: boolean;
  /** Host home, for ~ (default os.homedir()). */
  home?: string;
  /**
   * Refuse a project file that reaches outside the box unless `coop trust` recorded its
   * content (default true). false is for tests and embedders that vouch for the file
   * themselves; other users' files are ignored (or refused, with configPath) either way.
   */
  trust?: boolean;
  /** Trust records (default $XDG_CONFIG_HOME/coop/trusted.json or ~/.config/coop/trusted.json). */
  trustStore?: string;
}

export interface LoadedConfig {
  config: CoopConfig;
  /** One line each: unset variables, unknown package managers. */
  warnings: string[];
  /** Files that were read, in layer order. */
  files: string[];
  /** The project file, when there is one. */
  projectFile: string | null;
  /** The workspace directory (= config.workspace.mount). */
  workspace: string;
  /** @deprecated `config.sandbox.mounts` (the same list): the configuration carries its mounts as data. */
  mounts: BoxMount[];
}

/** The global configuration file for an environment. */
export function globalConfigPath(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'coop', 'default.toml');
}

/**
 * The project file and workspace directory for a call (SPEC §2 and §5): --config, else
 * <workspace>/coop.toml, else the nearest coop.toml from cwd upward (whoever owns it:
 * loadConfig decides whether it is read).
 */
export function findProject(cwd: string, workspace?: string, configPath?: string): { dir: string; file: string | null } {
  if (configPath) {
    const file = resolve(cwd, configPath);
    if (!existsSync(file)) throw new ConfigError({ file }, 'no such file (given with --config)');
    return { dir: workspace ? resolve(cwd, workspace) : dirname(file), file };
  }
  if (workspace) {
    const dir = resolve(cwd, workspace);
    const file = join(dir, 'coop.toml');
    return { dir, file: existsSync(file) ? file : null };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'coop.toml'))) return { dir, file: join(dir, 'coop.toml') };
    if (dirname(dir) === dir) return { dir: resolve(cwd), file: null };
  }
}

function overridesLayer(o: ConfigOverrides, cwd: string, home: string): Layer {
  const doc: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, v: unknown) => {
    if (v !== undefined) (doc[section] ??= {})[key] = v;
  };
  set('sandbox', 'image', o.image);
  set('sandbox', 'agent', o.agent);
  set('sandbox', 'hostname', o.hostname);
  set('network', 'mode', o.network);
  set('network', 'allow', o.allow?.length ? o.allow : undefined);
  return layerFromObject(doc, 'command line', cwd, home);
}

/** Loads the layered configuration for a call. Throws ConfigError with file, line and key. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const home = opts.home ?? homedir();
  const warnings: string[] = [];
  let project = findProject(cwd, opts.workspace, opts.configPath);
  const layers: Layer[] = [];
  const globalFile = opts.globalPath === null ? null : (opts.globalPath ?? globalConfigPath(env, home));
  if (globalFile && existsSync(globalFile)) {
    const r = readOwnFile(globalFile);
    if (r.ok) layers.push(layerFromText(r.file.text, globalFile, home));
    else warnings.push(`${globalFile}: ignored: ${r.reason}; ${ownFix(globalFile, r.reason)}`);
  }
  if (project.file) {
    const r = readOwnFile(project.file);
    if (!r.ok && opts.configPath) throw new ConfigError({ file: project.file }, `refused: ${r.reason}; ${ownFix(project.file, r.reason)}`);
    if (!r.ok) {
      // Another user's coop.toml (e.g. /tmp/coop.toml) is as if there were none: the
      // search stops there, and the workspace is what it would be without a file.
      warnings.push(`${project.file}: ignored: ${r.reason}; ${ownFix(project.file, r.reason)}`);
      project = { dir: resolve(cwd, opts.workspace ?? '.'), file: null };
    } else {
      const layer = layerFromText(r.file.text, project.file, home);
      if (opts.trust !== false) {
        const store = opts.trustStore ?? trustStorePath(env, home);
        requireTrust(r.file, layer, project.dir, home, store, trustCommand(project.file, !!(opts.configPath || opts.workspace)));
      }
      layers.push(layer);
    }
  }
  if (opts.overrides) layers.push(overridesLayer(opts.overrides, cwd, home));

  const { config, origins } = mergeLayers(layers, project.dir);
  for (const [name, raw] of Object.entries(config.env)) {
    const where = origins.get(`env.${name}`)!;
    const { value, unset } = expandValue(raw, env, where);
    config.env[name] = value;
    for (const u of unset) warnings.push(formatLocated(where, `$${u} is not set in your environment; using ""`));
  }
  for (const manager of Object.keys(config.sandbox.packages)) {
    if (!(PACKAGE_MANAGERS as readonly string[]).includes(manager)) {
      const where = origins.get(`sandbox.packages.${manager}`)!;
      warnings.push(formatLocated(where, `unknown package manager (known: ${PACKAGE_MANAGERS.join(', ')}); its packages are ignored`));
    }
  }
  if (opts.requireAgent && !config.sandbox.agent) {
    throw new ConfigError(
      { file: project.file ?? join(project.dir, 'coop.toml'), key: 'sandbox.agent' },
      'no agent configured: set agent = "claude" (your agent\'s command) under [sandbox], or pass --agent CMD',
    );
  }
  return {
    config, warnings, files: layers.filter((l) => l.source !== 'command line').map((l) => l.source), projectFile: project.file,
    workspace: config.workspace.mount, mounts: config.sandbox.mounts,
  };
}

/** A copy safe to print or log: every [env] value replaced by "***". */
export function redactConfig(config: CoopConfig): CoopConfig {
  return { ...config, env: Object.fromEntries(Object.keys(config.env).map((k) => [k, '***'])) };
}
