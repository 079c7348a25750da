// Who may ask the daemon what (SPEC §5): the policy of each kind of peer. `local` (our uid
// in our user namespace, over the Unix socket) may do everything. `web` and `tunnel` peers
// (anyone holding the web token, or the other end of a tunnel) may list boxes, attach,
// open and close shells, read logs, create a box for a workspace directory — with settings
// only from that workspace's own configuration — and kill one box; never more.
import { CoopError } from '../errors.js';
import type { Command, Request } from '../ipc/messages.js';

export type PeerKind = 'local' | 'web' | 'tunnel';

/** Who is on the other end of a transport. */
export interface Peer {
  kind: PeerKind;
  /** For the log: "pid 123", "127.0.0.1:50312"... (never a token). */
  label: string;
}

/** What web and tunnel peers may send. */
export const REMOTE_COMMANDS: ReadonlySet<Command> = new Set(['ls', 'create', 'attach', 'shell', 'logs', 'pty_ls', 'pty_kill', 'kill']);

const WHAT: Partial<Record<Command, string>> = {
  shutdown: 'stop the daemon',
  serve: 'start or change the web server',
  serve_stop: 'stop the web server',
  tunnel: 'open a tunnel',
  tunnel_answer: "answer a tunnel's offer",
  tunnel_wait: 'wait on a tunnel',
  restart: 'restart an agent with a new configuration',
  status: "read the daemon's status",
};

const refuse = (peer: Peer, why: string): never => {
  throw new CoopError('FORBIDDEN', `${peer.kind} clients ${why}`);
};

/** Throws FORBIDDEN when the peer's kind may not send this request (as it stands). */
export function checkRequest(peer: Peer, req: Request): void {
  if (peer.kind === 'local') {
    if (req.cmd === 'create' && !req.config) throw new CoopError('INVALID_COMMAND', 'field "config" is required for create');
    return;
  }
  if (!REMOTE_COMMANDS.has(req.cmd)) {
    refuse(peer, `may not ${WHAT[req.cmd] ?? req.cmd}; run coop on the machine itself for that`);
  }
  switch (req.cmd) {
    case 'create':
      if (req.config !== undefined) {
        refuse(peer, "cannot send a box configuration (mounts, env, image...): a box's settings come only from its workspace's coop.toml");
      }
      if (!req.workspace.startsWith('/')) refuse(peer, `must name the workspace by its absolute path, not "${req.workspace.slice(0, 200)}"`);
      break;
    case 'attach':
      if (req.filtered === false) refuse(peer, "cannot turn off the input filter: their input to the agent is always filtered");
      break;
    case 'kill':
      if (req.all || !req.box) refuse(peer, 'kill one box at a time, by name');
      break;
    default:
      break;
  }
}
