// The box's init (PID 1 inside) is coop's, not the box's: what it holds — the pipe that
// carries the command's wait status to `coop run` — must be out of reach of the processes
// it runs. (Red-team finding: the init is dumpable outside terminal mode, so any box process
// could open /proc/1/fd/N and make a failing `coop run` exit 0.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCaptured } from '../helpers/box.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');

test('a box cannot forge the exit status `coop run` reports (no writes through /proc/1/fd)', async () => {
  // "0 " first in the status pipe: atoi() of "0 768" is 0.
  const forge = 'for f in /proc/1/fd/*; do case "$(readlink $f 2>/dev/null)" in pipe:*) printf "0 " 2>/dev/null > $f;; esac; done; exit 3';
  const r = await runCaptured({ cmd: ['sh', '-c', forge], config: testConfig(ws), coopHome: home });
  assert.is(r.code, 3, `the command exited 3, coop reported ${r.code}`);
});

test('the box\'s init is not readable through /proc/1/fd by the processes it runs', async () => {
  const r = await runCaptured({ cmd: ['sh', '-c', 'for f in /proc/1/fd/*; do readlink $f 2>/dev/null && echo READABLE; done; echo end'], config: testConfig(ws), coopHome: home });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stdout, /READABLE/, r.stdout);
});

test.run();
