// The examples in examples/ do what their comments say, run as a user would run them
// (`node examples/x.mjs`, '@coop/core' resolved through the package's own exports).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestCoop } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';

export const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

const coop = new TestCoop('[session]\nrestart_delay_ms = 100\n');
const env = { ...coop.env, COOP_DAEMON_IDLE_MS: '600000' };

function node(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: opts.cwd ?? coop.workspace, env: opts.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test.after(() => coop.stop());

test('ci.mjs: npm test in a box without network, output streamed, its exit code', async () => {
  writeFileSync(join(coop.workspace, 'package.json'), JSON.stringify({
    name: 'project', scripts: { test: 'echo testing; ls /sys/class/net; echo failing >&2; exit 3' },
  }));
  const r = await node([join(EXAMPLES, 'ci.mjs'), coop.workspace]);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stdout, /\ntesting\nlo\n$/); // only the loopback interface: network "none"
  assert.match(r.stderr, /^failing\nexit code 3\n$/m);
});

test('ci.mjs: a command after --; a missing one is named', async () => {
  const ok = await node([join(EXAMPLES, 'ci.mjs'), coop.workspace, '--', 'sh', '-c', 'pwd; id -u']);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, '/workspace\n0\n');
  const missing = await node([join(EXAMPLES, 'ci.mjs'), coop.workspace, '--', 'no-such-tool']);
  assert.is(missing.code, 127);
  assert.is(missing.stderr, 'no-such-tool: command not found\nexit code 127\n');
});

test('agent-tool.mjs: creates the box, prompts the agent through Client, prints its answer and exit', async () => {
  const agent = 'sh -c \'read q; echo "answer to: $q"; exit 4\'';
  const r = await node([join(EXAMPLES, 'agent-tool.mjs'), '--agent', agent, coop.workspace, 'what is 6*7']);
  assert.is(r.code, 4, r.stderr);
  assert.match(r.stdout, /answer to: what is 6\*7\r\n/);
  assert.match(r.stderr, /agent ended: 4; \d+ bytes of output\n$/);
  const c = await coop.client(false);
  try {
    assert.equal(await c.ls(), []); // the tool killed its box
  } finally {
    c.close();
  }
});

test('http-endpoint.mjs: a box per request, network none, 400 for a bad body', async () => {
  const child = spawn(process.execPath, [join(EXAMPLES, 'http-endpoint.mjs'), coop.workspace], { cwd: tmp(), env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`the endpoint ended: ${out}`)));
    });
    const post = async (body: string) => {
      const res = await fetch(url, { method: 'POST', body });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const cmd = ['sh', '-c', 'hostname; ls /sys/class/net; echo e >&2; exit 5'];
    const [a, b] = await Promise.all([post(JSON.stringify({ cmd })), post(JSON.stringify({ cmd }))]);
    for (const r of [a, b]) {
      assert.is(r.status, 200);
      assert.is(r.json.code, 5);
      assert.is(r.json.stdout, `${r.json.box}\nlo\n`);
      assert.is(r.json.stderr, 'e\n');
    }
    assert.is.not(a.json.box, b.json.box);
    const bad = await post('{"cmd": "ls"}');
    assert.is(bad.status, 400);
    assert.equal(bad.json, { error: '"cmd" must be a non-empty array of strings' });
  } finally {
    child.kill('SIGTERM');
  }
});

test.run();
