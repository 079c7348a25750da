// The detach key, Ctrl+], in every form a terminal may send it: the legacy control byte
// 0x1d, the kitty keyboard protocol's CSI 93;5u (once a program turned that protocol on,
// e.g. with CSI > 7 u), and xterm's modifyOtherKeys CSI 27;5;93~.

/** Ctrl+] as a control byte. */
export const DETACH_BYTE = 0x1d;

// CSI 93[:alternates] ; modifiers[:event] [; text] u
const KITTY = /\x1b\[93(?::[0-9:]*)?;(\d+)(?::(\d+))?(?:;[0-9:]*)?u/;
// CSI 27 ; modifiers ; 93 ~
const MODIFY_OTHER_KEYS = /\x1b\[27;(\d+);93~/;

/** Ctrl and nothing else, ignoring Caps Lock and Num Lock (kitty modifier encoding: 1 + bits). */
const ctrlOnly = (mods: number) => ((mods - 1) & ~(64 | 128)) === 4;

export interface KeyMatch {
  index: number;
  length: number;
}

/** Where the first detach key press is in `data`, or null. Key releases (event type 3) do not count. */
export function findDetachKey(data: Buffer): KeyMatch | null {
  const candidates: KeyMatch[] = [];
  const byte = data.indexOf(DETACH_BYTE);
  if (byte >= 0) candidates.push({ index: byte, length: 1 });
  if (data.includes(0x1b)) {
    const text = data.toString('latin1');
    for (const re of [KITTY, MODIFY_OTHER_KEYS]) {
      const g = new RegExp(re.source, 'g');
      for (let m = g.exec(text); m; m = g.exec(text)) {
        if (!ctrlOnly(Number(m[1]))) continue;
        if (re === KITTY && m[2] === '3') continue; // a release
        candidates.push({ index: m.index, length: m[0].length });
        break;
      }
    }
  }
  if (candidates.length === 0) return null;
  return candidates.reduce((a, b) => (b.index < a.index ? b : a));
}
