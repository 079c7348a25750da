// The layering of lib/ (docs/architecture.md), checked on the sources: the sandbox and the
// image layer never reach up into the daemon, the sandbox never into the image layer (it
// takes a resolved rootfs); and a box's directory is laid out in one place (lib/paths.ts),
// under the names earlier versions used, so that their boxes are still found.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoopError } from '../../lib/errors.js';
import { resolveRootfs } from '../../lib/image/rootfs.js';
import { boxesDir, boxPaths, layerDirs, layerPaths, stageDir } from '../../lib/paths.js';
import { run as runInSandbox, type RunInRootfs } from '../../lib/sandbox/run.js';
import { testConfig } from '../helpers/config.js';
import { tmp } from '../helpers/tmp.js';
import { ROOT } from './api-docs.js';

const LIB = join(ROOT, 'lib');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The lib/ folders (relative to lib/) a source file imports from, static and dynamic imports and re-exports alike. */
function importedFolders(file: string): { spec: string; target: string }[] {
  const text = readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+['"]([^'"]+)['"]/gms),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((spec) => ({ spec, target: relative(LIB, resolve(dirname(file), spec)) }));
}

const RULES: [from: string, mayNotImport: string, why: string][] = [
  ['sandbox', 'daemon', 'discovery and records of boxes are the sandbox\'s; the daemon builds on them'],
  ['image', 'daemon', 'the image layer finds running boxes through the sandbox'],
  ['sandbox', 'image', 'the sandbox takes a resolved rootfs (lib/image/rootfs.ts resolves it)'],
];

test('the sandbox and the image layer import nothing from above them', () => {
  const found: string[] = [];
  for (const [from, banned, why] of RULES) {
    for (const file of sources(join(LIB, from))) {
      for (const { spec, target } of importedFolders(file)) {
        if (target === banned || target.startsWith(`${banned}/`)) found.push(`${relative(ROOT, file)} imports ${spec} (${why})`);
      }
    }
  }
  assert.equal(found, []);
});

test('the import check sees the kinds of import there are', () => {
  const names = importedFolders(join(LIB, 'sandbox', 'index.ts')).map((i) => i.target);
  assert.ok(names.includes('paths.js') && names.includes('sandbox/box.js'), names.join(' '));
  assert.ok(importedFolders(join(LIB, 'sandbox', 'box-spec.ts')).some((i) => i.target === 'config/types.js'));
});

test('the sandbox takes a resolved rootfs; without one it says where to get it', async () => {
  const config = testConfig(tmp());
  const err = await runInSandbox({ cmd: ['true'], config, coopHome: tmp() } as RunInRootfs).then(() => null, (e: CoopError) => e);
  assert.is(err?.code, 'BAD_ARGUMENTS');
  assert.match(err!.message, /take a resolved `rootfs`: resolve it with resolveRootfs\(\) of '@coop\/core\/image'/);
  assert.equal(resolveRootfs(config.sandbox, { baseDir: '/', coopHome: tmp() }).kind, 'host');
  const dir = tmp();
  assert.equal(resolveRootfs({ ...config.sandbox, image: `dir:${dir}` }, { baseDir: '/', coopHome: tmp() }), { kind: 'dir', path: dir });
});

/** Names of a box's directory and of $COOP_HOME that only lib/paths.ts may spell. */
const LAYOUT_NAMES = ['sessions', 'session.json', 'box.json', 'persist', 'stage', 'network.log', 'upper', 'work', 'agent-stopped'];

test('a box\'s on-disk names are spelled in lib/paths.ts only', () => {
  const found: string[] = [];
  for (const file of sources(LIB)) {
    if (file === join(LIB, 'paths.ts')) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*|\/\*)/.test(line)) return; // comments may name them
      for (const name of LAYOUT_NAMES) {
        const quoted = new RegExp(`(['"\`])${name.replace('.', '\\.')}\\1|[/'"\`]${name.replace('.', '\\.')}/`);
        // (log events are named as words, not paths: this.log('agent-stopped', ...))
        if (quoted.test(line) && !line.includes(`log('${name}'`)) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.equal(found, []);
});

test('the layout keeps the names of earlier versions, and removal never takes persist', () => {
  const p = boxPaths('/h/.coop', 'api');
  assert.equal(p, {
    dir: '/h/.coop/sessions/api',
    root: '/h/.coop/sessions/api/root', upper: '/h/.coop/sessions/api/upper', work: '/h/.coop/sessions/api/work',
    files: '/h/.coop/sessions/api/files', host: '/h/.coop/sessions/api/host',
    persist: '/h/.coop/sessions/api/persist',
    record: '/h/.coop/sessions/api/box.json',
    served: '/h/.coop/sessions/api/session.json',
    owner: '/h/.coop/sessions/api/workspace',
    networkLog: '/h/.coop/sessions/api/network.log',
    agentStopped: '/h/.coop/sessions/api/agent-stopped',
  });
  assert.is(boxesDir('/h/.coop'), '/h/.coop/sessions');
  assert.equal(layerDirs(stageDir('/h/.coop')).root, '/h/.coop/stage/root');
  const removed = layerPaths(p);
  assert.ok(removed.every((x) => x.startsWith(`${p.dir}/`)));
  assert.not.ok(removed.includes(p.persist) || removed.includes(p.owner));
  for (const layer of [p.root, p.upper, p.work, p.files, p.host, p.record]) assert.ok(removed.includes(layer), layer);
});

test.run();
