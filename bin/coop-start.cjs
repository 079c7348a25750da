#!/usr/bin/env node
// coop's command-line entry (dist/bin/coop.cjs): runs the bundle, dist/bin/coop-main.cjs,
// through a V8 code cache, so that its code is not parsed and compiled again on every start.
// The cache is made by the first run of each kind of command (it holds the functions that
// command compiled) and kept next to the bundle when that directory is writable; its name
// carries the bundle's size and time, so a rebuilt bundle never meets an old cache.
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');

const main = join(__dirname, 'coop-main.cjs');
const GROUPS = ['run', 'attach', 'shell', 'logs', 'ls', 'status', 'build', 'kill', 'restart', 'system'];
const word = process.argv.slice(2).find((a) => !a.startsWith('-'));
const group = GROUPS.includes(word) ? word : 'open';
const st = statSync(main);
const cacheFile = join(__dirname, `.coop-main.${group}.${st.size}.${Math.trunc(st.mtimeMs)}.cache`);
const source = readFileSync(main, 'latin1').replace(/^#!/, '//'); // (the bundle is ASCII: see scripts/bundle.mjs)
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // none yet
}
const script = new Script(`(function (exports, require, module, __filename, __dirname, __coopImport) {${source}\n})`, { filename: main, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      const temp = `${cacheFile}.${process.pid}`;
      writeFileSync(temp, script.createCachedData(), { mode: 0o644 });
      renameSync(temp, cacheFile);
    } catch {
      // not writable here: every start compiles
    }
  });
}
// The bundle's import() calls (yargs, an ES module, for --help) come here: a script compiled
// by node:vm has no module loader of its own.
script.runInThisContext()(exports, require, module, main, __dirname, (id) => import(id));
