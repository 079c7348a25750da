// The name and version of this installation of @coop/core (its package.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './native.js';

const manifest = () => JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };

export const packageVersion = (): string => manifest().version;
export const packageName = (): string => manifest().name;
