// docs/api.md, written from the JSDoc of '@coop/core' (the compiled .d.ts files): every
// exported name in the order of SECTIONS, its description, declaration and example, and each
// documented member of the classes. `node dist/test/library/api-docs.js --write` rewrites
// the file; test/library/api.test.ts checks that it is current and that nothing is missing.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DIST = join(ROOT, 'dist', 'lib');
export const API_MD = join(ROOT, 'docs', 'api.md');

/** Every name '@coop/core' exports, grouped as docs/api.md shows them. */
export const SECTIONS: [string, string[]][] = [
  ['Configuration', ['loadConfig', 'LoadConfigOptions', 'LoadedConfig', 'ConfigOverrides', 'CoopConfig', 'BoxMount', 'trustFile', 'revokeTrust', 'isTrusted', 'TrustOptions', 'Trusted', 'coopHome']],
  ['One-shot boxes', ['run', 'RunOptions', 'RunResult', 'RunHandle']],
  ['Long-lived boxes', ['createBox', 'CreateBoxOptions', 'Box', 'execInBox', 'ExecOptions', 'BoxProcess', 'ExecResult', 'ExecHandle', 'killBox', 'isRunning']],
  ['Images', ['buildImage', 'ensureRootfs', 'BuildOptions', 'BuildResult', 'diskUsage', 'DiskUsage', 'cleanImages', 'pruneImages', 'CleanResult']],
  ['The daemon', ['Client', 'ConnectOptions', 'AttachStream', 'AttachEvents', 'LsRow', 'PtyRow', 'StatusInfo']],
  ["Client's options", ['CreateOptions', 'PtyTarget', 'KillOptions', 'RestartOptions', 'LogsOptions', 'AttachOptions', 'ShellOptions', 'ServeOptions', 'TunnelOptions', 'TunnelWaitOptions']],
  ['Host checks', ['checkHost', 'HostCheck', 'CheckHostOptions']],
  ['Errors', ['CoopError', 'ErrorCode']],
];

export interface Doc {
  name: string;
  /** The description (markdown), without the example. */
  text: string;
  example: string;
  /** The declaration as the .d.ts has it (for a facade: the original's). */
  declaration: string;
  members: Doc[];
}

const read = (rel: string) => readFileSync(join(DIST, rel), 'utf8');

/** The text from `start` to the end of its declaration: a balanced `{...}` or a `;` at depth 0. */
function declarationAt(src: string, start: number): string {
  let depth = 0;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (c === '{' || c === '(' || c === '<' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === '>' || c === ']') {
      if (src[i - 1] === '=' && c === '>') continue; // an arrow
      depth--;
      if (depth === 0 && c === '}' && /^\s*(\n|$)/.test(src.slice(i + 1, i + 3)) && /^(export )?(declare )?(class|interface)/.test(src.slice(start).trimStart())) {
        return src.slice(start, i + 1);
      }
    } else if (c === ';' && depth === 0) return src.slice(start, i + 1);
  }
  throw new Error(`unterminated declaration at ${src.slice(start, start + 60)}`);
}

function parseJsDoc(comment: string): { text: string; example: string } {
  const lines = comment.replace(/^\/\*\*/, '').replace(/\*\/$/, '').split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  const at = lines.findIndex((l) => l.startsWith('@example'));
  const body = (at === -1 ? lines : lines.slice(0, at)).join('\n').trim();
  const ex = at === -1 ? [] : lines.slice(at + 1);
  while (ex.length && !ex.at(-1)!.trim()) ex.pop();
  const indent = Math.min(...ex.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return { text: body.replace(/\{@link ([\w.]+)\}/g, '`$1`'), example: ex.map((l) => l.slice(indent)).join('\n') };
}

const DECL = (name: string) => new RegExp(`(/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/)\\s*\\n(export (?:declare )?(?:function|const|class|interface|type) ${name}\\b)`);

/** The JSDoc and declaration of `name` in a .d.ts file (following re-exports), or null. */
function findDeclaration(file: string, name: string): { comment: string; declaration: string } | null {
  const src = read(file);
  const m = DECL(name).exec(src);
  if (m) return { comment: m[1]!, declaration: declarationAt(src, m.index + m[1]!.length + 1) };
  const bare = new RegExp(`^export (?:declare )?(?:function|const|class|interface|type) ${name}\\b`, 'm').exec(src);
  if (bare) return { comment: '', declaration: declarationAt(src, bare.index) };
  for (const r of src.matchAll(/^export (?:type )?\{([^}]*)\} from '\.\/([^']+)\.js';/gm)) {
    const names = r[1]!.split(',').map((x) => x.trim().replace(/^type /, ''));
    if (names.includes(name)) return findDeclaration(join(dirname(file), `${r[2]}.d.ts`), name);
  }
  return null;
}

