#!/usr/bin/env node
// coop — the command-line interface. Bundled into dist/bin/coop.cjs (see package.json).
import { main } from './cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`coop: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
