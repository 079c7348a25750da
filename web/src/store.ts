// What the page remembers (SPEC §10): layout and choices in localStorage, the token in
// sessionStorage (gone with the tab).

export type Theme = 'dark' | 'light';
export type SplitDir = 'horizontal' | 'vertical';

/** One box's panes: its tabs (PTY ids, the agent 0 first), the active one, an optional split. */
export interface Layout {
  tabs: number[];
  active: number;
  split: { dir: SplitDir; other: number; ratio: number } | null;
}

const get = <T>(key: string, fallback: T): T => {
  try {
    const v = localStorage.getItem(key);
    return v === null ? fallback : (JSON.parse(v) as T);
  } catch {
    return fallback;
  }
};
const put = (key: string, v: unknown) => {
  try {
    localStorage.setItem(key, JSON.stringify(v));
  } catch {
    // private mode, full storage
  }
};

export const store = {
  theme: (): Theme => (get<string>('coop:theme', 'dark') === 'light' ? 'light' : 'dark'),
  setTheme: (t: Theme) => put('coop:theme', t),
  activeBox: (): string | null => get<string | null>('coop:active-box', null),
  setActiveBox: (s: string | null) => put('coop:active-box', s),
  boxes: (): string[] => get<string[]>('coop:boxes', []),
  setBoxes: (names: string[]) => put('coop:boxes', names),
  layout(box: string): Layout {
    const l = get<Partial<Layout>>(`coop:layout:${box}`, {});
    const tabs = Array.isArray(l.tabs) ? l.tabs.filter((n) => Number.isInteger(n) && n > 0) : [];
    return { tabs: [0, ...tabs], active: typeof l.active === 'number' ? l.active : 0, split: l.split ?? null };
  },
  setLayout: (box: string, l: Layout) => put(`coop:layout:${box}`, { ...l, tabs: l.tabs.filter((n) => n !== 0) }),
  dropLayout: (box: string) => {
    try {
      localStorage.removeItem(`coop:layout:${box}`);
    } catch {
      // nothing kept
    }
  },
};

/** The token: from ?token= of the address (kept in sessionStorage), else the stored one. */
export function pageToken(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem('coop:token', fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem('coop:token');
}
