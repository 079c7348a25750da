// The web UI (SPEC §10): the boxes sidebar (a drawer on phones), the chosen box's
// terminals, notices, themes. It talks to the daemon only through a ChannelFactory, so the
// same page runs over WebSockets (`coop serve`) or the tunnel's DataChannels.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Control, type BoxRow, type Link } from './control.js';
import { Confirm, NewBox } from './dialogs.js';
import { KeysBar, keyBytes, withCtrl } from './keys.js';
import { Panes } from './panes.js';
import { Sidebar } from './sidebar.js';
import { store, type Theme } from './store.js';
import type { TermHandle } from './terminal.js';
import type { ChannelFactory } from './transport.js';

interface Notice {
  id: number;
  kind: 'blocked' | 'lagged' | 'info' | 'error';
  text: string;
}

const PHONE = '(max-width: 767px)';
let noticeIds = 0;

function usePhone(): boolean {
  const [phone, setPhone] = useState(() => window.matchMedia(PHONE).matches);
  useEffect(() => {
    const m = window.matchMedia(PHONE);
    const on = () => setPhone(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return phone;
}

/** `via`: how the page reaches the daemon, when it is not this page's server (the tunnel). */
export function App({ factory, via }: { factory: ChannelFactory; via?: string }) {
  const [rows, setRows] = useState<BoxRow[] | null>(null);
  const [link, setLink] = useState<Link>('connecting');
  const [active, setActive] = useState<string | null>(() => store.activeBox());
  const [theme, setTheme] = useState<Theme>(() => store.theme());
  const [drawer, setDrawer] = useState(false);
  const [killing, setKilling] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [ctrl, setCtrl] = useState(false);
  const ctrlRef = useRef(false);
  ctrlRef.current = ctrl;
  const focused = useRef<TermHandle | null>(null);
  const phone = usePhone();

  const notice = useCallback((kind: Notice['kind'], text: string) => {
    const id = ++noticeIds;
    setNotices((n) => [...n.filter((x) => x.kind !== kind), { id, kind, text }]);
    setTimeout(() => setNotices((n) => n.filter((x) => x.id !== id)), kind === 'error' ? 10_000 : 6000);
  }, []);

  const control = useMemo(() => new Control(factory, (r) => {
    setRows(r);
    store.setBoxes(r.map((x) => x.name));
  }, setLink), [factory]);
  useEffect(() => {
    control.start();
    return () => control.stop();
  }, [control]);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    store.setTheme(theme);
  }, [theme]);

  // The chosen box: the remembered one while it exists, else the first.
  const current = rows?.find((r) => r.name === active && r.state !== 'damaged') ?? rows?.find((r) => r.state !== 'damaged') ?? null;
  useEffect(() => {
    if (current && current.name !== active) setActive(current.name);
    if (current) store.setActiveBox(current.name);
  }, [current?.name]); // eslint-disable-line react-hooks/exhaustive-deps

  const select = (name: string) => {
    focused.current = null;
    setActive(name);
    store.setActiveBox(name);
    setDrawer(false);
  };

  const kill = async (name: string) => {
    setKilling(null);
    try {
      await control.request({ cmd: 'kill', box: name });
      store.dropLayout(name);
      notice('info', `Killed ${name}.`);
    } catch (e) {
      notice('error', (e as Error).message);
    }
  };

  const create = async (name: string, workspace: string) => {
    const r = await control.request<{ box: string; existing: boolean }>({ cmd: 'create', workspace, detach: true, ...(name ? { name } : {}) });
    setCreating(false);
    select(r.box);
    if (r.existing) notice('info', `${r.box} was already running for that workspace.`);
  };

  const filterInput = useCallback((d: string) => {
    if (!ctrlRef.current) return d;
    setCtrl(false);
    return withCtrl(d);
  }, []);

  const sendKey = (key: Parameters<typeof keyBytes>[0]) => {
    const h = focused.current;
    if (!h) return;
    let bytes = keyBytes(key, h.appCursor());
    if (ctrlRef.current && (key === '|' || key === '~')) bytes = withCtrl(bytes);
    setCtrl(false);
    h.type(bytes);
  };

  const sidebar = (
    <Sidebar rows={rows ?? []} active={current?.name ?? null} onSelect={select} onKill={setKilling} onNew={() => setCreating(true)} />
  );
  return (
    <div className={`app ${phone ? 'phone' : 'desktop'}`}>
      <header className="top">
        {phone && <button type="button" className="btn icon" aria-label="Boxes" onClick={() => setDrawer(!drawer)}>☰</button>}
        <span className="brand">coop</span>
        {current && <span className="current">{current.name}</span>}
        <span className="spacer" />
        {via && <span className="via" title="This page reaches coop over a direct WebRTC connection">⇄ {via}</span>}
        <span className={`link link-${link}`} role="status" aria-label={`connection ${link}`}>{link === 'online' ? '● online' : link === 'offline' ? '○ reconnecting…' : '○ connecting…'}</span>
        <button type="button" className="btn icon" aria-label="Theme" title={theme === 'dark' ? 'Light theme' : 'Dark theme'} onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      <div className="body">
        {!phone && sidebar}
        {phone && drawer && (
          <div className="drawer-back" onClick={() => setDrawer(false)}>
            <div className="drawer" onClick={(e) => e.stopPropagation()}>{sidebar}</div>
          </div>
        )}
        <main className="main">
          {current ? (
            <Panes key={current.name} factory={factory} row={current} theme={theme} phone={phone} notice={notice} filterInput={filterInput} focused={focused} />
          ) : (
            <div className="empty">
              {rows === null ? <p>Connecting to the coop daemon…</p> : <p>No box is running. <button type="button" className="btn primary" onClick={() => setCreating(true)}>New box</button></p>}
            </div>
          )}
          {phone && current && <KeysBar ctrl={ctrl} onCtrl={setCtrl} send={sendKey} />}
        </main>
      </div>
      <div className="notices" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-notice={n.kind}>{n.text}</div>
        ))}
      </div>
      {killing && (
        <Confirm title={`Kill ${killing}?`} body="Every process of the box ends and its layers are removed; persist directories and volumes are kept." action="Kill"
          onYes={() => void kill(killing)} onNo={() => setKilling(null)} />
      )}
      {creating && <NewBox onCreate={create} onClose={() => setCreating(false)} />}
    </div>
  );
}
