// The typed client of the daemon: connect (starting the daemon when needed), then one
// method per command; attach, shell and logs --follow return an AttachStream.
import { CoopError } from '../errors.js';
import type { GoneRow, LsRow, OkResponse, PtyRow, StatusInfo } from '../ipc/messages.js';
import type { AttachStream } from './attach.js';
import type {
  AttachOptions, CreateOptions, KillOptions, LogsOptions, PtyTarget, RestartOptions, ServeOptions, ShellOptions, TunnelOptions,
  TunnelWaitOptions,
} from './options.js';
import { Connection } from './connection.js';
import { connectDaemon, daemonNotRunning, type ConnectOptions } from './daemon.js';
import { coopHome } from '../paths.js';

export { AttachStream, type AttachEvents } from './attach.js';
export { Connection } from './connection.js';
export { connectDaemon, daemonEntry, type ConnectOptions } from './daemon.js';
export type * from './options.js';

const DEFAULT_SIZE = { cols: 80, rows: 24 };

function withSize(stream: AttachStream, response: Record<string, unknown>): AttachStream {
  if (typeof response.cols === 'number' && typeof response.rows === 'number') stream.ptySize = { cols: response.cols, rows: response.rows };
  return stream;
}

/**
 * A connection to the coop daemon (the process that owns every long-lived box and its PTYs),
 * with one method per command of its protocol. Methods reject with a CoopError carrying the
 * daemon's code (BOX_NOT_FOUND, PTY_NOT_FOUND, CONFIG_INVALID, ...). Boxes live on after
 * the client closes; `close()` it when done.
 *
 * @example
 *   const client = await Client.connect();          // starts the daemon when none runs
 *   const { box } = await client.create({ workspace, config, detach: true });
 *   console.log(await client.ls());
 *   client.close();
 */
export class Client {
  private constructor(
    private readonly conn: Connection,
    private readonly opts: ConnectOptions,
  ) {}

  /**
   * Connects to the daemon of `opts.coopHome` (default $COOP_HOME or ~/.coop), starting it
   * unless `opts.spawn` is false (then a missing daemon is a CoopError DAEMON_FAILED).
   *
   * @example
   *   const client = await Client.connect({ coopHome: '/tmp/coop-ci', spawn: true });
   */
  static async connect(opts: ConnectOptions = {}): Promise<Client> {
    return new Client(await connectDaemon(opts), opts);
  }

  /**
   * Connects to the running daemon; when none runs, a scan (SPEC §5: the one a new daemon
   * does) looks for boxes first: with none, resolves null and starts nothing (what `coop ls`
   * does); with some, starts the daemon, which takes them over.
   *
   * @example
   *   const client = await Client.connectIfBoxes();
   *   console.log(client ? await client.ls() : []);
   */
  static async connectIfBoxes(opts: Omit<ConnectOptions, 'spawn'> = {}): Promise<Client | null> {
    try {
      return await Client.connect({ ...opts, spawn: false });
    } catch (e) {
      if (!daemonNotRunning(e)) throw e;
    }
    const { runningBoxes } = await import('../sandbox/discover.js'); // (the sandbox's code only when no daemon runs)
    if (runningBoxes(opts.coopHome ?? coopHome(opts.env ?? process.env)).length === 0) return null;
    return Client.connect({ ...opts, spawn: true });
  }

