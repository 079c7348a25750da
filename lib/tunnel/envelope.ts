// The tunnel's signaling (SPEC §11), shared by the daemon and the connect page: the offer
// travels in the fragment of the connect URL (`…/connect#<envelope>`, never sent to any
// server) and the answer comes back as text (pasted into `coop tunnel`, or posted by a page
// this daemon served). An envelope is JSON, compressed with deflate-raw, followed by the
// CRC-32 of the compressed bytes (so a changed or missing character is always noticed),
// and base64url-encoded. Only web platform APIs here (CompressionStream, TextEncoder, atob/btoa): Node
// and browsers both have them. Decoding never throws anything but EnvelopeError, whose
// message says what is wrong with the text and what to do.

/** The envelope format this coop writes and reads. */
export const ENVELOPE_VERSION = 1;
/** Decompressed envelopes are at most this large (an SDP is ~1 KiB; anything bigger is not ours). */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
/** Encoded text longer than this is refused before decoding. */
export const MAX_ENCODED_CHARS = 32 * 1024;

/** The daemon's half: its SDP offer (ICE candidates complete) and who it is. */
export interface OfferEnvelope {
  version: number;
  sdp: string;
  /** Random, stored once under $COOP_HOME: the same machine shows the same id every time. */
  machine_id: string;
  hostname: string;
  /** This tunnel (answers name it, so one meant for another tunnel is refused). */
  id: string;
  /** STUN servers the daemon used; the page uses the same ones (none after --no-stun). */
  stun: string[];
  /**
   * A secret only the link carries (never the answer): the page's first message on each
   * channel, so a channel is served only to whoever opened the link.
   */
  key: string;
}

/** The browser's half: its SDP answer, for the tunnel it answers. */
export interface AnswerEnvelope {
  version: number;
  sdp: string;
  id: string;
}

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;

export function toBase64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Null when the text is not base64url (or cannot be a whole number of bytes). */
export function fromBase64url(text: string): Uint8Array | null {
  if (!B64URL.test(text) || text.length % 4 === 1) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as zlib's), big-endian. */
function crc32(bytes: Uint8Array): Uint8Array {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return Uint8Array.of(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff);
}

/** Runs bytes through a (de)compression stream: the result, 'bad' when it fails, 'large' above `limit` bytes. */
async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array | 'bad' | 'large'> {
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value as Uint8Array;
      size += chunk.length;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return 'large';
      }
      parts.push(chunk);
    }
  } catch {
    return 'bad';
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Compresses and encodes any envelope. */
export async function encodeEnvelope(envelope: OfferEnvelope | AnswerEnvelope): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(envelope));
  const packed = await transform(json, new CompressionStream('deflate-raw'), Infinity);
  if (typeof packed === 'string') throw new Error('deflate-raw failed');
  const out = new Uint8Array(packed.length + 4);
  out.set(packed);
  out.set(crc32(packed), packed.length);
  return toBase64url(out);
}

type What = 'link' | 'answer';
const retry = (what: What) => (what === 'link' ? 'copy the whole link `coop tunnel` printed (or scan its QR code) again' : 'copy the whole answer the page shows again');

