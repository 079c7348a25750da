// coop init [--force]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coop } from '../helpers/cli.js';
import { tmp } from '../helpers/tmp.js';

test('writes coop.toml, refuses to overwrite, --force replaces', async () => {
  const dir = tmp();
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const a = await coop(['init'], { cwd: dir, env });
  assert.is(a.code, 0, a.stderr);
  assert.ok(existsSync(join(dir, 'coop.toml')));
  writeFileSync(join(dir, 'coop.toml'), 'mine');
  const b = await coop(['init'], { cwd: dir, env });
  assert.is(b.code, 1);
  assert.is(b.stderr, `coop: ${join(dir, 'coop.toml')} already exists; use --force to replace it\n`);
  assert.is(readFileSync(join(dir, 'coop.toml'), 'utf8'), 'mine');
  const c = await coop(['init', '--force'], { cwd: dir, env });
  assert.is(c.code, 0);
  assert.match(readFileSync(join(dir, 'coop.toml'), 'utf8'), /\[sandbox\]/);
});

test.run();
