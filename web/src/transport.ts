// The page's one transport interface: a channel carries the daemon's protocol bytes both
// ways and acknowledges what the page has consumed (the daemon's flow control). A box
// opens one channel for requests and one per attached terminal, as the CLI opens one
// connection per stream. Implementations: WebSocket (here, `coop serve`) and WebRTC
// DataChannels (datachannel.ts, the tunnel).

export interface Channel {
  /** Protocol bytes to the daemon. */
  send(bytes: Uint8Array): void;
  /** The page has consumed n more bytes of what it received (rendered, for terminal output). */
  ack(n: number): void;
  close(): void;
  /** Protocol bytes from the daemon (one message at a time, in order). */
  onMessage: ((bytes: Uint8Array) => void) | null;
  /** The channel ended (network lost, daemon gone, closed by either side). */
  onClose: ((why: string) => void) | null;
}

/** What a channel is for: requests (the sidebar's), or one attached terminal. */
export type ChannelPurpose = 'control' | 'pty';

/** Opens a new channel to the daemon; rejects when it cannot be reached. */
export type ChannelFactory = (purpose: ChannelPurpose) => Promise<Channel>;

/** Channels over WebSockets to the server this page came from (`/ws?token=`). */
export function webSocketChannels(token: string, where: Location = window.location): ChannelFactory {
  const scheme = where.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${where.host}/ws?token=${encodeURIComponent(token)}`;
  return () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      let open = false;
      const ch: Channel = {
        send: (b) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(b as Uint8Array<ArrayBuffer>);
        },
        ack: (n) => {
          if (ws.readyState === WebSocket.OPEN && n > 0) ws.send(JSON.stringify({ ack: n }));
        },
        close: () => ws.close(1000),
        onMessage: null,
        onClose: null,
      };
      ws.onopen = () => {
        open = true;
        resolve(ch);
      };
      ws.onmessage = (e) => {
        if (e.data instanceof ArrayBuffer) ch.onMessage?.(new Uint8Array(e.data));
      };
      ws.onclose = (e) => {
        if (!open) reject(new Error(`cannot reach the coop daemon (WebSocket closed: ${e.code})`));
        else ch.onClose?.(e.reason || `connection closed (${e.code})`);
      };
    });
}
