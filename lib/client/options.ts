// The options objects of Client's methods: one per command, named for it.
import type { CoopConfig } from '../config/types.js';

/** Which box (by name, as `coop ls` shows it) and which of its PTYs (0 = the agent, 1.. shells). */
export interface PtyTarget {
  box: string;
  /** Default 0: the agent. */
  pty?: number;
}

/** `client.create()`: the box of a workspace. */
export interface CreateOptions {
  /** The workspace directory (absolute), as loadConfig returned it. */
  workspace: string;
  /** The resolved configuration for it (loadConfig's `config`, secrets expanded). */
  config: CoopConfig;
  /** Default: derived from the workspace's directory name (api, api-2, ...). */
  name?: string;
  /** Start without attaching (the CLI's `coop -d`); no effect on the box itself. */
  detach?: boolean;
  /** TERM for the agent (default xterm-256color) and its first terminal size. */
  term?: string;
  cols?: number;
  rows?: number;
}

/** `client.kill()`: one box, or every box. */
export type KillOptions = ({ box: string } | { all: true }) & {
  /** SIGKILL at once instead of SIGTERM with 5 s of grace. */
  force?: boolean;
};

/** `client.restart()`: start a PTY's process again. */
export interface RestartOptions extends PtyTarget {
  /** For the agent: the configuration whose agent command and `[env]` it restarts with. */
  config?: CoopConfig;
}

/** `client.logs()` and `client.follow()`: a PTY's output. */
export interface LogsOptions extends PtyTarget {
  /** Only the last `lines` lines of the scrollback (default: all of it). */
  lines?: number;
}

/** `client.attach()`: a PTY as a stream. */
export interface AttachOptions extends PtyTarget {
  /** Your terminal's size (default 80×24); the PTY takes the smallest of its writers'. */
  cols?: number;
  rows?: number;
  /** Output only; your size does not count. */
  readonly?: boolean;
  /** The input filter web clients get (no Ctrl+D, Ctrl+\, or `exit` lines reach the agent). */
  filtered?: boolean;
}

/** `client.shell()`: a shell PTY in a box. */
export interface ShellOptions {
  box: string;
  /** What to run (default `sandbox.shell`), through `sh -c`. */
  command?: string;
  /** A new PTY even when one runs the same command. */
  new?: boolean;
  /** Default 80×24. */
  cols?: number;
  rows?: number;
  /** TERM for the shell (default the agent's). */
  term?: string;
  /** Working directory in the box (default the workspace). */
  cwd?: string;
  /** A quiet terminal for programs, not people: no echo, LF line ends, a ready mark before the command. */
  plain?: boolean;
}

/** `client.serve()`: the web server (`coop serve`). */
export interface ServeOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Default 8888; 0 picks a free one. */
  port?: number;
  /** Default: a new random token. */
  token?: string;
}

/** `client.tunnel()`: a tunnel (SPEC §11). */
export interface TunnelOptions {
  /** STUN server URLs (default a public one); [] for none. */
  stun?: string[];
  /** The connect page's address (default this daemon's web server, when it runs). */
  page?: string;
  /** No browser connected this long after the offer: the tunnel fails (default 120 s). */
  timeout_ms?: number;
}

/** `client.tunnelWait()`: wait for a tunnel to connect or close. */
export interface TunnelWaitOptions {
  /** The tunnel's id, from `client.tunnel()`. */
  id: string;
  until: 'connected' | 'closed';
}
