// One box's terminals: PTY tabs (the agent pinned first, "+" opens a shell, closing a tab
// only detaches), and on desktops an optional resizable split showing a second tab. On
// phones: one terminal, swiped between tabs.
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type TouchEvent } from 'react';
import type { BoxRow } from './control.js';
import { store, type Layout, type Theme } from './store.js';
import { TermView, type TermHandle, type TermProps } from './terminal.js';
import type { ChannelFactory } from './transport.js';

export interface PanesProps {
  factory: ChannelFactory;
  row: BoxRow;
  theme: Theme;
  phone: boolean;
  notice: NonNullable<TermProps['onNotice']>;
  filterInput: (d: string) => string;
  /** The terminal that has (or last had) the focus: where the keys bar types. */
  focused: React.MutableRefObject<TermHandle | null>;
}

let newShells = 0;

export function Panes(props: PanesProps) {
  const box = props.row.name;
  const [layout, setLayoutState] = useState<Layout>(() => store.layout(box));
  const [opening, setOpening] = useState<string | null>(null);
  const keys = useRef(new Map<number, string>());
  const handles = useRef(new Map<string, TermHandle | null>());
  const pruned = useRef(false);
  const setLayout = (f: (l: Layout) => Layout) =>
    setLayoutState((l) => {
      const next = f(l);
      store.setLayout(box, next);
      return next;
    });

  // Shell tabs remembered from an earlier visit whose PTY is gone: dropped once.
  useEffect(() => {
    if (pruned.current) return;
    pruned.current = true;
    const live = new Set(props.row.ptys.map((p) => p.id));
    setLayout((l) => {
      const tabs = l.tabs.filter((id) => live.has(id));
      return {
        tabs, active: tabs.includes(l.active) ? l.active : 0,
        split: l.split && tabs.includes(l.split.other) ? l.split : null,
      };
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const keyOf = (id: number) => keys.current.get(id) ?? `pty-${id}`;
  const label = (id: number) => {
    if (id === 0) return 'Agent';
    const p = props.row.ptys.find((x) => x.id === id);
    return `${id}: ${p ? p.command.split(' ')[0]!.split('/').pop() : 'shell'}`;
  };

  const openShell = () => {
    if (opening) return;
    setOpening(`pty-new-${++newShells}`);
  };
  const opened = (key: string) => (id: number) => {
    keys.current.set(id, key);
    setOpening(null);
    setLayout((l) => ({ ...l, tabs: l.tabs.includes(id) ? l.tabs : [...l.tabs, id], active: id }));
  };
  const closeTab = (id: number) =>
    setLayout((l) => {
      const tabs = l.tabs.filter((t) => t !== id);
      const split = l.split && l.split.other !== id && tabs.length > 1 ? l.split : null;
      return { tabs, active: l.active === id ? 0 : l.active, split };
    });
  const select = (id: number) => setLayout((l) => ({ ...l, active: id, split: l.split && l.split.other === id ? { ...l.split, other: l.active } : l.split }));
  const cycleSplit = () =>
    setLayout((l) => {
      const other = l.tabs.find((t) => t !== l.active);
      if (other === undefined) return l;
      if (!l.split) return { ...l, split: { dir: 'horizontal', other, ratio: 0.5 } };
      if (l.split.dir === 'horizontal') return { ...l, split: { ...l.split, dir: 'vertical' } };
      return { ...l, split: null };
    });

  // Swipe between tabs (phones).
  const touch = useRef<{ x: number; y: number } | null>(null);
  const onTouchStart = (e: TouchEvent) => (touch.current = { x: e.touches[0]!.clientX, y: e.touches[0]!.clientY });
  const onTouchEnd = (e: TouchEvent) => {
    const s = touch.current;
    touch.current = null;
    if (!s) return;
    const dx = e.changedTouches[0]!.clientX - s.x;
    const dy = e.changedTouches[0]!.clientY - s.y;
    if (Math.abs(dx) < 60 || Math.abs(dy) > Math.abs(dx) / 2) return;
    const i = layout.tabs.indexOf(layout.active);
    const next = layout.tabs[i + (dx < 0 ? 1 : -1)];
    if (next !== undefined) select(next);
  };

  // Dragging the divider.
  const area = useRef<HTMLDivElement>(null);
  const drag = (e: ReactPointerEvent) => {
    const box = area.current?.getBoundingClientRect();
    if (!box || !layout.split) return;
    const dir = layout.split.dir;
    (e.target as HTMLElement).setPointerCapture(e.pointerId);
    const move = (ev: PointerEvent) => {
      const r = dir === 'horizontal' ? (ev.clientX - box.left) / box.width : (ev.clientY - box.top) / box.height;
      setLayout((l) => (l.split ? { ...l, split: { ...l.split, ratio: Math.min(0.85, Math.max(0.15, r)) } } : l));
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };

  const term = (key: string, pty: number | 'new', onOpened?: (id: number) => void) => (
    <TermView
      key={key}
      ref={(h) => {
        handles.current.set(key, h);
        if (h && !props.focused.current) props.focused.current = h;
      }}
      factory={props.factory} box={box} pty={pty} theme={props.theme}
      onOpened={onOpened}
      onGone={() => (typeof pty === 'number' ? closeTab(pty) : setOpening(null))}
      onNotice={props.notice}
      filterInput={props.filterInput}
      onFocus={() => (props.focused.current = handles.current.get(key) ?? null)}
    />
  );

  const split = !props.phone && layout.split && layout.tabs.includes(layout.split.other) && layout.split.other !== layout.active ? layout.split : null;
  const first = opening ? term(opening, 'new', opened(opening)) : term(keyOf(layout.active), layout.active);
  return (
    <section className="panes" aria-label={`Box ${box}`}>
      <div className="tabs" role="tablist">
        {layout.tabs.map((id) => (
          <div key={id} className={id === layout.active && !opening ? 'tab active' : 'tab'} role="tab" aria-selected={id === layout.active} data-pty={id}>
            <button type="button" className="tab-label" onClick={() => select(id)}>{label(id)}</button>
            {id !== 0 && <button type="button" className="tab-close" aria-label={`Close tab ${id}`} title="Close the tab (the shell keeps running)" onClick={() => closeTab(id)}>×</button>}
          </div>
        ))}
        {opening && <div className="tab active" role="tab" aria-selected="true"><span className="tab-label">shell…</span></div>}
        <button type="button" className="tab-add" aria-label="New shell" title="Open a shell" onClick={openShell}>+</button>
        <span className="spacer" />
        {!props.phone && (
          <button type="button" className="btn small" onClick={cycleSplit} disabled={layout.tabs.length < 2} aria-label="Split" title="Split: side by side, stacked, off">
            {layout.split ? (layout.split.dir === 'horizontal' ? '⇅ Stack' : '▢ Unsplit') : '⇆ Split'}
          </button>
        )}
      </div>
      <div ref={area} className={`pane-area ${split ? `split-${split.dir}` : ''}`} onTouchStart={onTouchStart} onTouchEnd={onTouchEnd}>
        <div className="pane" style={split ? { flexBasis: `${split.ratio * 100}%` } : undefined}>{first}</div>
        {split && <div className="divider" role="separator" aria-orientation={split.dir === 'horizontal' ? 'vertical' : 'horizontal'} onPointerDown={drag} />}
        {split && <div className="pane" style={{ flexBasis: `${(1 - split.ratio) * 100}%` }}>{term(keyOf(split.other), split.other)}</div>}
      </div>
    </section>
  );
}
