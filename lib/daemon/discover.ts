// Finding running boxes without a daemon (SPEC §5): every sessions/<name>/box.json whose
// init still runs, names the session in its environment and is one of ours.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning, readBoxRecord, readEnviron, type BoxRecord } from '../sandbox/box.js';
import { sessionPaths } from '../paths.js';

export function sessionNames(coopHome: string): string[] {
  try {
    return readdirSync(join(coopHome, 'sessions')).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/** Box records whose init process is alive. */
export function runningBoxes(coopHome: string): BoxRecord[] {
  const out: BoxRecord[] = [];
  for (const name of sessionNames(coopHome)) {
    const rec = readBoxRecord(sessionPaths(coopHome, name));
    if (rec && isRunning(rec) && readEnviron(rec.pid)?.COOP_SESSION === name) out.push(rec);
  }
  return out;
}
