// A private coop (its own COOP_HOME, so its own daemon) with a workspace, for the daemon,
// protocol and terminal tests; stop() kills its boxes and its daemon.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../../lib/client/index.js';
import { loadConfig } from '../../lib/config/load.js';
import type { AttachStream } from '../../lib/client/attach.js';
import { coop, type CliResult } from './cli.js';
import { tmp } from './tmp.js';
import { trustEnv, trustProject } from './trust.js';

export class TestCoop {
  readonly home: string;
  readonly workspace: string;
  readonly env: NodeJS.ProcessEnv;

  /** opts.homeInWorkspace: $COOP_HOME inside the workspace (what a box must still not reach). */
  constructor(toml = '[sandbox]\nagent = "sh"\n[session]\nrestart_delay_ms = 100\n', opts: { homeInWorkspace?: boolean } = {}) {
    this.workspace = tmp('coop-ws-');
    this.home = opts.homeInWorkspace ? join(this.workspace, 'coop-home') : tmp('coop-home-');
    writeFileSync(join(this.workspace, 'coop.toml'), toml);
    trustProject(this.workspace); // the test wrote it
    this.env = { PATH: process.env.PATH, HOME: process.env.HOME, ...trustEnv, COOP_HOME: this.home, COOP_DAEMON_IDLE_MS: '600000', TERM: 'xterm' };
  }

  /** The CLI, in the workspace unless cwd is given. */
  cli(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<CliResult> {
    return coop(args, { cwd: opts.cwd ?? this.workspace, env: this.env as NodeJS.ProcessEnv, input: opts.input });
  }

  client(spawn = true): Promise<Client> {
    return Client.connect({ coopHome: this.home, env: this.env, spawn });
  }

  config(overrides: { agent?: string } = {}) {
    return loadConfig({ cwd: this.workspace, env: this.env, overrides, requireAgent: true, globalPath: null }).config;
  }

  /** Creates the box of the workspace without attaching; its name. */
  async create(): Promise<string> {
    const c = await this.client();
    try {
      return (await c.create({ workspace: this.workspace, config: this.config(), detach: true })).box;
    } finally {
      c.close();
    }
  }

  daemonPid(): number | null {
    try {
      return Number(readFileSync(join(this.home, 'daemon.pid'), 'utf8').trim());
    } catch {
      return null;
    }
  }

  /** Kills every box and the daemon. */
  async stop(): Promise<void> {
    let c: Client;
    try {
      c = await this.client(false);
    } catch {
      return;
    }
    try {
      await c.kill({ all: true, force: true });
      await c.shutdown();
    } catch {
      // already stopping
    } finally {
      c.close();
    }
    const pid = this.daemonPid();
    for (let i = 0; pid && i < 200 && alive(pid); i++) await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Collects a stream's output; until() waits for a pattern in it. */
export class Output {
  text = '';
  private waiters: (() => void)[] = [];
  constructor(stream: AttachStream) {
    stream.on('data', (d: Buffer) => {
      this.text += d.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    });
  }
  /** Waits for the pattern (a safety net, not a speed check, fails after 60 s with the output). */
  async until(pattern: RegExp | string): Promise<string> {
    const test = () => (typeof pattern === 'string' ? this.text.includes(pattern) : pattern.test(this.text));
    const deadline = Date.now() + 60_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`never saw ${pattern}; got:\n${this.text.slice(-2000)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 1000);
      });
    }
    return this.text;
  }
}
