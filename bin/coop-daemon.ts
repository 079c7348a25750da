// The coop daemon process, started by the CLI or the library (lib/client/daemon.ts) in a
// new session with its output going to $COOP_HOME/logs/daemon.log. Bundled into
// dist/bin/coop-daemon.cjs.
import { Daemon } from '../lib/daemon/daemon.js';
import { coopHome } from '../lib/paths.js';

const env = process.env;
Daemon.start({
  coopHome: coopHome(env),
  socket: env.COOP_SOCKET || undefined,
  idleMs: env.COOP_DAEMON_IDLE_MS ? Number(env.COOP_DAEMON_IDLE_MS) : undefined,
}).then(
  (daemon) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void daemon.shutdown(sig));
    process.on('SIGHUP', () => {});
    process.on('uncaughtException', (e) => {
      daemon.log.write('crash', { message: e.message });
      process.exit(1);
    });
    void daemon.done.then(() => process.exit(0));
  },
  (e: Error) => {
    process.stderr.write(`coop daemon: ${e.message}\n`);
    process.exit(1);
  },
);