  /**
   * Creates the box of a workspace and starts its agent (`config.sandbox.agent`) on PTY 0,
   * or finds the running one (`existing: true`). `config` is what loadConfig returned for
   * the workspace; `name` defaults to one derived from the workspace's directory name.
   *
   * @example
   *   const { config, workspace } = loadConfig({ cwd: process.cwd(), requireAgent: true });
   *   const { box, existing } = await client.create({ workspace, config, detach: true });
   */
  create(opts: CreateOptions): Promise<OkResponse<'create'>> {
    return this.conn.request({ cmd: 'create', ...opts });
  }
  /**
   * The running boxes, each with its PTYs and attached clients.
   *
   * @example
   *   for (const box of await client.ls()) console.log(box.name, box.workspace, box.state);
   */
  async ls(): Promise<LsRow[]> {
    return (await this.conn.request({ cmd: 'ls' })).boxes;
  }
  /**
   * The boxes, and those that ended on their own lately (`gone`, with why).
   *
   * @example
   *   const { boxes, gone } = await client.listing();
   *   for (const g of gone) console.log(`${g.name}: ${g.message}`);
   */
  async listing(): Promise<{ boxes: LsRow[]; gone: GoneRow[] }> {
    const r = await this.conn.request({ cmd: 'ls' });
    return { boxes: r.boxes, gone: r.gone ?? [] };
  }
  /**
   * Ends a box (`{ box }`) or every box (`{ all: true }`): SIGTERM, 5 s grace, SIGKILL
   * (at once with `force`); its layers go, persist directories and volumes stay. Resolves
   * with the names of the boxes killed.
   *
   * @example
   *   await client.kill({ box: 'api' });
   *   await client.kill({ all: true, force: true });
   */
  async kill(opts: KillOptions): Promise<string[]> {
    const target = 'box' in opts ? { box: opts.box } : { all: true as const };
    return (await this.conn.request({ cmd: 'kill', ...target, force: opts.force ?? false })).killed;
  }
  /**
   * Starts a PTY's process again (PTY 0: the agent, with `config`'s agent command and
   * `[env]` when given); the box and its files stay. Resolves with the changed settings that
   * only a new box applies (mounts, image, network), when a config was given for the agent.
   *
   * @example
   *   const needsBox = await client.restart({ box: 'api', config: loadConfig({ cwd: process.cwd() }).config });
   */
  async restart(opts: RestartOptions): Promise<string[]> {
    const { box, pty = 0, config } = opts;
    return (await this.conn.request({ cmd: 'restart', box, pty, config })).needs_box ?? [];
  }
  /**
   * A PTY's scrollback (up to 256 KiB of raw terminal output), or its last `lines` lines.
   *
   * @example
   *   process.stdout.write(await client.logs({ box: 'api', lines: 20 }));
   */
  async logs(opts: LogsOptions): Promise<Buffer> {
    const { box, pty = 0, lines } = opts;
    return Buffer.from((await this.conn.request({ cmd: 'logs', box, pty, lines })).data ?? []);
  }
  /**
   * A PTY's whole scrollback and its size (to render it at, e.g. in a terminal emulator).
   *
   * @example
   *   const { data, cols, rows } = await client.scrollback({ box: 'api' });
   */
  async scrollback(opts: PtyTarget): Promise<{ data: Buffer; cols: number; rows: number }> {
    const r = await this.conn.request({ cmd: 'logs', box: opts.box, pty: opts.pty ?? 0 });
    return { data: Buffer.from(r.data ?? []), cols: r.cols ?? 80, rows: r.rows ?? 24 };
  }
  /**
   * The PTYs of a box: the agent (id 0) and its shells.
   *
   * @example
   *   const shells = (await client.ptyLs({ box: 'api' })).filter((p) => p.role === 'shell');
   */
  async ptyLs(opts: { box: string }): Promise<PtyRow[]> {
    return (await this.conn.request({ cmd: 'pty_ls', box: opts.box })).ptys;
  }
  /**
   * Ends a shell PTY (its process gets SIGHUP, then SIGKILL).
   *
   * @example
   *   await client.ptyKill({ box: 'api', pty: 2 });
   */
  async ptyKill(opts: { box: string; pty: number }): Promise<void> {
    await this.conn.request({ cmd: 'pty_kill', box: opts.box, pty: opts.pty });
  }
  /**
   * The daemon: pid, version, uptime, socket, $COOP_HOME, how many boxes and clients, memory.
   *
   * @example
   *   const { version, boxes } = await client.status();
   */
  status(): Promise<StatusInfo> {
    return this.conn.request({ cmd: 'status' });
  }
  /**
   * Starts (or keeps) the daemon's web server (`coop serve`, default 127.0.0.1:8888);
   * resolves with its URLs (token included) and the token. Port 0 picks a free one.
   *
   * @example
   *   const { urls, token } = await client.serve({ port: 0 });
   */
  serve(opts: ServeOptions = {}): Promise<OkResponse<'serve'>> {
    const { host = '127.0.0.1', port = 8888, token } = opts;
    return this.conn.request({ cmd: 'serve', host, port, token });
  }
  /**
   * Stops the web server (`coop serve --stop`).
   *
   * @example
   *   await client.serveStop();
   */
  async serveStop(): Promise<void> {
    await this.conn.request({ cmd: 'serve_stop' });
  }
  /**
   * Opens a tunnel (SPEC §11) that lasts as long as this client's connection; its connect URL.
   *
   * @example
   *   const t = await client.tunnel({ stun: [] });
   *   console.log(t.url);
   */
  tunnel(opts: TunnelOptions = {}): Promise<OkResponse<'tunnel'>> {
    return this.conn.request({ cmd: 'tunnel', ...opts });
  }
  /**
   * Gives a waiting tunnel the browser's answer (the text the connect page shows).
   *
   * @example
   *   await client.tunnelAnswer({ answer: process.argv[2]! }); // the text the connect page showed
   */
  async tunnelAnswer(opts: { answer: string }): Promise<void> {
    await this.conn.request({ cmd: 'tunnel_answer', answer: opts.answer });
  }
  /**
   * Resolves once the tunnel is connected (rejects with TUNNEL_FAILED if it ends first), or has closed.
   *
   * @example
   *   const t = await client.tunnel();
   *   await client.tunnelWait({ id: t.id, until: 'connected' });
   */
  tunnelWait(opts: TunnelWaitOptions): Promise<OkResponse<'tunnel_wait'>> {
    return this.conn.request({ cmd: 'tunnel_wait', id: opts.id, until: opts.until });
  }
  /**
   * Stops the daemon; boxes keep running and the next daemon takes them over (`coop system
   * shutdown`). The client is unusable afterwards.
   *
   * @example
   *   await client.shutdown();
   */
  async shutdown(): Promise<void> {
    await this.conn.request({ cmd: 'shutdown' });
  }

