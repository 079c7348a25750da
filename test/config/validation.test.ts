// Every class of configuration error, with its exact message: <file>:<line>: <key>: <problem>.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../lib/config/index.js';
import { tmp } from '../helpers/tmp.js';

function errorFor(toml: string, opts: { requireAgent?: boolean; env?: NodeJS.ProcessEnv } = {}): ConfigError {
  const dir = tmp();
  writeFileSync(join(dir, 'coop.toml'), toml);
  try {
    loadConfig({ cwd: dir, globalPath: null, env: opts.env ?? {}, requireAgent: opts.requireAgent });
  } catch (e) {
    assert.instance(e, ConfigError);
    const err = e as ConfigError;
    assert.ok(err.message.startsWith(`${join(dir, 'coop.toml')}`), err.message);
    assert.not.match(err.message, /\n/);
    return err;
  }
  throw new Error(`no error for:\n${toml}`);
}

const tail = (e: ConfigError) => e.message.slice(e.file.length);

test('unknown key, with a suggestion', () => {
  assert.is(tail(errorFor('[sandbox]\nagent = "x"\nimgae = "debian"\n')), ':3: sandbox.imgae: unknown key (did you mean "image"?)');
  assert.is(tail(errorFor('[network]\nmod = "none"\n')), ':2: network.mod: unknown key (did you mean "mode"?)');
  assert.is(tail(errorFor('[session]\nzzzzzzzz = 1\n')), ':2: session.zzzzzzzz: unknown key');
});

test('unknown section, with a suggestion', () => {
  assert.is(tail(errorFor('\n[sandbx]\nimage = "host"\n')), ':2: sandbx: unknown section (did you mean [sandbox]?)');
});

test('dotted keys and inline tables are located too', () => {
  assert.is(tail(errorFor('sandbox.imag = "x"\n')), ':1: sandbox.imag: unknown key (did you mean "image"?)');
  assert.is(tail(errorFor('[sandbox]\npackages = { apt = ["git"], npm = 3 }\n')), ':2: sandbox.packages: npm: expected an array of package names, got an integer');
});

test('wrong types', () => {
  assert.is(tail(errorFor('[sandbox]\nimage = 3\n')), ':2: sandbox.image: expected a string, got an integer');
  assert.is(tail(errorFor('[session]\nauto_restart = "yes"\n')), ':2: session.auto_restart: expected a boolean (true or false), got a string');
  assert.is(tail(errorFor('[sandbox]\nsetup = "apt-get update"\n')), ':2: sandbox.setup: expected an array of strings, got a string');
  assert.is(tail(errorFor('[sandbox]\nmounts = ["/a:/b", 5]\n')), ':2: sandbox.mounts: item 2: expected a string, got an integer');
  assert.is(tail(errorFor('[session]\nrestart_delay_ms = 1.5\n')), ':2: session.restart_delay_ms: expected an integer, got a float');
  assert.is(tail(errorFor('sandbox = 1\n')), ':1: sandbox: expected a table ([sandbox]), got an integer');
});

test('bad enum values', () => {
  assert.is(tail(errorFor('[network]\nmode = "bridge"\n')), ':2: network.mode: "bridge" is not one of "host", "none", "private"');
});

test('bad image references', () => {
  assert.is(tail(errorFor('[sandbox]\nimage = "Debian:Latest"\n')),
    ':2: sandbox.image: bad image reference "Debian:Latest": repository names are lowercase letters, digits and separators (".", "_", "__", "-") between "/"');
  assert.is(tail(errorFor('[sandbox]\nimage = "debian@sha256:abc"\n')),
    ':2: sandbox.image: bad image reference "debian@sha256:abc": a digest must be sha256: followed by 64 lowercase hex digits');
  assert.is(tail(errorFor('[sandbox]\nimage = "dir:"\n')), ':2: sandbox.image: bad image source "dir:": dir: needs a path');
});

