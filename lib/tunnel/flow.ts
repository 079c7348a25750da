// How the daemon and the connect page use a DataChannel (SPEC §11), shared by both ends.
// Binary messages carry the daemon's protocol bytes — the very bytes of a Unix socket,
// cut into pieces of at most CHUNK (below every SCTP message-size limit), so a 1 MiB frame
// crosses as many messages and is put together again by the frame decoder. Text messages
// are the channel's own signals, JSON: {"ack": N} says N received bytes were consumed
// (the page: rendered; the daemon: taken by the protocol), which bounds what either side
// may have in flight; {"bye": "why"} says that end closes the tunnel (the daemon: why; the
// page: it is being closed — a tab going away does not always say so in WebRTC itself).
// The page's first message on every channel is {"key": K}, K from the link's envelope: the
// daemon serves a channel only after that (see KEY in peer.ts).

/** The largest binary message either side sends. */
export const CHUNK = 16 * 1024;
/** Protocol bytes the page may have sent that the daemon has not acknowledged. */
export const INPUT_WINDOW = 256 * 1024;
/** The daemon's write() asks to wait above this much unsent or unacknowledged output. */
export const OUTPUT_HIGH_WATER = 256 * 1024;

/** The two data channel labels: requests, and one per attached PTY. */
export const CONTROL_LABEL = 'coop-control';
export const PTY_LABEL = 'coop-pty';

export type Signal = { ack: number } | { bye: string } | { key: string };

/** A text message as a signal, or null when it is not one. */
export function parseSignal(text: string): Signal | null {
  if (text.length > 1024) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (Number.isSafeInteger(o.ack) && (o.ack as number) >= 0) return { ack: o.ack as number };
  if (typeof o.bye === 'string') return { bye: o.bye.slice(0, 300) };
  if (typeof o.key === 'string' && o.key.length <= 128) return { key: o.key };
  return null;
}

/** Splits bytes into messages of at most CHUNK bytes (views, no copies). */
export function* pieces(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += CHUNK) yield bytes.subarray(i, Math.min(bytes.length, i + CHUNK));
}
