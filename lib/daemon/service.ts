// The session service (SPEC §5): what the daemon can do with boxes, as typed methods with no
// transport and no notion of who asks. The gateway (gateway.ts) decides who may call what.
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import type { GoneRow, LsRow, PtyRow } from '../ipc/messages.js';
import type { StreamSide, StreamStart } from '../ipc/server.js';
import type { ClientKind } from '../session/client.js';
import { Session } from '../session/session.js';
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

export class SessionService {
  readonly boxes: Roster;
  private readonly creating = new Map<string, Promise<Session>>();

  constructor(
    private readonly coopHome: string,
    private readonly log: DaemonLog,
    private readonly killGraceMs: number,
    /** Called when boxes come or go (the daemon's idle timer). */
    private readonly changed: () => void,
  ) {
    this.boxes = new Roster(coopHome, log, changed);
  }

  session(name: string): Session {
    return this.boxes.lookup(name);
  }

  /** The box of the workspace (created, or the one already running) and whether it existed. */
  async create(req: CreateOptions): Promise<{ session: string; existing: boolean }> {
    const workspace = req.config.workspace.mount;
    const sessions = this.boxes.sessions;
    this.boxes.sweep();
    this.boxes.refuseOverDamaged(req.name, workspace);
    if (req.name) {
      const existing = sessions.get(req.name);
      if (existing) {
        if (existing.box.workspace.host === workspace) return { session: req.name, existing: true };
        throw new CoopError('SESSION_EXISTS', `a box named ${req.name} already exists for ${existing.box.workspace.host}`);
      }
    } else {
      for (const s of sessions.values()) if (s.box.workspace.host === workspace) return { session: s.name, existing: true };
    }
    const pending = this.creating.get(workspace);
    if (pending) return { session: (await pending).name, existing: true };
    const name = req.name ?? nameFor(this.coopHome, workspace, (n) => sessions.get(n)?.box.workspace.host ?? this.boxes.damaged.get(n)?.workspace ?? null);
    const creation = (async () => {
      await this.boxes.settled(name);
      claimName(this.coopHome, name, workspace);
      const s = await Session.create({
        name, config: req.config, coopHome: this.coopHome, term: req.term ?? 'xterm-256color',
        cols: req.cols ?? 80, rows: req.rows ?? 24, graceMs: this.killGraceMs, log: (event, fields) => this.log.write(event, fields),
      });
      this.boxes.serve(s);
      this.log.write('created', { session: name, pid: s.box.pid });
      return s;
    })();
    this.creating.set(workspace, creation);
    try {
      await creation;
    } finally {
      this.creating.delete(workspace);
      this.changed();
    }
    return { session: name, existing: false };
  }

  /** Attaches a client to a PTY once its stream starts (the PTY must exist now). */
  attach(name: string, pty: number, client: ClientOptions, replayLines?: number): StreamStart<{ session: string; pty: number; cols: number; rows: number }> {
    const s = this.session(name);
    const size = s.getPty(pty).size(); // the replay's size, to render it at
    return {
      response: { session: name, pty, ...size },
      start: (stream: StreamSide) => s.attach(pty, stream, { ...client, replayLines }),
    };
  }

  /** A shell PTY (a running one with the same command unless `fresh`); its id. */
  shell(name: string, opts: ShellOptions): number {
    return this.session(name).shell(opts).id;
  }

  /** Follows a PTY's output, read-only, after its last `lines` lines (or the whole scrollback). */
  follow(name: string, pty: number, kind: ClientKind, lines?: number): StreamStart<{ cols: number; rows: number }> {
    const { start, response } = this.attach(name, pty, { kind, readonly: true, filtered: false, cols: 1, rows: 1 }, lines);
    return { response: { cols: response.cols, rows: response.rows }, start };
  }

  ls(): { sessions: LsRow[]; gone?: GoneRow[] } {
    return this.boxes.rows();
  }

  /** Every box, served or damaged. */
  allNames(): string[] {
    return [...this.boxes.sessions.keys(), ...this.boxes.damaged.keys()];
  }

  async kill(names: string[], force: boolean): Promise<string[]> {
    this.boxes.sweep();
    for (const name of names) if (!this.boxes.damaged.has(name)) this.session(name); // says why not
    await Promise.all(
      names.map(async (name) => {
        this.log.write('killing', { session: name, force });
        await this.boxes.kill(name, force, this.killGraceMs);
      }),
    );
    this.changed();
    return [...names].sort();
  }

  /** Restarts a PTY; returns the changed settings only a new box applies (see Session.restart). */
  restart(name: string, pty: number, config?: CoopConfig): string[] {
    const needsBox = this.session(name).restart(pty, config);
    this.log.write('restarted', { session: name, pty });
    return needsBox;
  }

  /** A PTY's scrollback (or its last lines) and its size (to render it at). */
  logs(name: string, pty: number, lines?: number): { data: Buffer; cols: number; rows: number } {
    const p = this.session(name).getPty(pty);
    return { data: lines !== undefined ? p.ring.tailLines(lines) : p.ring.snapshot(), ...p.size() };
  }

  ptyLs(name: string): PtyRow[] {
    return [...this.session(name).ptys.values()].map((p) => p.row());
  }

  ptyKill(name: string, pty: number): void {
    this.session(name).killPty(pty);
  }

  /** Clients attached to any PTY of any box. */
  clientCount(): number {
    let n = 0;
    for (const s of this.boxes.sessions.values()) n += s.clientCount();
    return n;
  }

  /** The daemon is going away: every client is told, boxes keep running. */
  detachAll(reason: string): void {
    for (const s of this.boxes.sessions.values()) s.detachAll(reason);
  }
}
