// Making an agent runnable in a box, worked out before the box exists: a preset found on
// the caller's PATH gets only its install directory bound (and its interpreter when the box
// lacks it), its state kept per box, its API keys passed when set; what cannot run is one
// line saying what to do.
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prepareAgent } from '../../lib/agents/prepare.js';
import type { BoxMount } from '../../lib/config/types.js';
import { CoopError } from '../../lib/errors.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const root = realpathSync(tmp('coop-agents-'));
const home = tmp('coop-home-');
const ws = tmp('coop-ws-');

function executable(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

// An npm prefix as `npm install -g --prefix` leaves it: bin/claude -> the package's file.
const pkg = join(root, 'prefix', 'lib', 'node_modules', '@anthropic-ai', 'claude-code');
mkdirSync(pkg, { recursive: true });
writeFileSync(join(pkg, 'package.json'), '{}');
const real = executable(join(pkg, 'bin', 'claude.exe'), '#!/bin/sh\necho claude\n');
mkdirSync(join(root, 'prefix', 'bin'));
symlinkSync('../lib/node_modules/@anthropic-ai/claude-code/bin/claude.exe', join(root, 'prefix', 'bin', 'claude'));
// A script whose interpreter the box does not have: #!/usr/bin/env fakenode.
const codexPkg = join(root, 'codex', 'lib', 'node_modules', '@openai', 'codex');
mkdirSync(codexPkg, { recursive: true });
writeFileSync(join(codexPkg, 'package.json'), '{}');
const codexJs = executable(join(codexPkg, 'bin', 'codex.js'), '#!/usr/bin/env fakenode\n');
mkdirSync(join(root, 'codex', 'bin'));
symlinkSync(codexJs, join(root, 'codex', 'bin', 'codex'));
const fakenode = executable(join(root, 'node-v1', 'bin', 'fakenode'), '#!/bin/sh\n');

/** A directory bound read-only at the same path. */
const ro = (dir: string): BoxMount => ({ kind: 'path', host: dir, box: dir, readonly: true });

const prepare = (agent: string[], env: NodeJS.ProcessEnv, mounts: BoxMount[] = []) =>
  prepareAgent(testConfig(ws, { sandbox: { agent, mounts } }), { env, rootfs: null, coopHome: join(root, 'coop-home'), hostHome: home }).config;

test('claude from an npm prefix: its package bound read-only at the same path, state per box, keys passed when set', () => {
  const c = prepare(['claude', '--verbose'], { PATH: `${join(root, 'prefix', 'bin')}:/usr/bin`, ANTHROPIC_API_KEY: 'sk-test' });
  assert.equal(c.sandbox.agent, [real, '--verbose']);
  assert.equal(c.sandbox.mounts, [ro(pkg)]);
  assert.equal(c.session.persist, ['.claude']);
  assert.equal(c.env, { ANTHROPIC_API_KEY: 'sk-test', CLAUDE_CONFIG_DIR: '/home/coop/.claude' });
});

test('a named volume on the state directory replaces the per-box one (sharing is opt-in)', () => {
  const c = prepare(['claude'], { PATH: join(root, 'prefix', 'bin') }, [{ kind: 'volume', name: 'claude-state', box: '~/.claude', readonly: false }]);
  assert.equal(c.session.persist, []);
});

test('a script whose interpreter the box lacks: the interpreter comes along and is put on PATH', () => {
  const c = prepare(['codex'], { PATH: `${join(root, 'codex', 'bin')}:${join(root, 'node-v1', 'bin')}`, OPENAI_API_KEY: 'k' });
  assert.equal(c.sandbox.agent, [fakenode, codexJs]);
  assert.equal(c.sandbox.mounts, [ro(codexPkg), ro(join(root, 'node-v1', 'bin'))]);
  assert.match(c.env.PATH!, new RegExp(`^${join(root, 'node-v1', 'bin')}:/usr/local/sbin:`));
  assert.is(c.env.OPENAI_API_KEY, 'k');
});

test('what the box has is used as it is; what it cannot run is one line with what to do', () => {
  assert.equal(prepare(['sh', '-c', 'true'], {}).sandbox, testConfig(ws, { sandbox: { agent: ['sh', '-c', 'true'] } }).sandbox);
  const fail = (agent: string[], env: NodeJS.ProcessEnv): string => {
    try {
      prepare(agent, env);
    } catch (e) {
      assert.instance(e, CoopError);
      return (e as Error).message;
    }
    throw new Error(`${agent[0]}: no error`);
  };
  assert.match(fail(['aider'], { PATH: '/nonexistent' }), /^agent "aider": Aider is neither in the box nor on your PATH; install it \(pipx install aider-chat\)/);
  assert.match(fail(['my-agent'], { PATH: join(root, 'mine') }), /^agent "my-agent" is not found in the box: mount its directory/);
  executable(join(root, 'mine', 'my-agent'), '#!/bin/sh\n');
  assert.match(fail(['my-agent'], { PATH: join(root, 'mine') }), new RegExp(`it is at ${join(root, 'mine', 'my-agent')} on this machine, hidden from the box: add "${join(root, 'mine')}:/opt/my-agent:ro"`));
  executable(join(home, 'gemini'), '#!/bin/sh\n');
  assert.match(fail(['gemini'], { PATH: home }), /is installed directly in .*, which coop will not bind into a box whole/);
});

test.run();
