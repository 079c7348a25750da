// Every message of the protocol (SPEC §6), for the Unix socket, the WebSocket bridge and
// the WebRTC channels alike. Requests are {cmd, ...fields}; responses {ok: true, ...} or
// {ok: false, error: CODE, message}.
import type { CoopConfig } from '../config/types.js';
import type { ErrorCode } from '../errors.js';

export const PROTOCOL_VERSION = 2;

export interface Hello {
  version: number;
}

// ---- requests ------------------------------------------------------------------------

export interface CreateRequest {
  cmd: 'create';
  /** Box name; default derived from the workspace directory's name. */
  name?: string;
  /** Absolute host directory. */
  workspace: string;
  /**
   * Already layered and validated by the client, `[env]` expanded. Local peers only: for web
   * and tunnel peers the daemon loads the workspace's own coop.toml (trust rules applied).
   */
  config?: CoopConfig;
  /** Create without attaching (the CLI's -d). */
  detach?: boolean;
  /** The client's TERM, for the box's processes. */
  term?: string;
  cols?: number;
  rows?: number;
}

export interface AttachRequest {
  cmd: 'attach';
  box: string;
  pty: number;
  cols: number;
  rows: number;
  /** A follower: output only, does not count for the PTY's size. */
  readonly?: boolean;
  /**
   * Filter this client's input (SPEC §8). A local peer may ask for it; web and tunnel peers
   * are always filtered (asking for false is refused).
   */
  filtered?: boolean;
}

export interface ShellRequest {
  cmd: 'shell';
  box: string;
  /** Shell command line (default sandbox.shell). */
  command?: string;
  /** Start a new shell even if one with the same command is running. */
  new?: boolean;
  cols: number;
  rows: number;
  term?: string;
  /** The caller's directory on the host: the shell starts in its box path (the workspace otherwise). */
  cwd?: string;
  /**
   * For a caller without a terminal: the box's terminal neither echoes input nor turns
   * newlines into CRLF, and PLAIN_READY is printed once it is so (before the command starts).
   */
  plain?: boolean;
}

export interface LsRequest {
  cmd: 'ls';
}

export interface KillRequest {
  cmd: 'kill';
  box?: string;
  all?: boolean;
  /** SIGKILL at once instead of SIGTERM and a grace period. */
  force?: boolean;
}

export interface RestartRequest {
  cmd: 'restart';
  box: string;
  pty: number;
  /** A freshly loaded configuration (coop restart re-reads coop.toml). */
  config?: CoopConfig;
}

export interface LogsRequest {
  cmd: 'logs';
  box: string;
  pty: number;
  follow?: boolean;
  /** Only the last N lines of the scrollback. */
  lines?: number;
}

export interface PtyLsRequest {
  cmd: 'pty_ls';
  box: string;
}

export interface PtyKillRequest {
  cmd: 'pty_kill';
  box: string;
  pty: number;
}

export interface ServeRequest {
  cmd: 'serve';
  host: string;
  port: number;
  token?: string;
}

export interface ServeStopRequest {
  cmd: 'serve_stop';
}

/** Opens a tunnel (SPEC §11); it lives as long as the connection that asked. */
export interface TunnelRequest {
  cmd: 'tunnel';
  /** STUN server URLs; [] for none (default: a public one). */
  stun?: string[];
  /** Address of the connect page (default: this daemon's web server, when it runs). */
  page?: string;
  /** No browser connected this long after the offer: the tunnel fails (default 120 s). */
  timeout_ms?: number;
}

/** The browser's answer, as the page shows it (it names its tunnel). */
export interface TunnelAnswerRequest {
  cmd: 'tunnel_answer';
  answer: string;
}

/** Waits until the tunnel is connected (fails with TUNNEL_FAILED if it ends first), or has closed. */
export interface TunnelWaitRequest {
  cmd: 'tunnel_wait';
  id: string;
  until: 'connected' | 'closed';
}

export interface StatusRequest {
  cmd: 'status';
}

export interface ShutdownRequest {
  cmd: 'shutdown';
}

