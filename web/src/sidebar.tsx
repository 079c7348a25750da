// The list of boxes: state, clients by kind, a kill button (confirmed), and "New box".
import type { BoxRow } from './control.js';

export interface SidebarProps {
  rows: BoxRow[];
  active: string | null;
  onSelect: (name: string) => void;
  onKill: (name: string) => void;
  onNew: () => void;
}

export function Sidebar(props: SidebarProps) {
  return (
    <nav className="sidebar" aria-label="Boxes">
      <div className="sidebar-head">
        <span>Boxes</span>
        <button type="button" className="btn small" onClick={props.onNew}>+ New</button>
      </div>
      {props.rows.length === 0 && <p className="muted">No boxes yet. Start one with “+ New” or <code>coop</code> in a project.</p>}
      <ul>
        {props.rows.map((r) => {
          const c = r.clients;
          return (
            <li key={r.name} className={r.name === props.active ? 'box-row active' : 'box-row'} data-box={r.name}>
              <button type="button" className="box-main" onClick={() => props.onSelect(r.name)} title={r.workspace}>
                <span className="box-name">{r.name}</span>
                <span className={`state state-${r.state}`}>{r.state}</span>
                <span className="box-meta">
                  <span title="terminals">⌨ {c.local}</span> <span title="browsers">◎ {c.web}</span> <span title="tunnel peers">⇄ {c.tunnel}</span>
                </span>
                <span className="box-ws">{r.workspace.length > 36 ? `…${r.workspace.slice(-35)}` : r.workspace}</span>
              </button>
              <button type="button" className="btn danger small kill" aria-label={`Kill ${r.name}`} onClick={() => props.onKill(r.name)}>Kill</button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
