// `node unpack-main.js ROOT LAYER...`: unpacks layer files into ROOT keeping their owners.
// Started by the image builder inside a user namespace (spawnInUserns), where it is root
// over the caller's subordinate id range.
import { createReadStream } from 'node:fs';
import { unpackLayers } from './unpack.js';

const [root, ...layers] = process.argv.slice(2);
unpackLayers(layers.map((l) => () => createReadStream(l)), root!, { chown: true }).then(
  (stats) => process.stdout.write(`${JSON.stringify(stats)}\n`),
  (e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  },
);
