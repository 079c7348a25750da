// An HTTP endpoint (node:http, no framework) that runs each request's command in a fresh box
// of its own, without network, and answers with the output and exit code.
//
//   PORT=8080 node http-endpoint.mjs [PROJECT_DIR]
//   curl -s localhost:8080/run -d '{"cmd": ["sh", "-c", "uname -a; id"]}'
import { createServer } from 'node:http';
import { CoopError, loadConfig, run } from '@coop/core';

const MAX_BODY = 64 * 1024;
const MAX_OUTPUT = 1024 * 1024;
const { config } = loadConfig({ cwd: process.argv[2] ?? process.cwd(), overrides: { network: 'none' } });

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw new Error('the request body is over 64 KiB');
  }
  const { cmd } = JSON.parse(body);
  if (!Array.isArray(cmd) || !cmd.length || !cmd.every((w) => typeof w === 'string')) throw new Error('"cmd" must be a non-empty array of strings');
  return cmd;
}

const collect = (stream) => {
  const out = { text: '', truncated: false };
  stream.on('data', (d) => {
    if (out.text.length < MAX_OUTPUT) out.text += d;
    else out.truncated = true;
  });
  return out;
};

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/run') return reply(res, 404, { error: 'POST /run {"cmd": [...]}' });
  let cmd;
  try {
    cmd = await readJson(req);
  } catch (e) {
    return reply(res, 400, { error: e.message });
  }
  try {
    const box = run({ cmd, config });
    box.stdin.end();
    const stdout = collect(box.stdout);
    const stderr = collect(box.stderr);
    res.on('close', () => res.writableFinished || box.kill('SIGKILL')); // the client went away
    const { name, code, signal, failure } = await box;
    reply(res, 200, { box: name, code, signal, failure, stdout: stdout.text, stderr: stderr.text, truncated: stdout.truncated || stderr.truncated });
  } catch (e) {
    if (!(e instanceof CoopError)) throw e;
    reply(res, 500, { error: e.code, message: e.message });
  }
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/run`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close());
