// Modal dialogs: confirm a kill, create a box.
import { useState, type FormEvent } from 'react';

export function Confirm(props: { title: string; body: string; action: string; onYes: () => void; onNo: () => void }) {
  return (
    <div className="modal-back" role="presentation" onClick={props.onNo}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={props.title} onClick={(e) => e.stopPropagation()}>
        <h2>{props.title}</h2>
        <p>{props.body}</p>
        <div className="modal-actions">
          <button type="button" className="btn" onClick={props.onNo}>Cancel</button>
          <button type="button" className="btn danger" onClick={props.onYes} autoFocus>{props.action}</button>
        </div>
      </div>
    </div>
  );
}

export function NewBox(props: { onCreate: (name: string, workspace: string) => Promise<void>; onClose: () => void }) {
  const [name, setName] = useState('');
  const [workspace, setWorkspace] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onCreate(name.trim(), workspace.trim());
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <div className="modal-back" role="presentation" onClick={props.onClose}>
      <form className="modal" role="dialog" aria-modal="true" aria-label="New box" onClick={(e) => e.stopPropagation()} onSubmit={submit}>
        <h2>New box</h2>
        <label>
          Workspace directory (absolute path on the server)
          <input name="workspace" required value={workspace} onChange={(e) => setWorkspace(e.target.value)} placeholder="the project directory, as an absolute path" autoFocus />
        </label>
        <label>
          Name (optional)
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="from the directory's name" />
        </label>
        <p className="muted">The box's settings come from that directory's own coop.toml (trusted with <code>coop trust</code> if it reaches outside the box).</p>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="modal-actions">
          <button type="button" className="btn" onClick={props.onClose}>Cancel</button>
          <button type="submit" className="btn primary" disabled={busy}>{busy ? 'Starting…' : 'Create'}</button>
        </div>
      </form>
    </div>
  );
}