/** Where index.d.ts gets each name from: [module .d.ts, original name]. */
function sources(): Map<string, [string, string]> {
  const index = read('index.d.ts');
  const out = new Map<string, [string, string]>();
  for (const m of index.matchAll(/^(?:import|export) (?:type )?\{([^}]*)\} from '\.\/([^']+)\.js';/gm)) {
    for (const spec of m[1]!.split(',').map((s) => s.trim().replace(/^type /, '')).filter(Boolean)) {
      const [orig, alias] = spec.split(/\s+as\s+/) as [string, string | undefined];
      out.set(alias ?? orig, [`${m[2]}.d.ts`, orig]);
    }
  }
  return out;
}

/** The documented members of a class (methods, static methods, accessors, fields). */
function classMembers(declaration: string): Doc[] {
  const out: Doc[] = [];
  const re = /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/)\s*\n\s*((?:static |readonly |get )*([\w]+)[?]?[(:<][^\n]*)/g;
  for (const m of declaration.matchAll(re)) {
    if (m[1]!.includes('@internal')) continue;
    const { text, example } = parseJsDoc(m[1]!);
    const rest = declaration.slice(m.index! + m[0].length - m[2]!.length);
    out.push({ name: m[3]!, text, example, declaration: declarationAt(rest, 0).replace(/^\s+/gm, (s) => s.replace(/^ {4}/, '')), members: [] });
  }
  return out;
}

/** The documentation of every exported name (throws naming one without JSDoc). */
export function collectDocs(): Doc[] {
  const from = sources();
  const docs: Doc[] = [];
  for (const name of SECTIONS.flatMap(([, names]) => names)) {
    const own = findDeclaration('index.d.ts', name);
    // A facade (`export declare const run: typeof run_` or `export type X = X_`) shows the original's declaration.
    const local = own && /^export (?:declare const \w+: typeof|type \w+ =) (\w+);$/.exec(own.declaration)?.[1];
    const src = from.get(local || name);
    const original = src ? findDeclaration(src[0], src[1]) : null;
    const documented = own?.comment ? own : original;
    if (!documented?.comment) throw new Error(`${name}: no JSDoc (in dist/lib/index.d.ts${src ? ` or ${src[0]}` : ''})`);
    if (!/@example/.test(documented.comment)) throw new Error(`${name}: its JSDoc has no @example`);
    const { text, example } = parseJsDoc(documented.comment);
    const declaration = local && original ? original.declaration.replace(new RegExp(`\\b${src![1]}\\b`), name) : documented.declaration;
    const isClass = /^export declare class /.test(declaration);
    for (const m of isClass ? classMembers(declaration) : []) if (!m.example) throw new Error(`${name}.${m.name}: its JSDoc has no @example`);
    docs.push({
      name, text, example, members: isClass ? classMembers(declaration) : [],
      declaration: isClass ? declaration.split('\n')[0]!.replace(/ \{$/, '') : declaration,
    });
  }
  return docs;
}

const INTRO = `# The \`@coop/core\` API

This file is written from the JSDoc of the package's entry point (\`lib/index.ts\` and the
declarations it names); \`node dist/test/library/api-docs.js --write\` rewrites it and the test
suite checks it is current. Every example here is also compiled by the test suite
(\`test/library/typed/usage.ts\`), and \`examples/\` holds three programs the tests run.

\`\`\`ts
import { loadConfig, run } from '@coop/core';

const { config } = loadConfig({ cwd: process.cwd(), overrides: { network: 'none' } });
const { code } = await run({ cmd: ['npm', 'test'], config, stdio: 'inherit' });
\`\`\`

Everything a tool that embeds coop needs is exported from \`@coop/core\`. Every error thrown on
purpose is a \`CoopError\` with a \`code\` from \`ErrorCode\` and a one-line message naming what,
why and the fix. The internals are subpath exports for those who build transports or
their own boxes; their names may change between minor versions:

| import | holds |
| --- | --- |
| \`@coop/core/protocol\` | the daemon's messages, frames, server, gateway, policy, web server, input filter |
| \`@coop/core/sandbox\` | box specs and plans, their encoding, the helper process, id mappings, paths |
| \`@coop/core/config\` | the coop.toml schema, layering, mount parsing, trust internals, \`coop init\`'s template |
| \`@coop/core/image\` | image references and sources, package commands |
`;

export function renderDocs(docs = collectDocs()): string {
  const byName = new Map(docs.map((d) => [d.name, d]));
  const parts = [INTRO];
  for (const [title, names] of SECTIONS) {
    parts.push(`## ${title}\n`);
    for (const name of names) {
      const d = byName.get(name)!;
      parts.push(`### \`${name}\`\n\n${d.text}\n\n\`\`\`ts\n${d.declaration}\n\`\`\`\n\nExample:\n\n\`\`\`ts\n${d.example}\n\`\`\`\n`);
      for (const m of d.members) {
        parts.push(`#### \`${name}.${m.name}\`\n\n${m.text}\n\n\`\`\`ts\n${m.declaration}\n\`\`\`\n\n\`\`\`ts\n${m.example}\n\`\`\`\n`);
      }
    }
  }
  return parts.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderDocs();
  if (process.argv.includes('--write')) writeFileSync(API_MD, text);
  else process.stdout.write(text);
}
