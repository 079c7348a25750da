// A headless terminal emulator (@xterm/headless) that also keeps what xterm.js itself does
// not: kitty keyboard flags (a stack per screen), modifyOtherKeys, mouse encodings, cursor
// visibility and shape, the scroll region. Fed a PTY's output, it knows the screen and every
// mode in effect — for `coop logs` (plain text), for replaying a PTY to a new client (the
// screen and the modes, never the history with its queries), and for undoing every mode
// when a client leaves.
import type { Terminal as XTerm } from '@xterm/headless';

type XTermModule = typeof import('@xterm/headless');
type SerializeModule = typeof import('@xterm/addon-serialize');

/** A CommonJS package through a dynamic import: its exports, wherever the loader put them. */
const exportsOf = <T>(m: T & { default?: T }): T => (m.default && typeof m.default === 'object' ? m.default : m);

let loaded: Promise<{ xterm: XTermModule; serialize: SerializeModule }> | null = null;
const load = () =>
  (loaded ??= Promise.all([import('@xterm/headless'), import('@xterm/addon-serialize')]).then(([x, s]) => ({
    xterm: exportsOf<XTermModule>(x),
    serialize: exportsOf<SerializeModule>(s),
  })));

/** Modes xterm.js does not report, as far as they matter to the real terminal behind. */
export interface ExtraModes {
  cursorHidden: boolean;
  /** DECSCUSR value (0 = the terminal's default). */
  cursorStyle: number;
  /** Mouse encodings on: 1005 (UTF-8), 1006 (SGR), 1015 (urxvt), 1016 (SGR pixels). */
  mouseEncodings: Set<number>;
  /** Kitty keyboard protocol flag stacks, one per screen. */
  kitty: { normal: number[]; alternate: number[] };
  /** modifyOtherKeys level (0 = off). */
  modifyOtherKeys: number;
  /** DECSTBM margins (1-based), null when the whole screen scrolls. */
  scrollRegion: [number, number] | null;
}

const MOUSE_ENCODINGS = [1005, 1006, 1015, 1016];
const KITTY_STACK_MAX = 32;

const first = (p: (number | number[])[], i: number, dflt: number): number => {
  const v = p[i];
  const n = Array.isArray(v) ? v[0] : v;
  return n === undefined || n === -1 ? dflt : n;
};

export class Emulator {
  readonly extra: ExtraModes = {
    cursorHidden: false, cursorStyle: 0, mouseEncodings: new Set(), kitty: { normal: [], alternate: [] },
    modifyOtherKeys: 0, scrollRegion: null,
  };

  private constructor(
    readonly term: XTerm,
    private readonly serializer: { serialize(o?: { scrollback?: number }): string },
  ) {
    const p = term.parser;
    const decset = (on: boolean) => (params: (number | number[])[]) => {
      for (let i = 0; i < params.length; i++) {
        const mode = first(params, i, 0);
        if (mode === 25) this.extra.cursorHidden = !on;
        if (MOUSE_ENCODINGS.includes(mode)) {
          if (on) this.extra.mouseEncodings.add(mode);
          else this.extra.mouseEncodings.delete(mode);
        }
      }
      return false; // xterm.js handles it too
    };
    p.registerCsiHandler({ prefix: '?', final: 'h' }, decset(true));
    p.registerCsiHandler({ prefix: '?', final: 'l' }, decset(false));
    p.registerCsiHandler({ intermediates: ' ', final: 'q' }, (params) => {
      this.extra.cursorStyle = first(params, 0, 0);
      return false;
    });
    p.registerCsiHandler({ final: 'r' }, (params) => {
      const top = first(params, 0, 1);
      const bottom = first(params, 1, this.term.rows);
      this.extra.scrollRegion = top <= 1 && bottom >= this.term.rows ? null : [top, bottom];
      return false;
    });
    // Kitty keyboard protocol: CSI > flags u (push), CSI < n u (pop), CSI = flags ; mode u (set).
    p.registerCsiHandler({ prefix: '>', final: 'u' }, (params) => {
      const stack = this.kittyStack();
      stack.push(first(params, 0, 0));
      if (stack.length > KITTY_STACK_MAX) stack.shift();
      return true;
    });
    p.registerCsiHandler({ prefix: '<', final: 'u' }, (params) => {
      const stack = this.kittyStack();
      stack.splice(Math.max(0, stack.length - Math.max(1, first(params, 0, 1))));
      return true;
    });
    p.registerCsiHandler({ prefix: '=', final: 'u' }, (params) => {
      const stack = this.kittyStack();
      const flags = first(params, 0, 0);
      const mode = first(params, 1, 1);
      const cur = stack.pop() ?? 0;
      stack.push(mode === 2 ? cur | flags : mode === 3 ? cur & ~flags : flags);
      return true;
    });
    p.registerCsiHandler({ prefix: '?', final: 'u' }, () => true); // a query: the real terminal answers
    // modifyOtherKeys: CSI > 4 ; level m   (CSI > 4 m resets it)
    p.registerCsiHandler({ prefix: '>', final: 'm' }, (params) => {
      if (first(params, 0, -1) === 4) this.extra.modifyOtherKeys = first(params, 1, 0);
      return true;
    });
  }

