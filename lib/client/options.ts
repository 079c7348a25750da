// The options objects of Client's methods: the fields of the protocol's requests
// (lib/ipc/messages.ts, where each is documented) without `cmd`, with the defaults the
// client fills in made optional. The protocol stays the one definition of every field.
import type { CoopConfig } from '../config/types.js';
import type {
  AttachRequest, CreateRequest, LogsRequest, RestartRequest, ServeRequest, ShellRequest, TunnelRequest, TunnelWaitRequest,
} from '../ipc/messages.js';

/** A request's fields, those named in K made optional (the client has defaults for them). */
type Fields<R, K extends keyof R = never> = Omit<R, 'cmd' | K> & Partial<Pick<R, K>>;

/** Which box (by name, as `coop ls` shows it) and which of its PTYs (default 0, the agent; 1.. shells). */
export interface PtyTarget {
  box: string;
  pty?: number;
}

/** `client.create()`: the box of a workspace, with its loaded configuration. */
export type CreateOptions = Fields<CreateRequest> & { config: CoopConfig };

/** `client.kill()`: one box, or every box; `force`: SIGKILL at once. */
export type KillOptions = ({ box: string } | { all: true }) & { force?: boolean };

/** `client.restart()`: a PTY (default the agent), and the configuration to restart the agent with. */
export type RestartOptions = Fields<RestartRequest, 'pty'>;

/** `client.logs()` and `client.follow()`: a PTY's output (default the agent's), its last `lines` lines. */
export type LogsOptions = Fields<Omit<LogsRequest, 'follow'>, 'pty'>;

/** `client.attach()`: a PTY as a stream (default the agent, 80×24). */
export type AttachOptions = Fields<AttachRequest, 'pty' | 'cols' | 'rows'>;

/** `client.shell()`: a shell PTY in a box (default 80×24). */
export type ShellOptions = Fields<ShellRequest, 'cols' | 'rows'>;

/** `client.serve()`: the web server (default 127.0.0.1:8888; port 0 picks a free one). */
export type ServeOptions = Fields<ServeRequest, 'host' | 'port'>;

/** `client.tunnel()`: a tunnel (SPEC §11). */
export type TunnelOptions = Fields<TunnelRequest>;

/** `client.tunnelWait()`: wait for a tunnel to connect or close. */
export type TunnelWaitOptions = Fields<TunnelWaitRequest>;
