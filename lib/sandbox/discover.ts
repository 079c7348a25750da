// Finding boxes without a daemon (SPEC §5): each box directory whose record names a live
// init of ours is running; a live box init found in /proc (its own environ names the box)
// whose record is missing or unusable is "damaged" — still a box, listed and killable, its
// files never removed; layers whose init is gone are a dead box's leftovers.
import { existsSync, readdirSync } from 'node:fs';
import { boxesDir, boxPaths, layerPaths } from '../paths.js';
import { findBoxInits, type FoundInit } from './box-inits.js';
import { adoptBox, isRunning, readBoxRecord, type BoxRecord } from './box.js';

/** Names that have a directory under $COOP_HOME (boxes, running or not, and their persist dirs). */
export function boxNames(coopHome: string): string[] {
  try {
    return readdirSync(boxesDir(coopHome)).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}

/** A live box whose record cannot be used: what is known of it from its init, and why. */
export type DamagedBox = Omit<FoundInit, 'environ'> & { problem: string };

export interface BoxScan {
  running: BoxRecord[];
  damaged: DamagedBox[];
  /** Names with layers left behind by a box whose init is gone. */
  dead: string[];
}

const damagedFrom = (init: FoundInit, problem: string): DamagedBox => ({
  name: init.name, pid: init.pid, startTime: init.startTime, workspace: init.workspace, created: init.created,
  rootfs: init.rootfs, problem,
});

/** Every box of this $COOP_HOME, by state. */
export function scanBoxes(coopHome: string): BoxScan {
  const inits = findBoxInits(coopHome);
  const out: BoxScan = { running: [], damaged: [], dead: [] };
  const names = new Set([...boxNames(coopHome), ...inits.keys()]);
  for (const name of [...names].sort()) {
    const paths = boxPaths(coopHome, name);
    const rec = readBoxRecord(paths);
    const init = inits.get(name);
    if (rec && isRunning(rec) && adoptBox(rec)) {
      out.running.push(rec);
    } else if (init) {
      const why = !existsSync(paths.record)
        ? `its record ${paths.record} is missing`
        : rec
          ? `its record ${paths.record} names init pid ${rec.pid}, not ${init.pid}`
          : `its record ${paths.record} is unreadable`;
      out.damaged.push(damagedFrom(init, why));
    } else if (rec && isRunning(rec)) {
      out.damaged.push({
        name, pid: rec.pid, startTime: rec.startTime, workspace: rec.workspace.host, created: rec.created, rootfs: rec.rootfs,
        problem: `its init (pid ${rec.pid}) does not carry the box's identity and environment`,
      });
    } else if (layerPaths(paths).some((p) => existsSync(p))) {
      out.dead.push(name);
    }
  }
  return out;
}

/** Boxes that are alive, damaged or not (what must not be taken from under them). */
export function runningBoxes(coopHome: string): { name: string; pid: number; rootfs?: string }[] {
  const { running, damaged } = scanBoxes(coopHome);
  return [...running, ...damaged].sort((a, b) => a.name.localeCompare(b.name));
}
