// The tunnel's envelope (lib/tunnel/envelope.ts, shared with the connect page): a round
// trip, and every damaged, cut or foreign text refused with one clear EnvelopeError naming
// what is wrong and what to do — version mismatches in both directions included.
import { crc32, deflateRawSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeAnswer, decodeOffer, encodeEnvelope, ENVELOPE_VERSION, EnvelopeError, toBase64url, type OfferEnvelope,
} from '../../lib/tunnel/envelope.js';

const SDP = 'v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n'
  + 'a=candidate:1 1 udp 2116026367 127.0.0.1 40000 typ host\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n'
  + 'a=fingerprint:sha-256 ED:53:93:93:86:F4:45:5E:0E:F8:B1:57:59:F6:BC:22:C7:37:87:4D:9E:25:80:AD:FC:DE:87:B2:7A:CE:64:9C\r\n';
const OFFER: OfferEnvelope = { version: ENVELOPE_VERSION, sdp: SDP, machine_id: '0123456789abcdef0123456789abcdef', hostname: 'box.example', id: 'tunnel-id-1', stun: ['stun:stun.example.org:3478'], key: 'k3y-0123456789abcdefgh' };
/** CRC-32 as zlib computes it, big-endian (the envelope's last 4 bytes). */
const crc = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out;
};
/** Packs bytes as an envelope would (deflate-raw, CRC-32), whatever they are. */
const pack = (json: Buffer) => {
  const z = deflateRawSync(json);
  return toBase64url(Buffer.concat([z, crc(z)]));
};
/** What a foreign (or future) program could put in an envelope. */
const raw = (v: unknown) => pack(Buffer.from(JSON.stringify(v)));

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, EnvelopeError, String(e));
    const m = (e as Error).message;
    assert.match(m, pattern);
    assert.not.match(m, /\n/, 'one line');
    return m;
  }
  return assert.unreachable(`accepted; expected a refusal matching ${pattern}`) as never;
}

test('an offer and an answer survive the round trip; the text is base64url and short', async () => {
  const text = await encodeEnvelope(OFFER);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  assert.ok(text.length < JSON.stringify(OFFER).length, 'compressed');
  assert.equal(await decodeOffer(`#${text}`), OFFER);
  assert.equal(await decodeOffer(text), OFFER);
  const answer = { version: ENVELOPE_VERSION, sdp: SDP, id: 'tunnel-id-1' };
  assert.equal(await decodeAnswer(` ${await encodeEnvelope(answer)}\n`), answer, 'surrounding blanks of a paste are ignored');
});

test('cut short at any length: a clear refusal, never another kind of error', async () => {
  const text = await encodeEnvelope(OFFER);
  for (const n of [0, 1, 5, Math.floor(text.length / 2), text.length - 7, text.length - 1]) {
    await refused(decodeOffer(`#${text.slice(0, n)}`), /no connection data|damaged|cut short/);
  }
  await refused(decodeOffer('#'), /no connection data after "#"/);
  await refused(decodeAnswer(''), /the answer is empty/);
});

test('tampered: a changed character, foreign characters, a foreign JSON, missing fields', async () => {
  const text = await encodeEnvelope(OFFER);
  const mid = Math.floor(text.length / 2);
  for (let at = 0; at < text.length; at += 7) {
    const flipped = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    await refused(decodeOffer(flipped), /checksum does not match|not base64url/);
  }
  await refused(decodeOffer(`${text.slice(0, mid)}+/=${text.slice(mid)}`), /not base64url/);
  await refused(decodeOffer(raw([1, 2, 3])), /not a coop envelope/);
  await refused(decodeOffer(raw({ sdp: SDP })), /no envelope version/);
  await refused(decodeOffer(raw({ ...OFFER, sdp: 'hello' })), /no usable session description/);
  await refused(decodeOffer(raw({ ...OFFER, id: undefined })), /does not name the machine and tunnel/);
  await refused(decodeOffer(raw({ ...OFFER, stun: ['turn:evil.example:3478'] })), /STUN servers/);
  await refused(decodeOffer(raw({ ...OFFER, key: 'short' })), /no channel key/);
  await refused(decodeOffer(pack(Buffer.concat([Buffer.from('{"version": 1, "sdp": "'), Buffer.from([0xff]), Buffer.from('"}')]))), /not a coop envelope/);
  const z = deflateRawSync(Buffer.from(JSON.stringify(OFFER)));
  await refused(decodeOffer(toBase64url(Buffer.concat([z.subarray(0, z.length - 3), crc(z.subarray(0, z.length - 3))]))), /does not decompress/);
  await refused(decodeAnswer(raw({ version: 1, sdp: SDP })), /does not name its tunnel/);
});

test('too big to be ours: long text, or text that decompresses past 64 KiB', async () => {
  await refused(decodeOffer('A'.repeat(40_000)), /too long/);
  const bomb = raw({ ...OFFER, sdp: `${SDP}${'a'.repeat(1_000_000)}` });
  assert.ok(bomb.length < 32 * 1024, 'small when compressed');
  await refused(decodeOffer(bomb), /more than 64 KiB/);
});

test('version mismatch: a newer or older link, a newer or older answer, each says which and what to do', async () => {
  const newer = await refused(decodeOffer(raw({ ...OFFER, version: ENVELOPE_VERSION + 1, sdp: 'a future format' })), /newer coop/);
  assert.match(newer, /envelope version 2; this page reads version 1/);
  assert.match(newer, /coop serve --export/);
  await refused(decodeOffer(raw({ ...OFFER, version: 0 })), /older coop .*update coop/);
  await refused(decodeAnswer(raw({ version: 7, sdp: SDP, id: 'x' })), /newer connect page .*update coop on this machine/);
  await refused(decodeAnswer(raw({ version: 0, sdp: SDP, id: 'x' })), /older connect page/);
});

test.run();