  /**
   * Attaches to a PTY (default 0, the agent) on a connection of its own: an AttachStream
   * (a Duplex) that reads the PTY's output (its scrollback first) and writes keystrokes.
   * `readonly`: output only, your size does not count; `filtered`: the input filter web
   * clients get (no Ctrl+D, Ctrl+\, or `exit` lines). Size default 80×24.
   *
   * @example
   *   const agent = await client.attach({ box: 'api', cols: 120, rows: 40 });
   *   agent.on('data', (bytes) => process.stdout.write(bytes));
   *   agent.write('explain this repository\r');
   *   agent.detach();
   */
  async attach(opts: AttachOptions): Promise<AttachStream> {
    const c = await this.streamConnection();
    const { response, stream } = await c.openStream({ cmd: 'attach', pty: 0, ...DEFAULT_SIZE, ...opts });
    return withSize(stream, response);
  }

  /**
   * Opens a shell PTY (`command`, default `sandbox.shell`; in `cwd`, default the workspace),
   * reusing a running one with the same command unless `new`, and attaches to it; resolves
   * with its id and the stream.
   *
   * @example
   *   const { pty, stream } = await client.shell({ box: 'api', command: 'npm test', new: true });
   *   stream.on('pty_exited', ({ code }) => console.log(`exit ${code}`));
   */
  async shell(opts: ShellOptions): Promise<{ pty: number; stream: AttachStream }> {
    const c = await this.streamConnection();
    const { response, stream } = await c.openStream({ cmd: 'shell', ...DEFAULT_SIZE, ...opts });
    return { pty: response.pty as number, stream: withSize(stream, response) };
  }

  /**
   * Follows a PTY's output read-only (`coop logs -f`): the whole scrollback, or its last
   * `lines` lines, then what follows; the stream ends when the PTY's process does.
   *
   * @example
   *   const out = await client.follow({ box: 'api' });
   *   out.pipe(process.stdout);
   */
  async follow(opts: LogsOptions): Promise<AttachStream> {
    const c = await this.streamConnection();
    const { box, pty = 0, lines } = opts;
    const { response, stream } = await c.openStream({ cmd: 'logs', box, pty, follow: true, lines });
    return withSize(stream, response);
  }

  private streamConnection(): Promise<Connection> {
    return connectDaemon({ ...this.opts, spawn: false });
  }

  /**
   * Closes the connection (boxes keep running).
   *
   * @example
   *   client.close();
   */
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
    throw new CoopError('BOX_NOT_FOUND', g?.message ?? `no box named ${name}; \`coop ls\` lists the running ones`);
  }
  const row = boxForDirectory(rows, cwd);
  if (row) return row;
  const g = boxForDirectory(gone, cwd);
  throw new CoopError('BOX_NOT_FOUND', g?.message ?? `no box for ${cwd}; start one with \`coop\`, or name one (\`coop ls\` lists them)`);
}
