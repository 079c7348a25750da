// The README's "Running Claude Code / Codex / Aider in coop", done as written: Claude Code
// installed from the npm registry into a prefix on the PATH, `coop init --agent claude`,
// `coop` — its TUI starts in a box on the host image with no other configuration, only its
// install directory is bound (read-only), the home directory stays hidden, and its state
// (~/.claude with .claude.json) is the box's own. Skipped, saying why, when the registry
// cannot be reached.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COOP } from '../helpers/cli.js';
import { TestCoop } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';
import { Tmux } from '../helpers/tmux.js';

const PACKAGE = '@anthropic-ai/claude-code';

/** A prefix with Claude Code in it: the root run's (shared with the ordinary users' runs) or a fresh one. */
function installClaude(): { prefix: string } | { skipped: string } {
  const shared = process.env.COOP_TEST_SHARED;
  const sharedPrefix = shared ? join(shared, 'claude-prefix') : null;
  if (sharedPrefix && existsSync(join(sharedPrefix, 'bin', 'claude'))) return { prefix: sharedPrefix };
  const prefix = sharedPrefix && process.getuid?.() === 0 ? sharedPrefix : join(tmp('coop-claude-'), 'prefix');
  mkdirSync(prefix, { recursive: true });
  const r = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', PACKAGE], {
    encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (r.status !== 0 || !existsSync(join(prefix, 'bin', 'claude'))) {
    const why = `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim().split('\n').filter(Boolean).at(-1) ?? `npm exited with ${r.status}`;
    return { skipped: `Claude Code could not be installed from the npm registry (${why})` };
  }
  if (prefix === sharedPrefix) chmodSync(prefix, 0o755);
  return { prefix };
}

test('agent = "claude" from the npm registry: its TUI in a box on the host image, the home hidden', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  assert.match(readme, /^## Running Claude Code \/ Codex \/ Aider in coop$/m);
  assert.match(readme, /coop init --agent claude/);
  const got = installClaude();
  if ('skipped' in got) {
    console.log(`skipped: ${got.skipped}`);
    return;
  }
  const t = new TestCoop('# replaced by coop init\n');
  const env = { ...t.env, PATH: `${join(got.prefix, 'bin')}:${process.env.PATH}` } as NodeJS.ProcessEnv;
  execFileSync('rm', [join(t.workspace, 'coop.toml')]);
  const init = spawnSync(process.execPath, [COOP, 'init', '--agent', 'claude'], { cwd: t.workspace, env, encoding: 'utf8' });
  assert.is(init.status, 0, init.stderr);
  const tmux = new Tmux({ cols: 110, rows: 35, cwd: t.workspace, env: { COOP_HOME: t.home, PATH: env.PATH!, PS1: 'outer$ ', COOP_DAEMON_IDLE_MS: '600000' } });
  try {
    await tmux.waitFor(/outer\$ ?$/m);
    tmux.type(`${process.execPath} ${COOP}`);
    await tmux.waitFor(/Claude Code/); // its TUI (offline it says it cannot connect, and exits)
    tmux.keys('C-]');
    await tmux.waitFor(/^\[(detached|agent stopped[^\]]*)\]$/m);
    const installDir = realpathSync(join(got.prefix, 'lib', 'node_modules', PACKAGE));
    const home = homedir();
    const probe = spawnSync(process.execPath, [COOP, 'shell', '-c',
      `ls -A ${home} 2>&1 | head -3; echo "home-end"; ls /home; echo "$CLAUDE_CONFIG_DIR"; ls -A ~; touch ${installDir}/x 2>&1 || echo read-only`,
    ], { cwd: t.workspace, env, encoding: 'utf8' });
    assert.is(probe.status, 0, probe.stderr);
    const [hostHome] = probe.stdout.split('home-end\n');
    const realHome = readdirSafe(home);
    for (const name of realHome) assert.not.ok(hostHome!.split('\n').includes(name), `the host home's ${name} is visible in the box:\n${probe.stdout}`);
    assert.match(probe.stdout, /^home-end\ncoop\n\/home\/coop\/\.claude\n/m);
    // Its state: ~/.claude (with .claude.json inside, never beside it), the box's own.
    assert.match(probe.stdout, /^\.claude$/m, probe.stdout);
    assert.not.match(probe.stdout, /^\.claude\.json$/m, probe.stdout);
    const name = (JSON.parse(spawnSync(process.execPath, [COOP, 'ls', '--json'], { cwd: t.workspace, env, encoding: 'utf8' }).stdout) as { name: string }[])[0]!.name;
    assert.ok(existsSync(join(t.home, 'sessions', name, 'persist', '.claude')), 'not persisted per box');
    assert.match(probe.stdout, /read-only/);
  } finally {
    tmux.kill();
    await t.stop();
  }
});

function readdirSafe(dir: string): string[] {
  try {
    return execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

test.run();