test('bad mounts, ports, names and sequences', () => {
  assert.is(tail(errorFor('[sandbox]\nmounts = [\n  "a:b:c:d",\n]\n')), ':2: sandbox.mounts: "a:b:c:d" is not "HOST:BOX", "HOST:BOX:ro" or "VOLUME:BOX"');
  assert.is(tail(errorFor('[sandbox]\nmounts = ["/etc/x:relative"]\n')), ':2: sandbox.mounts: "/etc/x:relative": the box path "relative" must be absolute or start with ~');
  assert.is(tail(errorFor('[sandbox]\nmounts = ["bad name!:/x"]\n')), ':2: sandbox.mounts: "bad name!:/x": "bad name!" is neither a host path (starting with /, ~ or .) nor a volume name');
  assert.is(tail(errorFor('[network]\nports = ["80:99999"]\n')), ':2: network.ports: "80:99999" is not "HOST_PORT:BOX_PORT" or "ADDRESS:HOST_PORT:BOX_PORT" (an IPv4 address, ports from 1 to 65535)');
  assert.is(tail(errorFor('[network]\nports = ["localhost:80:3000"]\n')), ':2: network.ports: "localhost:80:3000" is not "HOST_PORT:BOX_PORT" or "ADDRESS:HOST_PORT:BOX_PORT" (an IPv4 address, ports from 1 to 65535)');
  assert.is(tail(errorFor('[network]\nmode = "veth"\n')), ':2: network.mode: "veth" is now called "private": write mode = "private"');
  assert.is(tail(errorFor('[network]\nallow = ["ok.example", "no such name"]\n')),
    ':2: network.allow: "no such name" is not a domain name ("example.com", "*.example.com"), an IP address or a CIDR range ("10.0.0.0/8")');
  assert.is(tail(errorFor('[network]\nallow = ["10.0.0.0/33"]\n')),
    ':2: network.allow: "10.0.0.0/33" is not a domain name ("example.com", "*.example.com"), an IP address or a CIDR range ("10.0.0.0/8")');
  assert.is(tail(errorFor('[network]\ndns = ["resolver:53"]\n')), ':2: network.dns: "resolver:53" is not a DNS server address ("192.0.2.53", "127.0.0.1:5353", "[::1]:53")');
  assert.is(tail(errorFor('[network]\nhosts = ["api.internal"]\n')), ':2: network.hosts: "api.internal" is not "NAME=ADDRESS" (e.g. "registry.internal=10.1.2.3")');
  assert.is(tail(errorFor('[sandbox]\nuser = "Root User"\n')), ':2: sandbox.user: "Root User" is not a valid user name (lowercase letters, digits, "_" and "-")');
  assert.is(tail(errorFor("[input_filter]\nblock_sequences = ['\\q']\n")),
    ':2: input_filter.block_sequences: unknown escape "\\q" (use \\xHH, \\uXXXX, \\r, \\n, \\t, \\e, \\0 or \\\\)');
  assert.is(tail(errorFor('[session]\npersist = ["../escape"]\n')), ':2: session.persist: "../escape" must be a relative directory under the in-box home, without ".."');
  assert.is(tail(errorFor('[session]\nrestart_delay_ms = -1\n')), ':2: session.restart_delay_ms: must be at least 0, got -1');
});

test('TOML syntax errors name the line', () => {
  assert.is(tail(errorFor('[sandbox]\nimage = "host"\nagent = [1,\n')), ':4: TOML syntax error: invalid value');
  assert.is(tail(errorFor('a = 1\na = 2\n')), ':2: TOML syntax error: trying to redefine an already defined table or value');
});

test('env names and references', () => {
  assert.is(tail(errorFor('[env]\n"1BAD" = "x"\n')), ':2: env.1BAD: variable names are letters, digits and "_", not starting with a digit');
  assert.is(tail(errorFor('[env]\nA = "${B"\n')), ':2: env.A: unterminated ${...} reference');
  assert.is(tail(errorFor('[env]\nA = [1]\n')), ':2: env.A: expected a string, got an array');
});

test('a missing agent, only when one is needed', () => {
  const e = errorFor('[sandbox]\nimage = "host"\n', { requireAgent: true });
  assert.is(tail(e), ': sandbox.agent: no agent configured: set agent = "claude" (your agent\'s command) under [sandbox], or pass --agent CMD');
  assert.is(e.key, 'sandbox.agent');
});

test('agent strings split like a shell; bad quoting is an error', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'coop.toml'), `[sandbox]\nagent = "aider --model 'gpt 4' \\"a b\\" c\\\\ d"\n`);
  const { config } = loadConfig({ cwd: dir, globalPath: null, env: {} });
  assert.equal(config.sandbox.agent, ['aider', '--model', 'gpt 4', 'a b', 'c d']);
  assert.is(tail(errorFor(`[sandbox]\nagent = "claude 'oops"\n`)), `:2: sandbox.agent: the command has an unclosed ' quote`);
});

test('command-line overrides are checked too', () => {
  const dir = tmp();
  try {
    loadConfig({ cwd: dir, globalPath: null, env: {}, overrides: { network: 'bridge' } });
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'command line: network.mode: "bridge" is not one of "host", "none", "private"');
  }
});

test.run();
