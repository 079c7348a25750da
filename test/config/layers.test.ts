// Layering, paths, expansion, secrets, init.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkConfigShape } from '../../lib/config/check.js';
import { ConfigError, defaultConfig, initConfig, loadConfig, parseMountEntry, redactConfig, TEMPLATE } from '../../lib/config/index.js';
import { mountsFromRecord } from '../../lib/config/mounts.js';
import { CoopError } from '../../lib/errors.js';
import { tmp } from '../helpers/tmp.js';

function setup(global: string | null, project: string | null) {
  const dir = tmp();
  const g = join(dir, 'global.toml');
  if (global !== null) writeFileSync(g, global);
  const ws = join(dir, 'ws');
  mkdirSync(ws);
  if (project !== null) writeFileSync(join(ws, 'coop.toml'), project);
  return { g, ws };
}

test('built-in defaults', () => {
  const { ws, g } = setup(null, null);
  const { config, projectFile } = loadConfig({ cwd: ws, globalPath: g, env: {} });
  assert.is(projectFile, null);
  assert.equal(config.sandbox, { image: 'host', agent: null, args: [], shell: 'bash', user: 'coop', hostname: '', setup: [], packages: {}, mounts: [], seccomp: 'default', tmpfs_size: '1g', memory: '', pids: 0, ca_certs: '' });
  assert.equal(config.workspace, { mount: ws, path: '/workspace' });
  assert.equal(config.network, { mode: 'host', ports: [], allow: [], dns: [], hosts: [] });
  assert.equal(config.session, { persist: [], auto_restart: true, restart_delay_ms: 1000 });
  assert.equal(config.input_filter, { ctrl_c_debounce_ms: 500, block_sequences: [] });
});

test('scalars: a layer replaces only the keys it sets', () => {
  const { ws, g } = setup('[network]\nmode = "none"\n[sandbox]\nagent = "claude"\nshell = "zsh"\n', '[sandbox]\nshell = "fish"\n');
  const { config } = loadConfig({ cwd: ws, globalPath: g, env: {} });
  assert.is(config.network.mode, 'none'); // the project file omits [network]
  assert.equal(config.sandbox.agent, ['claude']);
  assert.is(config.sandbox.shell, 'fish');
});

test('env merges key by key; lists are appended; packages per manager', () => {
  const { ws, g } = setup(
    '[env]\nA = "global"\nB = "global"\n[sandbox]\nsetup = ["g1"]\nmounts = ["vol:/v"]\npackages = { apt = ["git"] }\n[input_filter]\nblock_sequences = ["x"]\n',
    '[env]\nB = "project"\nC = "project"\n[sandbox]\nsetup = ["p1", "p2"]\npackages = { apt = ["curl"], npm = ["n"] }\n[input_filter]\nblock_sequences = ["y"]\n',
  );
  const { config } = loadConfig({ cwd: ws, globalPath: g, env: {} });
  assert.equal(config.env, { A: 'global', B: 'project', C: 'project' });
  assert.equal(config.sandbox.setup, ['g1', 'p1', 'p2']);
  assert.equal(config.sandbox.mounts, [{ kind: 'volume', name: 'vol', box: '/v', readonly: false }]);
  assert.equal(config.sandbox.packages, { apt: ['git', 'curl'], npm: ['n'] });
  assert.equal(config.input_filter.block_sequences, ['x', 'y']);
});

test('command-line flags win over every file', () => {
  const { ws, g } = setup('[network]\nmode = "none"\n', '[sandbox]\nimage = "host"\nagent = "a"\n');
  const { config } = loadConfig({ cwd: ws, globalPath: g, env: {}, overrides: { network: 'host', agent: 'b --x', image: 'debian:bookworm' } });
  assert.is(config.network.mode, 'host');
  assert.equal(config.sandbox.agent, ['b', '--x']);
  assert.is(config.sandbox.image, 'docker.io/library/debian:bookworm');
});

test('relative paths resolve against the file that declared them', () => {
  const { ws, g } = setup('[sandbox]\nmounts = ["./gdata:/g"]\n', '[sandbox]\nimage = "dir:./rootfs"\nmounts = ["./data:/d:ro", "~/.gitconfig:~/.gitconfig"]\n[workspace]\nmount = "./src"\n');
  const home = '/home/someone';
  const { config, workspace } = loadConfig({ cwd: ws, globalPath: g, env: {}, home, trust: false });
  assert.is(config.sandbox.image, `dir:${join(ws, 'rootfs')}`);
  assert.equal(config.sandbox.mounts, [
    { kind: 'path', host: join(g, '..', 'gdata'), box: '/g', readonly: false },
    { kind: 'path', host: join(ws, 'data'), box: '/d', readonly: true },
    { kind: 'path', host: `${home}/.gitconfig`, box: '~/.gitconfig', readonly: false },
  ]);
  assert.is(workspace, join(ws, 'src'));
});

test('the project is found from a subdirectory; -w and --config choose explicitly', () => {
  const { ws } = setup(null, '[sandbox]\nagent = "x"\n');
  const sub = join(ws, 'a', 'b');
  mkdirSync(sub, { recursive: true });
  assert.is(loadConfig({ cwd: sub, globalPath: null, env: {} }).projectFile, join(ws, 'coop.toml'));
  assert.is(loadConfig({ cwd: sub, globalPath: null, env: {} }).workspace, ws);
  assert.is(loadConfig({ cwd: '/', workspace: ws, globalPath: null, env: {} }).projectFile, join(ws, 'coop.toml'));
  const other = join(tmp(), 'other.toml');
  writeFileSync(other, '[sandbox]\nagent = "y"\n');
  const viaFlag = loadConfig({ cwd: sub, configPath: other, globalPath: null, env: {} });
  assert.equal(viaFlag.config.sandbox.agent, ['y']);
});

