// The daemon's idle exit (SPEC §5) counts the web server: with no box and no client it stays
// up while it serves, and exits once `coop serve --stop` has stopped it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alive, sleep, TestCoop } from '../helpers/daemon.js';
import { serve } from '../helpers/web.js';

test('serving keeps an idle daemon up; stopping lets it exit', async () => {
  const t = new TestCoop();
  t.env.COOP_DAEMON_IDLE_MS = '400';
  try {
    await serve(t);
    const pid = t.daemonPid()!;
    await sleep(1500);
    assert.ok(alive(pid), 'still serving after 3 idle periods');
    assert.is((await t.cli(['serve', '--stop'])).code, 0);
    for (let i = 0; i < 200 && alive(pid); i++) await sleep(25);
    assert.not.ok(alive(pid), 'exited once idle');
  } finally {
    await t.stop();
  }
});

test.run();
