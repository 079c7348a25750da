// The daemon's boxes and what became of them: boxes it serves; damaged boxes (alive, but
// their record is unusable: listed and killable only, their files never touched); boxes
// whose init died (forgotten, their layers removed with persist kept, remembered a while
// so that commands naming them say so).
import { CoopError } from '../errors.js';
import type { GoneRow, LsRow } from '../ipc/messages.js';
import { boxPaths } from '../paths.js';
import { callerIdMapping, isRunning, killBox, readBoxRecord, removeLayers } from '../sandbox/box.js';
import { ServedBox } from '../ptys/served-box.js';
import type { BoxScan, DamagedBox } from '../sandbox/discover.js';
import type { DaemonLog } from './log.js';

/** Boxes that ended on their own, remembered for the commands that still name them. */
const GONE_KEPT = 64;

export class Roster {
  readonly served = new Map<string, ServedBox>();
  readonly damaged = new Map<string, DamagedBox>();
  private readonly gone = new Map<string, GoneRow>();
  /** Layer removals under way, by box name (a new box of that name waits for them). */
  private readonly removing = new Map<string, Promise<void>>();
  /** Damaged boxes being killed (their cleanup is the kill's). */
  private readonly killing = new Set<string>();

  constructor(
    private readonly coopHome: string,
    private readonly log: DaemonLog,
    /** Called when boxes come or go (the daemon's idle timer). */
    private readonly changed: () => void,
  ) {}

  /** Boxes alive, served or not. */
  get size(): number {
    return this.served.size + this.damaged.size;
  }

  /** Takes over what a scan found when the daemon started. */
  async takeOver(found: BoxScan): Promise<void> {
    for (const rec of found.running) {
      try {
        const s = ServedBox.adopt(this.coopHome, rec.name, (event, fields) => this.log.write(event, fields));
        this.serve(s);
        this.log.write('adopted', { box: rec.name, pid: s.box.pid });
      } catch (e) {
        this.damaged.set(rec.name, {
          name: rec.name, pid: rec.pid, startTime: rec.startTime, workspace: rec.workspace.host, created: rec.created,
          rootfs: rec.rootfs, problem: (e as Error).message,
        });
        this.log.write('damaged', { box: rec.name, pid: rec.pid });
      }
    }
    for (const d of found.damaged) {
      this.damaged.set(d.name, d);
      this.log.write('damaged', { box: d.name, pid: d.pid });
    }
    // Their init is gone (a reboot, a kill -9 of the box): remove their layers, keep persist.
    for (const name of found.dead) {
      const paths = boxPaths(this.coopHome, name);
      await removeLayers(paths, readBoxRecord(paths)?.idmap ?? callerIdMapping());
      this.log.write('box-gone', { box: name });
    }
  }

  serve(s: ServedBox): void {
    this.served.set(s.name, s);
    this.gone.delete(s.name);
    s.onBoxGone = () => this.reap(s);
  }

  /** A box that can be served; a clear error for one that is damaged, gone or unknown. */
  lookup(name: string): ServedBox {
    this.sweep();
    const s = this.served.get(name);
    if (s) return s;
    const d = this.damaged.get(name);
    if (d) throw new CoopError('SANDBOX_FAILED', `box ${name} cannot be served: ${d.problem}; end it with \`coop kill ${name}\` (persist directories are kept)`);
    const g = this.gone.get(name);
    if (g) throw new CoopError('BOX_NOT_FOUND', g.message);
    throw new CoopError('BOX_NOT_FOUND', `no box named ${name}`);
  }

  /** Refuses a new box where a damaged one still runs (by name, or by workspace when unnamed). */
  refuseOverDamaged(name: string | undefined, workspace: string): void {
    for (const d of this.damaged.values()) {
      if (d.name === name || (!name && d.workspace === workspace)) {
        throw new CoopError('BOX_EXISTS', `box ${d.name} of ${d.workspace || 'this workspace'} is running but damaged: ${d.problem}; end it with \`coop kill ${d.name}\` (persist directories are kept)`);
      }
    }
  }

  /** Resolves once layers of an earlier box of this name are removed. */
  settled(name: string): Promise<void> {
    return this.removing.get(name) ?? Promise.resolve();
  }

  rows(): { boxes: LsRow[]; gone?: GoneRow[] } {
    this.sweep();
    const rows = [...this.served.values()].map((s): LsRow => s.row());
    for (const d of this.damaged.values()) {
      rows.push({
        name: d.name, workspace: d.workspace, pid: d.pid, created: d.created, state: 'damaged', ptys: [],
        clients: { local: 0, web: 0, tunnel: 0 }, problem: `${d.problem}; end it with \`coop kill ${d.name}\``,
      });
    }
    const boxes = rows.sort((a, b) => a.name.localeCompare(b.name));
    return this.gone.size ? { boxes, gone: [...this.gone.values()] } : { boxes };
  }

  /** Ends a box, served or damaged; its layers go, its persist directories stay. */
  async kill(name: string, force: boolean, graceMs: number): Promise<void> {
    const d = this.damaged.get(name);
    if (!d) {
      const s = this.lookup(name);
      await s.kill(force);
      this.served.delete(name);
      return;
    }
    // Its record is unusable: the init found in /proc is ended, then the layers go.
    const paths = boxPaths(this.coopHome, name);
    this.killing.add(name);
    try {
      await killBox({ pid: d.pid, startTime: d.startTime, paths, idmap: readBoxRecord(paths)?.idmap ?? callerIdMapping() }, { force, graceMs });
    } finally {
      this.killing.delete(name);
    }
    this.damaged.delete(name);
  }

  /** Finds boxes whose init died since the last look. */
  sweep(): void {
    for (const s of [...this.served.values()]) if (!s.stopping && !s.alive) this.reap(s);
    for (const d of [...this.damaged.values()]) {
      if (this.killing.has(d.name) || isRunning(d)) continue;
      this.damaged.delete(d.name);
      this.log.write('box-gone', { box: d.name, pid: d.pid });
      this.removeInBackground(d.name, removeLayers(boxPaths(this.coopHome, d.name), callerIdMapping()));
      this.changed();
    }
  }

  /** A box whose init died: forgotten, its layers removed (persist kept), remembered as gone. */
  private reap(s: ServedBox): void {
    if (this.served.get(s.name) !== s || s.stopping) return; // (a kill under way cleans up itself)
    this.served.delete(s.name);
    s.stopping = true;
    for (const p of s.ptys.values()) p.remove(true, 'killed');
    const { host } = s.box.workspace;
    const message = `box ${s.name} is gone: its init process (pid ${s.box.pid}) ended; its layers were removed and its persist directories kept — \`coop\` in ${host} starts it again`;
    this.gone.delete(s.name);
    this.gone.set(s.name, { name: s.name, workspace: host, message });
    while (this.gone.size > GONE_KEPT) this.gone.delete(this.gone.keys().next().value!);
    this.log.write('box-gone', { box: s.name, pid: s.box.pid });
    this.removeInBackground(s.name, removeLayers(s.box.paths, s.box.idmap));
    this.changed();
  }

  private removeInBackground(name: string, removal: Promise<void>): void {
    const p = removal
      .catch((e) => this.log.write('remove-failed', { box: name, message: (e as Error).message }))
      .finally(() => {
        if (this.removing.get(name) === p) this.removing.delete(name);
      });
    this.removing.set(name, p);
  }
}
