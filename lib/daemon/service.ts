// The box service (SPEC §5 calls it the session service): what the daemon can do with boxes, as typed methods with no
// transport and no notion of who asks. The gateway (gateway.ts) decides who may call what.
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import type { GoneRow, LsRow, PtyRow } from '../ipc/messages.js';
import type { StreamSide, StreamStart } from '../ipc/server.js';
import type { ClientKind } from '../ptys/client.js';
import { ServedBox } from '../ptys/served-box.js';
import type { DaemonLog } from './log.js';
import { claimName, nameFor } from './names.js';
import { Roster } from './roster.js';

export interface CreateOptions {
  name?: string;
  /** Resolved and validated; its workspace.mount is the box's workspace. */
  config: CoopConfig;
  term?: string;
  cols?: number;
  rows?: number;
}

export interface ClientOptions {
  kind: ClientKind;
  cols: number;
  rows: number;
  readonly: boolean;
  /** Filter this client's input to the agent (SPEC §8). */
  filtered: boolean;
}

export interface ShellOptions {
  command?: string;
  /** A new shell even when one with the same command runs. */
  fresh?: boolean;
  cols: number;
  rows: number;
  term?: string;
  /** The caller's host directory: the shell starts in its box path. */
  cwd?: string;
  /** No echo, no CRLF, a ready mark (ShellRequest.plain). */
  plain?: boolean;
}

export class BoxService {
  readonly boxes: Roster;
  private readonly creating = new Map<string, Promise<ServedBox>>();

  constructor(
    private readonly coopHome: string,
    private readonly log: DaemonLog,
    private readonly killGraceMs: number,
    /** Called when boxes come or go (the daemon's idle timer). */
    private readonly changed: () => void,
  ) {
    this.boxes = new Roster(coopHome, log, changed);
  }

  served(name: string): ServedBox {
    return this.boxes.lookup(name);
  }

  /** The box of the workspace (created, or the one already running) and whether it existed. */
  async create(req: CreateOptions): Promise<{ box: string; existing: boolean }> {
    const workspace = req.config.workspace.mount;
    const served = this.boxes.served;
    this.boxes.sweep();
    this.boxes.refuseOverDamaged(req.name, workspace);
    if (req.name) {
      const existing = served.get(req.name);
      if (existing) {
        if (existing.box.workspace.host === workspace) return { box: req.name, existing: true };
        throw new CoopError('BOX_EXISTS', `a box named ${req.name} already exists for ${existing.box.workspace.host}`);
      }
    } else {
      for (const s of served.values()) if (s.box.workspace.host === workspace) return { box: s.name, existing: true };
    }
    const pending = this.creating.get(workspace);
    if (pending) return { box: (await pending).name, existing: true };
    const name = req.name ?? nameFor(this.coopHome, workspace, (n) => served.get(n)?.box.workspace.host ?? this.boxes.damaged.get(n)?.workspace ?? null);
    const creation = (async () => {
      await this.boxes.settled(name);
      claimName(this.coopHome, name, workspace);
      const s = await ServedBox.create({
        name, config: req.config, coopHome: this.coopHome, term: req.term ?? 'xterm-256color',
        cols: req.cols ?? 80, rows: req.rows ?? 24, graceMs: this.killGraceMs, log: (event, fields) => this.log.write(event, fields),
      });
      this.boxes.serve(s);
      this.log.write('created', { box: name, pid: s.box.pid });
      return s;
    })();
    this.creating.set(workspace, creation);
    try {
      await creation;
    } finally {
      this.creating.delete(workspace);
      this.changed();
    }
    return { box: name, existing: false };
  }

  /** Attaches a client to a PTY once its stream starts (the PTY must exist now). */
  attach(name: string, pty: number, client: ClientOptions, replayLines?: number): StreamStart<{ box: string; pty: number; cols: number; rows: number }> {
    const s = this.served(name);
    const size = s.getPty(pty).size(); // the replay's size, to render it at
    return {
      response: { box: name, pty, ...size },
      start: (stream: StreamSide) => s.attach(pty, stream, { ...client, replayLines }),
    };
  }

  /** A shell PTY (a running one with the same command unless `fresh`); its id. */
  shell(name: string, opts: ShellOptions): number {
    return this.served(name).shell(opts).id;
  }

  /** Follows a PTY's output, read-only, after its last `lines` lines (or the whole scrollback). */
  follow(name: string, pty: number, kind: ClientKind, lines?: number): StreamStart<{ cols: number; rows: number }> {
    const { start, response } = this.attach(name, pty, { kind, readonly: true, filtered: false, cols: 1, rows: 1 }, lines);
    return { response: { cols: response.cols, rows: response.rows }, start };
  }

  ls(): { boxes: LsRow[]; gone?: GoneRow[] } {
    return this.boxes.rows();
  }

  /** Every box, served or damaged. */
  allNames(): string[] {
    return [...this.boxes.served.keys(), ...this.boxes.damaged.keys()];
  }

  async kill(names: string[], force: boolean): Promise<string[]> {
    this.boxes.sweep();
    for (const name of names) if (!this.boxes.damaged.has(name)) this.served(name); // says why not
    await Promise.all(
      names.map(async (name) => {
        this.log.write('killing', { box: name, force });
        await this.boxes.kill(name, force, this.killGraceMs);
      }),
    );
    this.changed();
    return [...names].sort();
  }

  /** Restarts a PTY; returns the changed settings only a new box applies (see ServedBox.restart). */
  restart(name: string, pty: number, config?: CoopConfig): string[] {
    const needsBox = this.served(name).restart(pty, config);
    this.log.write('restarted', { box: name, pty });
    return needsBox;
  }

  /** A PTY's scrollback (or its last lines) and its size (to render it at). */
  logs(name: string, pty: number, lines?: number): { data: Buffer; cols: number; rows: number } {
    const p = this.served(name).getPty(pty);
    return { data: lines !== undefined ? p.ring.tailLines(lines) : p.ring.snapshot(), ...p.size() };
  }

  ptyLs(name: string): PtyRow[] {
    return [...this.served(name).ptys.values()].map((p) => p.row());
  }

  ptyKill(name: string, pty: number): void {
    this.served(name).killPty(pty);
  }

  /** Clients attached to any PTY of any box. */
  clientCount(): number {
    let n = 0;
    for (const s of this.boxes.served.values()) n += s.clientCount();
    return n;
  }

  /** The daemon is going away: every client is told, boxes keep running. */
  detachAll(reason: string): void {
    for (const s of this.boxes.served.values()) s.detachAll(reason);
  }
}
