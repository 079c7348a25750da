// The page's entry: the token from the address, WebSocket channels to the serving host.
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { pageToken } from './store.js';
import { webSocketChannels } from './transport.js';

const root = createRoot(document.getElementById('root')!);
const token = pageToken();
if (!token) {
  root.render(<p className="empty">Open this page with the address <code>coop serve</code> printed (it ends in <code>?token=…</code>).</p>);
} else {
  root.render(<App factory={webSocketChannels(token)} />);
}
