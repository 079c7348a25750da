// Finding an agent on the caller's side: the command on the caller's PATH, the file it
// really is (symlinks resolved), the directory it is installed in (an npm package, a
// Python virtual environment, or the file's own directory) and the interpreter its
// `#!` line names.
import { accessSync, closeSync, constants, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The first executable `cmd` on a PATH (unresolved), or null. */
export function whichOnHost(cmd: string, path: string | undefined): string | null {
  if (cmd.includes('/')) return null;
  for (const dir of (path ?? '').split(':')) {
    if (!dir.startsWith('/')) continue;
    const p = join(dir, cmd);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The directory an installed program lives in: its npm package, its Python venv, or its own directory. */
export function installDirOf(realFile: string): string {
  for (let dir = dirname(realFile); dir !== dirname(dir); dir = dirname(dir)) {
    const parent = basename(dirname(dir));
    const grand = basename(dirname(dirname(dir)));
    if (existsSync(join(dir, 'package.json')) && (parent === 'node_modules' || (parent.startsWith('@') && grand === 'node_modules'))) return dir;
    if (existsSync(join(dir, 'pyvenv.cfg'))) return dir;
  }
  return dirname(realFile);
}

/** What a script's `#!` line runs: an absolute interpreter, or a name `env` looks up on PATH. */
export type Interpreter = { path: string } | { name: string };

export function interpreterOf(file: string): Interpreter | null {
  let head: string;
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, readSync(fd, buf, 0, 256, 0)).toString('latin1');
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  if (!head.startsWith('#!')) return null;
  const words = head.slice(2).split('\n')[0]!.trim().split(/\s+/);
  const [first, ...rest] = words;
  if (!first) return null;
  if (basename(first) === 'env') {
    const name = rest.find((w) => !w.startsWith('-') && !w.includes('='));
    return name ? { name } : null;
  }
  return { path: first };
}

/** realpath, or null when the file is not there. */
export function realFile(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
