// Node's built-in modules loaded when first used, not when coop starts: `coop run` never
// loads crypto, net or streams unless it hashes or pipes (each costs milliseconds of start-up).
import { createRequire } from 'node:module';

interface Builtins {
  'node:crypto': typeof import('node:crypto');
  'node:net': typeof import('node:net');
  'node:stream/promises': typeof import('node:stream/promises');
  'node:tty': typeof import('node:tty');
  'node:child_process': typeof import('node:child_process');
  'node:http': typeof import('node:http');
  'node:https': typeof import('node:https');
  'node:zlib': typeof import('node:zlib');
}

let req: NodeJS.Require | undefined;

/** The built-in module `id`, loaded now if it was not yet. */
export function builtin<K extends keyof Builtins>(id: K): Builtins[K] {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule; // Node >= 20.16
  if (get) return get(id) as Builtins[K];
  req ??= typeof require === 'function' ? require : createRequire(import.meta.url);
  return req(id) as Builtins[K];
}
