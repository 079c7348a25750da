// Every command has --help with its usage, options and examples; unknown commands and
// options are one-line usage errors (exit 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS } from '../../bin/cli/commands.js';
import { coop } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';

const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, COOP_HOME: tmp() };

test('--help on every command: usage, description, examples', async () => {
  for (const c of COMMANDS) {
    const r = await coop([...c.path, '--help'], { env });
    assert.is(r.code, 0, `${c.path.join(' ')}: ${r.stderr}`);
    assert.ok(r.stdout.includes(`coop ${c.usage}`), `${c.path.join(' ')}: usage missing\n${r.stdout}`);
    // yargs wraps long examples: their beginning is enough
    for (const [example] of c.examples) assert.ok(r.stdout.includes(example.slice(0, 24)), `${c.path.join(' ')}: example "${example}" missing`);
  }
});

test('unknown commands and options: exit 2, one line and a pointer to --help', async () => {
  const r = await coop(['atach'], { env });
  assert.is(r.code, 2);
  assert.match(r.stderr, /^coop: unknown command "atach" \(did you mean "coop attach"\?\)\nRun `coop --help` for usage\.\n$/);
  const o = await coop(['ls', '--jsn'], { env });
  assert.is(o.code, 2);
  assert.match(o.stderr, /^coop: unknown option --jsn \(did you mean --json\?\)/);
  const s = await coop(['shell', 'kill', 'x'], { env });
  assert.is(s.code, 2);
  assert.match(s.stderr, /a PTY id is a number/);
});

test.run();