/** Decodes an envelope's JSON object (version checked first); throws EnvelopeError. */
async function decodeObject(text: string, what: What): Promise<Record<string, unknown>> {
  const the = what === 'link' ? "the link's connection data" : 'the answer';
  const clean = text.trim();
  if (!clean) throw new EnvelopeError(what === 'link' ? 'the link has no connection data after "#": ' + retry(what) : 'the answer is empty: ' + retry(what));
  if (clean.length > MAX_ENCODED_CHARS) throw new EnvelopeError(`${the} is too long (${clean.length} characters; at most ${MAX_ENCODED_CHARS}): it is not from coop`);
  const bytes = fromBase64url(clean);
  if (!bytes) throw new EnvelopeError(`${the} is damaged (it is not base64url text, or is cut short): ${retry(what)}`);
  const packed = bytes.subarray(0, Math.max(0, bytes.length - 4));
  const sum = crc32(packed);
  if (bytes.length < 5 || sum.some((b, i) => b !== bytes[packed.length + i])) {
    throw new EnvelopeError(`${the} is damaged or cut short (its checksum does not match): ${retry(what)}`);
  }
  const json = await transform(packed, new DecompressionStream('deflate-raw'), MAX_ENVELOPE_BYTES);
  if (json === 'large') throw new EnvelopeError(`${the} decompresses to more than ${MAX_ENVELOPE_BYTES / 1024} KiB: it is not from coop`);
  if (json === 'bad') throw new EnvelopeError(`${the} is damaged or cut short (it does not decompress): ${retry(what)}`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    v = null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new EnvelopeError(`${the} is damaged (not a coop envelope): ${retry(what)}`);
  const o = v as Record<string, unknown>;
  const version = o.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) throw new EnvelopeError(`${the} has no envelope version: it is not from coop`);
  if (version > ENVELOPE_VERSION) {
    throw new EnvelopeError(what === 'link'
      ? `this link comes from a newer coop (envelope version ${version}; this page reads version ${ENVELOPE_VERSION}): open it with that coop's own page (\`coop serve\`), or export the page again with \`coop serve --export DIR\``
      : `this answer comes from a newer connect page (envelope version ${version}; this coop reads version ${ENVELOPE_VERSION}): update coop on this machine, or use the page \`coop serve --export\` writes`);
  }
  if (version < ENVELOPE_VERSION) {
    throw new EnvelopeError(what === 'link'
      ? `this link comes from an older coop (envelope version ${version}; this page reads version ${ENVELOPE_VERSION}): update coop on that machine, or use the page its \`coop serve --export\` writes`
      : `this answer comes from an older connect page (envelope version ${version}; this coop reads version ${ENVELOPE_VERSION}): use the page \`coop serve\` serves, or export it again with \`coop serve --export DIR\``);
  }
  return o;
}

const str = (o: Record<string, unknown>, key: string, max: number): string | null => {
  const v = o[key];
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
};

function checkSdp(sdp: string | null, the: string, what: What): string {
  if (!sdp || !sdp.startsWith('v=0') || !/\r?\na=fingerprint:/.test(sdp)) throw new EnvelopeError(`${the} is damaged (no usable session description): ${retry(what)}`);
  return sdp;
}

/** The daemon's offer from a connect link's fragment (with or without the leading "#"). */
export async function decodeOffer(fragment: string): Promise<OfferEnvelope> {
  const the = "the link's connection data";
  const o = await decodeObject(fragment.replace(/^#/, ''), 'link');
  const sdp = checkSdp(str(o, 'sdp', MAX_ENVELOPE_BYTES), the, 'link');
  const machine = str(o, 'machine_id', 128);
  const hostname = str(o, 'hostname', 255);
  const id = str(o, 'id', 128);
  if (!machine || !hostname || !id) throw new EnvelopeError(`${the} is damaged (it does not name the machine and tunnel): ${retry('link')}`);
  const key = str(o, 'key', 128);
  if (!key || !/^[A-Za-z0-9_-]{16,}$/.test(key)) throw new EnvelopeError(`${the} is damaged (it has no channel key): ${retry('link')}`);
  const stun = o.stun ?? [];
  if (!Array.isArray(stun) || stun.length > 8 || !stun.every((u) => typeof u === 'string' && u.length <= 256 && /^stuns?:/.test(u))) {
    throw new EnvelopeError(`${the} is damaged (its STUN servers are not stun: URLs): ${retry('link')}`);
  }
  return { version: ENVELOPE_VERSION, sdp, machine_id: machine, hostname, id, stun: stun as string[], key };
}

/** The browser's answer as pasted or posted. */
export async function decodeAnswer(text: string): Promise<AnswerEnvelope> {
  const o = await decodeObject(text, 'answer');
  const sdp = checkSdp(str(o, 'sdp', MAX_ENVELOPE_BYTES), 'the answer', 'answer');
  const id = str(o, 'id', 128);
  if (!id) throw new EnvelopeError(`the answer is damaged (it does not name its tunnel): ${retry('answer')}`);
  return { version: ENVELOPE_VERSION, sdp, id };
}
