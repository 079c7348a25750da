// The type-level test of the public API: one .ts file holding every example of docs/api.md,
// each in a function of its own, with the names the examples take for granted declared.
// It imports '@coop/core' (and its subpaths) as a user's program does and is compiled with
// strict settings: by the API test in this checkout, and by the pack test in a scratch
// project where the package is installed from its tarball.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Doc } from './api-docs.js';

/** What the examples use without making it (a loaded config, a box, a client, ...). */
const CONTEXT = `
declare const config: CoopConfig;
declare const workspace: string;
declare const coopHomeDir: string;
declare const box: Box;
declare const client: Client;
declare const stream: AttachStream;
declare const opts: BuildOptions;
declare const err: unknown;
`;

export function examplesFile(docs: Doc[]): string {
  const names = docs.map((d) => d.name);
  const parts = [
    '// Written by test/library/typed.ts from docs/api.md: every example, compiled.',
    `import { ${names.join(', ')} } from '@coop/core';`,
    "import * as protocol from '@coop/core/protocol';",
    "import * as sandbox from '@coop/core/sandbox';",
    "import * as config_ from '@coop/core/config';",
    "import * as image from '@coop/core/image';",
    CONTEXT,
    // The internals' types resolve too.
    'export type Internals = [protocol.Request, sandbox.CreatePlan, config_.ConfigLocation, image.ImageReference];',
  ];
  let i = 0;
  for (const d of docs) {
    for (const [label, example] of [[d.name, d.example], ...d.members.map((m) => [`${d.name}.${m.name}`, m.example])] as [string, string][]) {
      parts.push(`// ${label}\nexport async function example${i++}(): Promise<void> {\n${example.replace(/^/gm, '  ')}\n}`);
    }
  }
  return `${parts.join('\n\n')}\n`;
}

/**
 * Writes the examples file and a strict tsconfig into `dir` (where '@coop/core' resolves from
 * node_modules) and compiles it with the checkout's TypeScript; the compiler's output ('' when clean).
 */
export function compileExamples(dir: string, docs: Doc[], root: string): string {
  writeFileSync(join(dir, 'examples.ts'), examplesFile(docs));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
      skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules/@types')],
    },
    files: ['examples.ts'],
  }, null, 2));
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}${r.status === 0 ? '' : `(exit code ${r.status})`}`;
}