export type Request =
  | CreateRequest | AttachRequest | ShellRequest | LsRequest | KillRequest | RestartRequest | LogsRequest
  | PtyLsRequest | PtyKillRequest | ServeRequest | ServeStopRequest | TunnelRequest | TunnelAnswerRequest | TunnelWaitRequest
  | StatusRequest | ShutdownRequest;

export type Command = Request['cmd'];

/** Commands whose success switches the connection to stream mode. */
export const STREAMING: ReadonlySet<Command> = new Set(['attach', 'shell']);
export const isStreaming = (r: Request) => STREAMING.has(r.cmd) || (r.cmd === 'logs' && r.follow === true);

// ---- responses -----------------------------------------------------------------------

export interface PtyRow {
  id: number;
  role: 'agent' | 'shell';
  command: string;
  state: 'running' | 'exited' | 'restarting' | 'stopped';
  pid: number | null;
}

export interface LsRow {
  name: string;
  workspace: string;
  pid: number;
  created: number;
  /** "damaged": the box runs but cannot be served (see problem); it can be killed. */
  state: 'running' | 'stopping' | 'damaged';
  ptys: PtyRow[];
  clients: { local: number; web: number; tunnel: number };
  /** What is wrong with a damaged box, and what to do. */
  problem?: string;
  /** network.mode, published ports ("127.0.0.1:8080:3000") and network.allow of the box. */
  network?: { mode: string; ports: string[]; allow: string[] };
}

/** A box that ended on its own lately (its init died): why, for commands that name it. */
export interface GoneRow {
  name: string;
  workspace: string;
  message: string;
}

export interface StatusInfo {
  pid: number;
  version: string;
  uptime_s: number;
  socket: string;
  coop_home: string;
  boxes: number;
  clients: number;
  rss_bytes: number;
  /** Open tunnels (`coop tunnel`). */
  tunnels?: number;
}

export interface Responses {
  create: { box: string; existing: boolean };
  /** cols/rows: the PTY's size when its scrollback was taken (to render the replay at). */
  attach: { box: string; pty: number; cols?: number; rows?: number };
  shell: { box: string; pty: number; cols?: number; rows?: number };
  ls: { boxes: LsRow[]; gone?: GoneRow[] };
  kill: { killed: string[] };
  /** needs_box: changed settings that only a new box applies (`coop restart --box`). */
  restart: { needs_box?: string[] };
  /** cols/rows: the PTY's size, to render the scrollback at. */
  logs: { data?: Buffer; cols?: number; rows?: number };
  pty_ls: { ptys: PtyRow[] };
  pty_kill: Record<string, never>;
  serve: { urls: string[]; token: string };
  serve_stop: Record<string, never>;
  tunnel: { url: string; id: string };
  tunnel_answer: Record<string, never>;
  tunnel_wait: { state: 'connected' | 'closed'; reason?: string; lost?: boolean };
  status: StatusInfo;
  shutdown: Record<string, never>;
}

export type OkResponse<C extends Command> = { ok: true } & Responses[C];

export interface ErrorResponse {
  ok: false;
  error: ErrorCode;
  message: string;
}

export type Response<C extends Command = Command> = OkResponse<C> | ErrorResponse;

// ---- stream control ------------------------------------------------------------------

/** Control messages a client sends on a stream. */
export type ClientControl = { type: 'resize'; cols: number; rows: number } | { type: 'detach' };

/** Why a PTY's clients were sent away: its process ended, the box was killed, or a crash loop stopped the agent. */
export type ExitReason = 'exited' | 'killed' | 'crash_loop';

/** Printed by a `plain` shell's terminal once it neither echoes nor translates newlines. */
export const PLAIN_READY = '\x1b]6199;coop-plain\x07';

/** Control messages the daemon sends on a stream. */
export type DaemonControl =
  | { type: 'pty_exited'; code: number | null; signal: string | null; reason?: ExitReason }
  /** The scrollback replay (on attach, or after `lagged`) is complete: live output follows. */
  | { type: 'replayed' }
  | { type: 'pty_restarting'; delay_ms: number }
  | { type: 'detached'; reason?: string }
  | { type: 'lagged'; dropped_bytes: number }
  | { type: 'blocked'; bytes: number };
