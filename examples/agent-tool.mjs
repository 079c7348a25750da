// A tool built on the daemon: create the box of a project, start an agent command in it, send
// it a prompt, and print what it answers until it exits. The box's PTY lives in the daemon, so
// `coop attach` could watch the same agent meanwhile.
//
//   node agent-tool.mjs [--agent CMD] PROJECT_DIR PROMPT
import { Client, CoopError, loadConfig } from '@coop/core';

const args = process.argv.slice(2);
let agent;
if (args[0] === '--agent') [, agent] = args.splice(0, 2);
const [dir = process.cwd(), prompt = 'hello'] = args;

const client = await Client.connect(); // starts the daemon when none runs
let box;
try {
  const { config, workspace } = loadConfig({ cwd: dir, overrides: { agent }, requireAgent: true });
  config.session.auto_restart = false; // one answer, then done
  ({ box } = await client.create({ workspace, config, detach: true }));

  const stream = await client.attach({ box, cols: 100, rows: 30 });
  let transcript = '';
  stream.on('data', (bytes) => {
    transcript += bytes.toString();
    process.stdout.write(bytes);
  });
  const exited = new Promise((resolve) => {
    stream.on('pty_exited', resolve);
    stream.on('close', () => resolve({ code: null, signal: 'detached' }));
  });
  stream.write(`${prompt}\r`);
  const { code, signal } = await exited;
  console.error(`\nagent ended: ${code ?? signal}; ${transcript.length} bytes of output`);
  process.exitCode = code ?? 1;
} catch (e) {
  console.error(e instanceof CoopError ? `${e.code}: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  if (box) await client.kill({ box }).catch(() => {});
  client.close();
}