  static async create(cols: number, rows: number, scrollback = 1000): Promise<Emulator> {
    const { xterm, serialize } = await load();
    const term = new xterm.Terminal({ cols, rows, scrollback, allowProposedApi: true });
    const s = new serialize.SerializeAddon();
    term.loadAddon(s);
    return new Emulator(term, s);
  }

  private kittyStack(): number[] {
    return this.term.buffer.active.type === 'alternate' ? this.extra.kitty.alternate : this.extra.kitty.normal;
  }

  /** Parses bytes; resolves once they are all taken into the screen and modes. */
  write(data: Buffer | string): Promise<void> {
    return new Promise((resolve) => this.term.write(typeof data === 'string' ? data : new Uint8Array(data), resolve));
  }

  get alternate(): boolean {
    return this.term.buffer.active.type === 'alternate';
  }

  resize(cols: number, rows: number): void {
    if (cols !== this.term.cols || rows !== this.term.rows) this.term.resize(cols, rows);
  }

  /**
   * What puts a fresh terminal in this state: the screens' contents (at most `scrollback`
   * lines of history) and every mode in effect — and nothing the program asked the terminal.
   */
  restoreSequence(scrollback = 1000): string {
    let screens = this.serializer.serialize({ scrollback });
    const x = this.extra;
    const kitty = (stack: number[]) => (stack.length && stack.at(-1) ? `\x1b[>${stack.at(-1)}u` : '');
    const alt = screens.indexOf('\x1b[?1049h');
    if (alt >= 0) screens = screens.slice(0, alt) + kitty(x.kitty.normal) + screens.slice(alt);
    let modes = this.alternate ? kitty(x.kitty.alternate) : kitty(x.kitty.normal);
    for (const m of x.mouseEncodings) modes += `\x1b[?${m}h`;
    if (x.modifyOtherKeys) modes += `\x1b[>4;${x.modifyOtherKeys}m`;
    if (x.cursorStyle) modes += `\x1b[${x.cursorStyle} q`;
    if (x.scrollRegion) modes += `\x1b7\x1b[${x.scrollRegion[0]};${x.scrollRegion[1]}r\x1b8`;
    if (x.cursorHidden) modes += '\x1b[?25l';
    return screens + modes;
  }

  /** Undoes every mode a program may have left on in a real terminal fed the same bytes. */
  resetSequence(): string {
    return terminalReset({ alternate: this.alternate, scrollRegion: this.extra.scrollRegion !== null, originMode: this.term.modes.originMode });
  }

  dispose(): void {
    this.term.dispose();
  }
}

const KITTY_OFF = '\x1b[=0;1u\x1b[<99u';

/**
 * The sequence that undoes what a full-screen program may have left on: kitty keyboard
 * flags (on both screens: each has its own stack), modifyOtherKeys, the alternate screen,
 * every mouse mode and encoding, bracketed paste, focus events, application cursor keys
 * and keypad, insert mode, colours, cursor shape and visibility. Margins and origin mode
 * (which move the cursor when reset) only when known to be set.
 */
export function terminalReset(state: { alternate?: boolean; scrollRegion?: boolean; originMode?: boolean } = { alternate: true }): string {
  let s = '\x1b[0m';
  if (state.alternate) s += `${KITTY_OFF}\x1b[?1049l`;
  s += KITTY_OFF;
  s += '\x1b[>4;0m';
  s += '\x1b[?9l\x1b[?1000l\x1b[?1001l\x1b[?1002l\x1b[?1003l\x1b[?1005l\x1b[?1006l\x1b[?1015l\x1b[?1016l';
  s += '\x1b[?2004l\x1b[?1004l\x1b[?1l\x1b[?66l\x1b>\x1b[4l\x1b[?7h\x1b[?2026l';
  if (state.originMode) s += '\x1b[?6l';
  if (state.scrollRegion) s += '\x1b7\x1b[r\x1b8';
  s += '\x1b[0 q\x1b[?25h';
  return s;
}
