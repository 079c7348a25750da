// The typed client of the daemon: connect (starting the daemon when needed), then one
// method per command; attach, shell and logs --follow return an AttachStream.
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import type { GoneRow, LsRow, OkResponse, PtyRow, StatusInfo } from '../ipc/messages.js';
import type { AttachStream } from './attach.js';
import { Connection } from './connection.js';
import { connectDaemon, type ConnectOptions } from './daemon.js';

export { AttachStream, type AttachEvents } from './attach.js';
export { Connection } from './connection.js';
export { connectDaemon, daemonEntry, type ConnectOptions } from './daemon.js';

function withSize(stream: AttachStream, response: Record<string, unknown>): AttachStream {
  if (typeof response.cols === 'number' && typeof response.rows === 'number') stream.ptySize = { cols: response.cols, rows: response.rows };
  return stream;
}

export class Client {
  private constructor(
    private readonly conn: Connection,
    private readonly opts: ConnectOptions,
  ) {}

  /** Connects to the daemon (starting it unless opts.spawn is false). */
  static async connect(opts: ConnectOptions = {}): Promise<Client> {
    return new Client(await connectDaemon(opts), opts);
  }

  create(req: { workspace: string; config: CoopConfig; name?: string; detach?: boolean; term?: string; cols?: number; rows?: number }): Promise<OkResponse<'create'>> {
    return this.conn.request({ cmd: 'create', ...req });
  }
  async ls(): Promise<LsRow[]> {
    return (await this.conn.request({ cmd: 'ls' })).sessions;
  }
  /** The boxes, and those that ended on their own lately (for naming them in errors). */
  async listing(): Promise<{ sessions: LsRow[]; gone: GoneRow[] }> {
    const r = await this.conn.request({ cmd: 'ls' });
    return { sessions: r.sessions, gone: r.gone ?? [] };
  }
  async kill(target: { session: string } | { all: true }, force = false): Promise<string[]> {
    return (await this.conn.request({ cmd: 'kill', ...target, force })).killed;
  }
  /** Restarts a PTY; resolves with the changed settings only a new box applies (for the agent with a config). */
  async restart(session: string, pty = 0, config?: CoopConfig): Promise<string[]> {
    return (await this.conn.request({ cmd: 'restart', session, pty, config })).needs_box ?? [];
  }
  async logs(session: string, pty = 0, lines?: number): Promise<Buffer> {
    return Buffer.from((await this.conn.request({ cmd: 'logs', session, pty, lines })).data ?? []);
  }
  /** A PTY's whole scrollback and its size (to render it at). */
  async scrollback(session: string, pty = 0): Promise<{ data: Buffer; cols: number; rows: number }> {
    const r = await this.conn.request({ cmd: 'logs', session, pty });
    return { data: Buffer.from(r.data ?? []), cols: r.cols ?? 80, rows: r.rows ?? 24 };
  }
  async ptyLs(session: string): Promise<PtyRow[]> {
    return (await this.conn.request({ cmd: 'pty_ls', session })).ptys;
  }
  async ptyKill(session: string, pty: number): Promise<void> {
    await this.conn.request({ cmd: 'pty_kill', session, pty });
  }
  status(): Promise<StatusInfo> {
    return this.conn.request({ cmd: 'status' });
  }
  /** Starts (or keeps) the daemon's web server; its URLs (token included) and token. */
  serve(req: { host: string; port: number; token?: string }): Promise<OkResponse<'serve'>> {
    return this.conn.request({ cmd: 'serve', ...req });
  }
  async serveStop(): Promise<void> {
    await this.conn.request({ cmd: 'serve_stop' });
  }
  async shutdown(): Promise<void> {
    await this.conn.request({ cmd: 'shutdown' });
  }

  /** Attaches to a PTY on a connection of its own. */
  async attach(req: { session: string; pty?: number; cols: number; rows: number; readonly?: boolean; filtered?: boolean }): Promise<AttachStream> {
    const c = await this.streamConnection();
    const { response, stream } = await c.openStream({ cmd: 'attach', pty: 0, ...req });
    return withSize(stream, response);
  }

  /** Opens (or reuses) a shell PTY and attaches to it; resolves with its id and the stream. */
  async shell(req: { session: string; command?: string; new?: boolean; cols: number; rows: number; term?: string; cwd?: string; plain?: boolean }): Promise<{ pty: number; stream: AttachStream }> {
    const c = await this.streamConnection();
    const { response, stream } = await c.openStream({ cmd: 'shell', ...req });
    return { pty: response.pty as number, stream: withSize(stream, response) };
  }

  /** Follows a PTY's output (read-only), after its last `lines` lines or the whole scrollback. */
  async follow(session: string, pty = 0, lines?: number): Promise<AttachStream> {
    const c = await this.streamConnection();
    const { response, stream } = await c.openStream({ cmd: 'logs', session, pty, follow: true, lines });
    return withSize(stream, response);
  }

  private streamConnection(): Promise<Connection> {
    return connectDaemon({ ...this.opts, spawn: false });
  }

  close(): void {
    this.conn.close();
  }
}

/** The box whose workspace contains `dir` (the deepest one), or null. */
export function boxForDirectory<R extends { workspace: string }>(rows: R[], dir: string): R | null {
  const inside = rows.filter((r) => dir === r.workspace || dir.startsWith(r.workspace.endsWith('/') ? r.workspace : `${r.workspace}/`));
  return inside.sort((a, b) => b.workspace.length - a.workspace.length)[0] ?? null;
}

/**
 * Resolves a box name: the given one, or the box of the caller's directory. A box that
 * ended on its own lately (`gone`) is named as such rather than as unknown.
 */
export function resolveBox(rows: LsRow[], name: string | undefined, cwd: string, gone: GoneRow[] = []): LsRow {
  if (name) {
    const row = rows.find((r) => r.name === name);
    if (row) return row;
    const g = gone.find((r) => r.name === name);
    throw new CoopError('SESSION_NOT_FOUND', g?.message ?? `no box named ${name}; \`coop ls\` lists the running ones`);
  }
  const row = boxForDirectory(rows, cwd);
  if (row) return row;
  const g = boxForDirectory(gone, cwd);
  throw new CoopError('SESSION_NOT_FOUND', g?.message ?? `no box for ${cwd}; start one with \`coop\`, or name one (\`coop ls\` lists them)`);
}
