// What the agent tests share: a private coop whose agent is the scripted fake TUI
// (fake-tui.ts, copied into the workspace), a tmux window running bash in it, the bytes
// that reached the window (tmux pipe-pane), and the window's terminal modes.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COOP } from '../helpers/cli.js';
import { TestCoop } from '../helpers/daemon.js';
import { tmp } from '../helpers/tmp.js';
import { Tmux } from '../helpers/tmux.js';

export const coopCmd = `${process.execPath} ${COOP}`;
const FAKE_TUI = fileURLToPath(new URL('./fake-tui.js', import.meta.url));

/** The agent line of a coop.toml that runs the fake TUI. */
export const FAKE_AGENT = 'agent = ["node", "/workspace/fake-tui.mjs"]';

/** A private coop whose workspace holds the fake TUI; `toml` is the rest of its coop.toml. */
export function fakeAgentCoop(toml = ''): TestCoop {
  const t = new TestCoop(`[sandbox]\n${FAKE_AGENT}\n[session]\nrestart_delay_ms = 100\n${toml}`);
  copyFileSync(FAKE_TUI, join(t.workspace, 'fake-tui.mjs'));
  return t;
}

/** Rewrites the workspace's coop.toml. */
export function writeToml(t: TestCoop, toml: string): void {
  writeFileSync(join(t.workspace, 'coop.toml'), toml);
}

/** A tmux window of bash in the workspace, with the coop's environment; output is recorded. */
export class Window {
  readonly tmux: Tmux;
  private readonly record = join(tmp('coop-pipe-'), 'pane');
  private offset = 0;

  constructor(readonly t: TestCoop, size = { cols: 100, rows: 30 }) {
    this.tmux = new Tmux({ ...size, cwd: t.workspace, env: { COOP_HOME: t.home, COOP_DAEMON_IDLE_MS: '600000', TERM: 'xterm' } });
    this.tmux.type("exec bash --norc --noprofile; PS1='outer$ '");
    writeFileSync(this.record, '');
    this.tmux.tmux('pipe-pane', '-o', `cat >> ${this.record}`);
  }

  async ready(): Promise<void> {
    this.tmux.type("PS1='outer$ '; clear");
    await this.tmux.waitFor(/^outer\$ ?$/m);
  }

  type(text: string, enter = true): void {
    this.tmux.type(text, enter);
  }

  /** Waits for the screen to match (a safety net, not a speed check). */
  waitFor(re: RegExp): Promise<string> {
    return this.tmux.waitFor(re);
  }

  screen(): string {
    return this.tmux.screen();
  }

  /** Bytes that reached the window since the last call. */
  output(): string {
    const all = readFileSync(this.record, 'latin1');
    const fresh = all.slice(this.offset);
    this.offset = all.length;
    return fresh;
  }

  /** Sends raw bytes as if the terminal's keyboard had (e.g. a kitty-encoded key). */
  sendBytes(bytes: string): void {
    this.tmux.tmux('send-keys', '-H', ...[...Buffer.from(bytes, 'latin1')].map((b) => b.toString(16).padStart(2, '0')));
  }

  /** tmux's view of the window's modes. */
  modes(): Record<string, string> {
    const names = ['alternate_on', 'cursor_flag', 'mouse_any_flag', 'mouse_button_flag', 'mouse_standard_flag', 'mouse_sgr_flag', 'keypad_cursor_flag'];
    const vals = this.tmux.tmux('display', '-p', names.map((n) => `#{${n}}`).join(' ')).trim().split(' ');
    return Object.fromEntries(names.map((n, i) => [n, vals[i]!]));
  }

  /** The modes of a shell prompt: main screen, cursor shown, no mouse, normal cursor keys. */
  assertClean(assertEqual: (a: unknown, b: unknown, msg?: string) => void): void {
    assertEqual(this.modes(), {
      alternate_on: '0', cursor_flag: '1', mouse_any_flag: '0', mouse_button_flag: '0', mouse_standard_flag: '0', mouse_sgr_flag: '0', keypad_cursor_flag: '0',
    }, this.screen());
  }

  private asked = 0;

  /** The exit status of the last command, via the prompt. */
  async status(): Promise<number> {
    const n = ++this.asked;
    await this.waitFor(/(^|\n)outer\$ ?\n*$/); // the shell has the terminal again (keys typed earlier would go to coop)
    this.type(`echo "rc${n}=$?"`);
    const s = await this.waitFor(new RegExp(`^rc${n}=\\d+$`, 'm'));
    return Number(new RegExp(`^rc${n}=(\\d+)$`, 'm').exec(s)![1]);
  }

  kill(): void {
    this.tmux.kill();
  }
}

/** The fake TUI's log of what it received (escaped). */
export const keysLog = (t: TestCoop) => {
  try {
    return readFileSync(join(t.workspace, '.keys'), 'utf8');
  } catch {
    return '';
  }
};
