// This machine's id for the tunnel's envelope (SPEC §11): random, made once and kept in
// $COOP_HOME/machine_id, so a connect page can tell the same machine from another one.
// It names, it does not authenticate (the DTLS fingerprints in the SDP do that).
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const VALID = /^[0-9a-f]{32}$/;

export function machineId(coopHome: string): string {
  const path = join(coopHome, 'machine_id');
  const read = () => {
    try {
      const v = readFileSync(path, 'utf8').trim();
      return VALID.test(v) ? v : null;
    } catch {
      return null;
    }
  };
  const existing = read();
  if (existing) return existing;
  const id = randomBytes(16).toString('hex');
  try {
    // O_EXCL|O_NOFOLLOW: never through a link; the first writer wins.
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, `${id}\n`);
    } finally {
      closeSync(fd);
    }
    return id;
  } catch {
    return read() ?? id; // another daemon won the race, or the file is damaged: use it / a fresh one
  }
}