test('$NAME and ${NAME} expand from the caller environment; $$ is a dollar; unset warns', () => {
  const { ws } = setup(null, '[env]\nA = "$X"\nB = "pre-${X}-post"\nC = "$$X cost $5"\nD = "$MISSING"\n');
  const r = loadConfig({ cwd: ws, globalPath: null, env: { X: 'v' }, trust: false });
  assert.equal(r.config.env, { A: 'v', B: 'pre-v-post', C: '$X cost $5', D: '' });
  assert.equal(r.warnings, [`${join(ws, 'coop.toml')}:5: env.D: $MISSING is not set in your environment; using ""`]);
});

test('secrets appear in no warning, error or redacted view', () => {
  const secret = 'sk-test-SECRET-42';
  const { ws } = setup(null, '[env]\nANTHROPIC_API_KEY = "$TEST_SECRET"\nOTHER = "${NOPE}"\n[sandbox]\npackages = { brew = ["x"] }\n');
  const r = loadConfig({ cwd: ws, globalPath: null, env: { TEST_SECRET: secret }, trust: false });
  assert.is(r.config.env.ANTHROPIC_API_KEY, secret);
  assert.not.match(r.warnings.join('\n'), secret);
  assert.is(r.warnings.length, 2);
  assert.not.match(JSON.stringify(redactConfig(r.config)), secret);
  writeFileSync(join(ws, 'coop.toml'), `[env]\nK = "$TEST_SECRET"\nBAD = "\${"\n`);
  try {
    loadConfig({ cwd: ws, globalPath: null, env: { TEST_SECRET: secret }, trust: false });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ConfigError);
    assert.not.match((e as Error).message, secret);
  }
});

test('mount entries: paths, volumes, read-only', () => {
  assert.equal(parseMountEntry('/a:/b', '/base'), { kind: 'path', host: '/a', box: '/b', readonly: false });
  assert.equal(parseMountEntry('./a:~/b:ro', '/base'), { kind: 'path', host: '/base/a', box: '~/b', readonly: true });
  assert.equal(parseMountEntry('~:~/host', '/base', '/h'), { kind: 'path', host: '/h', box: '~/host', readonly: false });
  assert.equal(parseMountEntry('claude-config:~/.claude', '/base'), { kind: 'volume', name: 'claude-config', box: '~/.claude', readonly: false });
});

test('mounts as data from elsewhere: a client\'s checked field by field, a record\'s strings converted', () => {
  const config = defaultConfig('/ws');
  config.sandbox.mounts = [{ kind: 'path', host: '/srv/data', box: '/data', readonly: true }];
  const sent = structuredClone(config) as unknown as { sandbox: { mounts: unknown[] } };
  (sent.sandbox.mounts[0] as Record<string, unknown>).extra = 'dropped';
  assert.equal(checkConfigShape(sent).sandbox.mounts, config.sandbox.mounts);
  for (const [bad, why] of [
    ['/srv/data:/data', 'expected a map'],
    [{ kind: 'path', host: 'relative', box: '/d', readonly: false }, '"host": expected an absolute path'],
    [{ kind: 'volume', name: '../x', box: '/d', readonly: false }, '"name": expected a volume name'],
    [{ kind: 'path', host: '/a', box: 'd', readonly: false }, '"box": expected a path'],
    [{ kind: 'path', host: '/a', box: '/d' }, '"readonly": expected true or false'],
    [{ kind: 'device', box: '/d', readonly: false }, '"kind": expected "path" or "volume"'],
  ] as const) {
    sent.sandbox.mounts = [bad];
    assert.throws(() => checkConfigShape(sent), (e: Error) => e.message.startsWith(`config.sandbox.mounts: expected a list of mounts (item 1: ${why}`), JSON.stringify(bad));
  }
  // session.json of earlier versions: strings, host sides already absolute.
  assert.equal(mountsFromRecord(['/srv/data:/data:ro', 'cache:~/.cache', { kind: 'volume', name: 'v', box: '/v', readonly: false }], '/ws'), [
    { kind: 'path', host: '/srv/data', box: '/data', readonly: true },
    { kind: 'volume', name: 'cache', box: '~/.cache', readonly: false },
    { kind: 'volume', name: 'v', box: '/v', readonly: false },
  ]);
  assert.throws(() => mountsFromRecord(['nonsense'], '/ws'), /sandbox\.mounts: item 1: "nonsense" is not "HOST:BOX"/);
});

test('coop init writes a template that loads, and refuses to overwrite without force', () => {
  const dir = tmp();
  const file = initConfig(dir);
  assert.is(readFileSync(file, 'utf8'), TEMPLATE);
  const { config } = loadConfig({ cwd: dir, globalPath: null, env: {}, requireAgent: true });
  assert.equal(config.sandbox.agent, ['claude']);
  try {
    initConfig(dir);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CoopError);
    assert.is((e as Error).message, `${file} already exists; use --force to replace it`);
  }
  writeFileSync(file, 'changed');
  initConfig(dir, { force: true });
  assert.is(readFileSync(file, 'utf8'), TEMPLATE);
});

test('the global file comes from XDG_CONFIG_HOME', () => {
  const xdg = tmp();
  mkdirSync(join(xdg, 'coop'));
  writeFileSync(join(xdg, 'coop', 'default.toml'), '[sandbox]\nuser = "dev"\n');
  const { config, files } = loadConfig({ cwd: tmp(), env: { XDG_CONFIG_HOME: xdg } });
  assert.is(config.sandbox.user, 'dev');
  assert.equal(files, [join(xdg, 'coop', 'default.toml')]);
});

test.run();
