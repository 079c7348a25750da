// The version of this installation of @coop/core (its package.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './native.js';

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
