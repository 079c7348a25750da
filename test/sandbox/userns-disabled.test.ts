// When user namespaces cannot be created, coop says exactly that and how to enable them.
// user.max_user_namespaces is a per-user-namespace limit: setting it to 0 inside a
// throwaway user namespace (where we hold CAP_SYS_RESOURCE, even as an ordinary user)
// disables user namespaces for everything started there, without touching the host.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';

test('user.max_user_namespaces = 0 gives a one-line explanation and the fix', () => {
  const script = `
    import('${new URL('../../lib/boxes.js', import.meta.url).href}').then(async ({ run }) => {
      try {
        await run({ cmd: ['true'], config: ${JSON.stringify(testConfig(tmp()))}, coopHome: ${JSON.stringify(tmp())} });
        console.log('STARTED');
      } catch (e) { console.log(e.message); }
    });`;
  const r = spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c',
    'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8' });
  assert.is(r.stderr, '');
  // The first user namespace coop makes names itself: the box's own (user,mount,pid,...), or
  // for a root caller the one that id-maps the host image's directories.
  assert.match(
    r.stdout,
    /^clone user[^:]*: No space left on device — user namespaces are disabled \(user\.max_user_namespaces = 0\); enable them with `sudo sysctl -w user\.max_user_namespaces=15000`; see docs\/troubleshooting\.md\n$/,
  );
});

test.run();
