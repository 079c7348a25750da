// The connect page of the tunnel (SPEC §11): `…/connect#<envelope>`. It reads the daemon's
// offer from the fragment (never sent to any server), answers it with the browser's own
// WebRTC peer, and hands the answer back: posted to the daemon when this page came from
// its `coop serve` (the token is in the address), else shown as text and a QR code to
// paste into the waiting `coop tunnel`. Once connected, the whole web UI runs over the
// tunnel's data channels; when the tunnel ends, the page says why.
import QRCode from 'qrcode';
import { useEffect, useState } from 'react';
import { decodeOffer, EnvelopeError, type OfferEnvelope } from '../../lib/tunnel/envelope.js';
import { App } from './app.js';
import { TunnelLink } from './datachannel.js';

type Phase =
  | { kind: 'error'; message: string }
  | { kind: 'answering'; offer: OfferEnvelope }
  | { kind: 'answered'; offer: OfferEnvelope; answer: string; qr: string | null; posted: 'sending' | 'sent' | 'no' | string }
  | { kind: 'connected'; offer: OfferEnvelope; link: TunnelLink };

const MACHINES = 'coop:machines';

function knownMachines(): Record<string, string> {
  try {
    const v = JSON.parse(localStorage.getItem(MACHINES) ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function remember(offer: OfferEnvelope): void {
  try {
    localStorage.setItem(MACHINES, JSON.stringify({ ...knownMachines(), [offer.machine_id]: offer.hostname }));
  } catch {
    // private mode
  }
}

/** The daemon's token when this page came from its `coop serve` (it can post the answer). */
const servedToken = () => new URLSearchParams(window.location.search).get('token');

async function post(answer: string, token: string): Promise<'sent' | string> {
  try {
    const r = await fetch(`/tunnel/answer?token=${encodeURIComponent(token)}`, { method: 'POST', body: answer, headers: { 'Content-Type': 'text/plain' } });
    if (r.ok) return 'sent';
    const body = (await r.json().catch(() => ({}))) as { message?: string };
    return body.message ?? `the daemon answered ${r.status}`;
  } catch (e) {
    return `the daemon cannot be reached (${(e as Error).message})`;
  }
}

function Machine({ offer }: { offer: OfferEnvelope }) {
  const known = knownMachines()[offer.machine_id];
  return (
    <p className="machine">
      To <b>{offer.hostname}</b> <span className="muted">machine <code>{offer.machine_id.slice(0, 8)}…{offer.machine_id.slice(-4)}</code>{known !== undefined ? ', connected before' : ', first connection from this browser'}</span>
    </p>
  );
}

export function ConnectPage() {
  const [phase, setPhase] = useState<Phase | null>(null);
  const [closed, setClosed] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      let offer: OfferEnvelope;
      try {
        offer = await decodeOffer(window.location.hash);
      } catch (e) {
        return setPhase({ kind: 'error', message: e instanceof EnvelopeError ? e.message : String(e) });
      }
      if (cancelled) return;
      setPhase({ kind: 'answering', offer });
      let made;
      try {
        if (typeof RTCPeerConnection === 'undefined') throw new Error('this browser has no WebRTC');
        made = await TunnelLink.answer(offer);
      } catch (e) {
        return setPhase({ kind: 'error', message: `cannot answer the link: ${(e as Error).message}` });
      }
      const { link, answer } = made;
      link.onConnected(() => {
        remember(offer);
        setPhase({ kind: 'connected', offer, link });
      });
      link.onClosed(setClosed);
      const qr = await QRCode.toString(answer, { type: 'svg', errorCorrectionLevel: 'L', margin: 1 }).catch(() => null);
      const token = servedToken();
      setPhase((p) => (p?.kind === 'connected' ? p : { kind: 'answered', offer, answer, qr, posted: token ? 'sending' : 'no' }));
      if (token) {
        const posted = await post(answer, token);
        setPhase((p) => (p?.kind === 'answered' ? { ...p, posted } : p));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  const banner = closed !== null && (
    <div className="tunnel-closed" role="alert" data-tunnel="closed">
      The tunnel closed: {closed}. Run <code>coop tunnel</code> on the machine again for a new link.
    </div>
  );

  if (phase?.kind === 'connected') {
    return (
      <>
        <App factory={phase.link.factory} via={`tunnel to ${phase.offer.hostname}`} />
        {banner}
      </>
    );
  }
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      (document.querySelector('[data-testid=answer]') as HTMLTextAreaElement | null)?.select();
    }
  };
  return (
    <div className="connect">
      <h1><span className="brand">coop</span> tunnel</h1>
      {phase === null && <p>Reading the link…</p>}
      {phase?.kind === 'error' && <p className="error" role="alert" data-connect="error">{phase.message}</p>}
      {phase && phase.kind !== 'error' && <Machine offer={phase.offer} />}
      {phase?.kind === 'answering' && <p data-connect="answering">Answering: finding this device's addresses…</p>}
      {phase?.kind === 'answered' && (
        <>
          {phase.posted === 'sending' && <p data-connect="posting">Sending the answer back to coop…</p>}
          {phase.posted === 'sent' && <p data-connect="posted">The answer went back to coop by itself; connecting…</p>}
          {phase.posted !== 'sending' && phase.posted !== 'sent' && (
            <>
              {phase.posted !== 'no' && <p className="error" role="alert">Could not send the answer back ({phase.posted}); paste it instead.</p>}
              <p data-connect="paste">Paste this answer into the waiting <code>coop tunnel</code> on <b>{phase.offer.hostname}</b> and press Enter:</p>
            </>
          )}
          <div className="answer">
            <textarea readOnly data-testid="answer" value={phase.answer} rows={5} onFocus={(e) => e.currentTarget.select()} aria-label="Answer" />
            <button type="button" className="btn primary" onClick={() => void copy(phase.answer)}>{copied ? 'Copied' : 'Copy the answer'}</button>
            {phase.qr && <img className="answer-qr" alt="The answer as a QR code" src={`data:image/svg+xml;utf8,${encodeURIComponent(phase.qr)}`} />}
          </div>
          <p className="muted">The connection is direct and encrypted; the two ends check each other's certificate fingerprints from the link and the answer. This page stays open while you use coop.</p>
        </>
      )}
      {banner}
    </div>
  );
}
