// The keys a phone keyboard lacks (SPEC §10): Esc, Tab, Ctrl (sticky: applies to the next
// key typed), arrows, Ctrl+C, | and ~. Buttons never take the focus from the terminal.
export interface KeysProps {
  ctrl: boolean;
  onCtrl: (armed: boolean) => void;
  send: (key: 'esc' | 'tab' | 'up' | 'down' | 'left' | 'right' | 'ctrl-c' | '|' | '~') => void;
}

const KEYS: [label: string, key: Parameters<KeysProps['send']>[0], title: string][] = [
  ['Esc', 'esc', 'Escape'], ['Tab', 'tab', 'Tab'], ['←', 'left', 'Left'], ['↑', 'up', 'Up'], ['↓', 'down', 'Down'],
  ['→', 'right', 'Right'], ['^C', 'ctrl-c', 'Ctrl+C'], ['|', '|', 'Pipe'], ['~', '~', 'Tilde'],
];

export function KeysBar(props: KeysProps) {
  const keep = (e: { preventDefault(): void }) => e.preventDefault(); // the terminal keeps the focus (and the keyboard stays up)
  return (
    <div className="keys" role="toolbar" aria-label="Special keys">
      <button type="button" className={props.ctrl ? 'key armed' : 'key'} aria-pressed={props.ctrl} title="Ctrl (applies to the next key)"
        onPointerDown={keep} onMouseDown={keep} onClick={() => props.onCtrl(!props.ctrl)}>Ctrl</button>
      {KEYS.map(([label, key, title]) => (
        <button type="button" key={key} className="key" title={title} aria-label={title} onPointerDown={keep} onMouseDown={keep} onClick={() => props.send(key)}>
          {label}
        </button>
      ))}
    </div>
  );
}

/** The bytes of a key, as a terminal sends them. */
export function keyBytes(key: Parameters<KeysProps['send']>[0], appCursor: boolean): string {
  const arrow = (c: string) => (appCursor ? `\x1bO${c}` : `\x1b[${c}`);
  switch (key) {
    case 'esc':
      return '\x1b';
    case 'tab':
      return '\t';
    case 'up':
      return arrow('A');
    case 'down':
      return arrow('B');
    case 'right':
      return arrow('C');
    case 'left':
      return arrow('D');
    case 'ctrl-c':
      return '\x03';
    default:
      return key;
  }
}

/** What a key typed with Ctrl held sends: Ctrl+A..Z and @[\]^_ are C0 controls. */
export function withCtrl(data: string): string {
  if (data.length !== 1) return data;
  const c = data.toUpperCase().charCodeAt(0);
  if (c >= 0x40 && c <= 0x5f) return String.fromCharCode(c - 0x40);
  if (data === '?') return '\x7f';
  return data;
}
