// The gateway (SPEC §5): serves one transport for one peer, checking every request against
// the policy of the peer's kind (policy.ts) before the box service sees it. Listeners
// (the Unix socket here; HTTP/WebSocket in lib/web; WebRTC in lib/tunnel) make the transports and
// say who the peer is; the gateway counts them all, so any client keeps the daemon up.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { boxReadyConfig } from '../agents/prepare.js';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { CoopConfig } from '../config/types.js';
import { CoopError } from '../errors.js';
import { InputBudget, MAX_CONNECTIONS } from '../ipc/limits.js';
import type { Request, Responses } from '../ipc/messages.js';
import { refuseConnection, serveConnection, type Handlers, type Transport } from '../ipc/server.js';
import { coopHome } from '../paths.js';
import type { DaemonLog } from './log.js';
import { checkRequest, type Peer } from './policy.js';
import type { BoxService } from './service.js';

/** What only the daemon itself can answer (its listeners, its life). */
export interface DaemonCommands {
  serve(req: Extract<Request, { cmd: 'serve' }>): Promise<Responses['serve']>;
  serveStop(): Promise<void>;
  /** Opens a tunnel that lasts as long as `owner` (the asking connection; null: until closed). */
  tunnel(req: Extract<Request, { cmd: 'tunnel' }>, owner: Transport | null): Promise<Responses['tunnel']>;
  tunnelAnswer(answer: string): Promise<void>;
  tunnelWait(req: Extract<Request, { cmd: 'tunnel_wait' }>): Promise<Responses['tunnel_wait']>;
  status(): Responses['status'];
  shutdown(): void;
}

export interface GatewayOptions {
  service: BoxService;
  daemon: DaemonCommands;
  log: DaemonLog;
  /** Called when transports come and go (the idle timer). */
  changed: () => void;
  maxConnections?: number;
  /** Environment for loading a workspace's configuration for web and tunnel peers (default process.env). */
  env?: NodeJS.ProcessEnv;
  handshakeMs?: number;
}

export class Gateway {
  readonly transports = new Set<Transport>();
  private readonly budget = new InputBudget();

  constructor(private readonly opts: GatewayOptions) {}

  /** Serves a transport until it closes; refuses it (BUSY) when too many are open. */
  serve(transport: Transport, peer: Peer): void {
    const max = this.opts.maxConnections ?? MAX_CONNECTIONS;
    if (this.transports.size >= max) {
      this.opts.log.write('refused', { peer: peer.kind, why: `${this.transports.size} connections already` });
      refuseConnection(transport, 'BUSY', `the coop daemon already serves ${this.transports.size} connections (its limit); close some (attached terminals, followers, browser tabs) and try again`);
      return;
    }
    this.transports.add(transport);
    this.opts.changed();
    transport.on('close', () => {
      this.transports.delete(transport);
      this.opts.changed();
    });
    serveConnection(transport, this.handlers(peer, transport), {
      budget: this.budget,
      handshakeMs: this.opts.handshakeMs,
      onInternalError: (e) => this.opts.log.write('internal-error', { message: (e as Error)?.message }),
    });
  }

  /** Ends every transport (the daemon stops): gently, then for good on the next turn. */
  closeAll(): void {
    for (const t of this.transports) t.end();
    setImmediate(() => {
      for (const t of this.transports) t.destroy();
    });
  }

  /** The box configuration for a web or tunnel peer's create: the workspace's own, trust applied. */
  private workspaceConfig(workspace: string): CoopConfig {
    let st;
    try {
      st = statSync(workspace);
    } catch (e) {
      throw new CoopError('CONFIG_INVALID', `workspace ${workspace} cannot be used: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!st.isDirectory()) throw new CoopError('CONFIG_INVALID', `workspace ${workspace} is not a directory`);
    try {
      const env = this.opts.env ?? process.env;
      const loaded = loadConfig({ cwd: workspace, workspace, env, requireAgent: true });
      // The agent made to work in the box, as `coop` does it (the daemon's PATH is the caller's here).
      const baseDir = loaded.projectFile ? dirname(loaded.projectFile) : loaded.workspace;
      return boxReadyConfig(loaded.config, { env, coopHome: coopHome(env), baseDir }).config;
    } catch (e) {
      if (e instanceof ConfigError) throw new CoopError('CONFIG_INVALID', e.message);
      throw e;
    }
  }

  /**
   * The protocol's handlers for one peer: each request checked against its kind's policy.
   * `transport` is the connection they serve (a tunnel opened on it ends with it).
   */
  handlers(peer: Peer, transport: Transport | null = null): Handlers {
    const { service, daemon, log } = this.opts;
    const local = peer.kind === 'local';
    const check = (req: Request) => {
      try {
        checkRequest(peer, req);
      } catch (e) {
        if (e instanceof CoopError && e.code === 'FORBIDDEN') log.write('forbidden', { peer: peer.kind, from: peer.label, cmd: req.cmd });
        throw e;
      }
    };
    return {
      create: async (req) => {
        check(req);
        const config = local ? req.config! : this.workspaceConfig(req.workspace);
        return service.create({ name: req.name, config, term: req.term, cols: req.cols, rows: req.rows });
      },
      attach: async (req) => {
        check(req);
        return service.attach(req.box, req.pty, {
          kind: peer.kind, cols: req.cols, rows: req.rows, readonly: req.readonly ?? false, filtered: !local || (req.filtered ?? false),
        });
      },
      shell: async (req) => {
        check(req);
        const pty = service.shell(req.box, {
          command: req.command, fresh: req.new, cols: req.cols, rows: req.rows, term: req.term, cwd: local ? req.cwd : undefined, plain: req.plain,
        });
        return service.attach(req.box, pty, { kind: peer.kind, cols: req.cols, rows: req.rows, readonly: false, filtered: false });
      },
      logsFollow: async (req) => {
        check(req);
        return service.follow(req.box, req.pty, peer.kind, req.lines);
      },
      ls: (req) => {
        check(req);
        return service.ls();
      },
      kill: async (req) => {
        check(req);
        return { killed: await service.kill(req.all ? service.allNames() : [req.box!], req.force ?? false) };
      },
      restart: (req) => {
        check(req);
        return { needs_box: service.restart(req.box, req.pty, req.config) };
      },
      logs: (req) => {
        check(req);
        return service.logs(req.box, req.pty, req.lines);
      },
      pty_ls: (req) => {
        check(req);
        return { ptys: service.ptyLs(req.box) };
      },
      pty_kill: (req) => {
        check(req);
        service.ptyKill(req.box, req.pty);
        return {};
      },
      serve: (req) => {
        check(req);
        return daemon.serve(req);
      },
      serve_stop: async (req) => {
        check(req);
        await daemon.serveStop();
        return {};
      },
      tunnel: (req) => {
        check(req);
        return daemon.tunnel(req, transport);
      },
      tunnel_answer: async (req) => {
        check(req);
        await daemon.tunnelAnswer(req.answer);
        return {};
      },
      tunnel_wait: (req) => {
        check(req);
        return daemon.tunnelWait(req);
      },
      status: (req) => {
        check(req);
        return daemon.status();
      },
      shutdown: (req) => {
        check(req);
        daemon.shutdown();
        return {};
      },
    };
  }
}
