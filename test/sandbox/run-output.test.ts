// run() with stdio 'pipe': the promise resolves only after the command's stdout and stderr
// have been read to their end, so nothing written just before the exit is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../../lib/boxes.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

const home = tmp('coop-home-');
const ws = tmp('coop-ws-');

test('all of stdout and stderr has been read when run() resolves', async () => {
  // Several MB on both streams, the last line written right before the exit.
  const script = "head -c 3000000 /dev/zero | tr '\\0' o; echo OUT-END; head -c 2000000 /dev/zero | tr '\\0' e >&2; echo ERR-END >&2; exit 3";
  for (let i = 0; i < 3; i++) {
    const h = run({ cmd: ['sh', '-c', script], config: testConfig(ws), coopHome: home, stdio: 'pipe' });
    h.stdin!.end();
    let out = 0;
    let err = 0;
    let outTail = '';
    let errTail = '';
    h.stdout!.on('data', (d: Buffer) => {
      out += d.length;
      outTail = (outTail + d.toString('latin1')).slice(-16);
    });
    h.stderr!.on('data', (d: Buffer) => {
      err += d.length;
      errTail = (errTail + d.toString('latin1')).slice(-16);
    });
    const r = await h; // no extra turn of the event loop: the streams are done
    assert.is(r.code, 3);
    assert.is(out, 3000000 + 'OUT-END\n'.length);
    assert.is(err, 2000000 + 'ERR-END\n'.length);
    assert.ok(outTail.endsWith('OUT-END\n') && errTail.endsWith('ERR-END\n'), `${outTail} / ${errTail}`);
  }
});

test('a stream nobody reads does not hold run() up', async () => {
  const h = run({ cmd: ['sh', '-c', 'echo unread; echo unread >&2'], config: testConfig(ws), coopHome: home, stdio: 'pipe' });
  h.stdin!.end();
  const r = await h;
  assert.is(r.code, 0);
});

test.run();
