// Trust for coop.toml files a test wrote itself: a private config directory per test
// process (so the user's real ~/.config/coop is never read or written), and a way to
// record trust in a file the way `coop trust` does.
import { join } from 'node:path';
import { trustFile } from '../../lib/config/trust.js';
import { tmp } from './tmp.js';

/** Add to the environment of CLI calls: the trust records (and global file) of this process. */
export const trustEnv = { XDG_CONFIG_HOME: tmp('coop-xdg-') };

/** Records the current content of <dir>/coop.toml (or of a .toml file) as trusted; returns dir. */
export function trustProject(dirOrFile: string): string {
  trustFile(dirOrFile.endsWith('.toml') ? dirOrFile : join(dirOrFile, 'coop.toml'), { env: trustEnv });
  return dirOrFile;
}
