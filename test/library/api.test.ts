// The public API: '@coop/core' exports exactly the documented names, each with JSDoc and an
// example; docs/api.md is current; every example of it compiles (strict TypeScript, imports
// from '@coop/core' as a user writes them); the subpath exports resolve.
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { API_MD, collectDocs, renderDocs, ROOT, SECTIONS, type Doc } from './api-docs.js';
import { compileExamples } from './typed.js';
import { tmp } from '../helpers/tmp.js';

const documented = SECTIONS.flatMap(([, names]) => names);
const indexDts = readFileSync(join(ROOT, 'dist/lib/index.d.ts'), 'utf8');

/** Every name index.d.ts exports, and which of them are types only. */
function declaredExports(): { all: string[]; types: Set<string> } {
  const all: string[] = [];
  const types = new Set<string>();
  for (const m of indexDts.matchAll(/^export (?:declare )?(const|type|class|function) (\w+)/gm)) {
    all.push(m[2]!);
    if (m[1] === 'type') types.add(m[2]!);
  }
  for (const m of indexDts.matchAll(/^export \{([^}]*)\} from/gm)) {
    for (const spec of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) {
      const name = spec.replace(/^type /, '').split(/\s+as\s+/).at(-1)!;
      all.push(name);
      if (spec.startsWith('type ')) types.add(name);
    }
  }
  return { all, types };
}

test("'@coop/core' exports exactly the documented names", async () => {
  const runtime = Object.keys(await import('@coop/core')).sort();
  const { all, types } = declaredExports();
  assert.equal([...all].sort(), [...documented].sort());
  assert.equal(runtime, documented.filter((n) => !types.has(n)).sort());
});

test('each has JSDoc with an example that uses it, and docs/api.md is written from them', () => {
  const docs = collectDocs(); // throws naming a name without JSDoc or @example
  const uses = (d: Doc, what: string) => assert.ok(d.example.includes(what), `the example of ${what} does not use it:\n${d.example}`);
  for (const d of docs) {
    uses(d, d.name);
    for (const m of d.members) uses(m, m.name);
  }
  assert.ok(readFileSync(API_MD, 'utf8') === renderDocs(docs), 'docs/api.md is stale: run `node dist/test/library/api-docs.js --write`');
});

test('every example of docs/api.md compiles against the package as a user imports it', () => {
  // A project whose node_modules/@coop/core is this checkout.
  const dir = tmp('coop-typed-');
  mkdirSync(join(dir, 'node_modules/@coop'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules/@coop/core'));
  assert.is(compileExamples(dir, collectDocs(), ROOT), '');
});

test('the subpath exports resolve to the internals', async () => {
  const protocol = await import('@coop/core/protocol');
  const sandbox = await import('@coop/core/sandbox');
  const config = await import('@coop/core/config');
  const image = await import('@coop/core/image');
  for (const [mod, names] of [
    [protocol, ['Client', 'Connection', 'encodeMessage', 'FrameDecoder', 'serveConnection', 'Gateway', 'PROTOCOL_VERSION']],
    [sandbox, ['planBox', 'boxSpecFor', 'encodePlan', 'spawnInBox', 'SandboxError', 'boxPaths']],
    [config, ['SCHEMA', 'parseMountEntry', 'configMounts', 'ConfigError', 'TrustError', 'initConfig']],
    [image, ['parseReference', 'parseImageSource', 'packageCommands']],
  ] as const) {
    for (const n of names) assert.ok((mod as Record<string, unknown>)[n] !== undefined, `${n} is missing`);
  }
  const core = await import('@coop/core');
  assert.ok(new config.ConfigError({ file: 'f' }, 'p') instanceof core.CoopError);
  assert.is(new config.ConfigError({ file: 'f' }, 'p').code, 'CONFIG_INVALID');
});

test.run();
