// The page's entry: the tunnel's connect page (`/connect`, or any address with a "#" link:
// the exported static page), else the web UI with the token from the address over
// WebSocket channels to the serving host.
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { ConnectPage } from './connect.js';
import { pageToken } from './store.js';
import { webSocketChannels } from './transport.js';

const root = createRoot(document.getElementById('root')!);
const connect = window.location.hash.length > 1 || /\/connect(\.html|\/|\/index\.html)?$/.test(window.location.pathname);
const token = connect ? null : pageToken();
if (connect) {
  root.render(<ConnectPage />);
} else if (!token) {
  root.render(<p className="empty">Open this page with the address <code>coop serve</code> printed (it ends in <code>?token=…</code>).</p>);
} else {
  root.render(<App factory={webSocketChannels(token)} />);
}
