// A protocol client over any byte pipe (a TCP socket handed to the gateway, a WebSocket to
// `coop serve`), for tests of what each kind of peer may do.
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { decodeBody, encodeControl, encodeData, encodeMessage, FrameDecoder } from '../../lib/ipc/frames.js';

export interface Pipe {
  send(bytes: Buffer): void;
  onData(cb: (bytes: Buffer) => void): void;
  onClose(cb: () => void): void;
  close(): void;
}

export function tcpPipe(port: number): Promise<Pipe> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.once('error', reject);
    s.once('connect', () =>
      resolve({ send: (b) => void s.write(b), onData: (cb) => void s.on('data', cb), onClose: (cb) => void s.on('close', cb), close: () => s.destroy() }),
    );
  });
}

/** A WebSocket that acknowledges every binary message at once (as a page that renders instantly). */
export function wsPipe(url: string, headers: Record<string, string> = {}): Promise<Pipe> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('open', () => {
      const cbs: ((b: Buffer) => void)[] = [];
      ws.on('message', (d: Buffer, binary: boolean) => {
        if (!binary) return;
        ws.send(JSON.stringify({ ack: d.length }));
        for (const cb of cbs) cb(d);
      });
      resolve({ send: (b) => ws.send(b), onData: (cb) => void cbs.push(cb), onClose: (cb) => void ws.on('close', cb), close: () => ws.terminate() });
    });
  });
}

export type Msg = Record<string, unknown>;

export class Proto {
  private readonly decoder = new FrameDecoder();
  private readonly waiting: ((m: Msg) => void)[] = [];
  private streaming = false;
  output = '';
  readonly events: Msg[] = [];
  closed = false;
  private wake: (() => void)[] = [];

  private constructor(readonly pipe: Pipe) {
    pipe.onClose(() => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w({ ok: false, error: 'CLOSED', message: 'the connection closed' });
      this.poke();
    });
    pipe.onData((d) => {
      this.decoder.push(d);
      for (let f = this.decoder.next(); f; f = this.decoder.next()) {
        if (f.kind === 'message') {
          const m = decodeBody(f.body) as Msg;
          if (this.streaming && m.ok === true) this.decoder.mode = 'stream';
          this.waiting.shift()?.(m);
        } else if (f.kind === 'data') this.output += f.bytes.toString('latin1');
        else this.events.push(decodeBody(f.body) as Msg);
      }
      this.poke();
    });
  }

  private poke(): void {
    for (const w of this.wake.splice(0)) w();
  }

  static async over(pipe: Pipe): Promise<Proto> {
    const p = new Proto(pipe);
    const hello = await p.request({ version: PROTOCOL_VERSION });
    if (hello.ok !== true) throw new Error(`handshake refused: ${JSON.stringify(hello)}`);
    return p;
  }

  request(msg: Msg): Promise<Msg> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'CLOSED', message: 'the connection closed' });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.pipe.send(encodeMessage(msg));
    });
  }

  /** attach / shell / logs --follow: the response; output and events then collect here. */
  stream(msg: Msg): Promise<Msg> {
    this.streaming = true;
    return this.request(msg);
  }

  input(text: string): void {
    this.pipe.send(encodeData(Buffer.from(text)));
  }

  control(msg: Msg): void {
    this.pipe.send(encodeControl(msg));
  }

  /** Waits for the pattern in the output (a safety net: fails after 30 s). */
  async until(test: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`never saw ${what}; output:\n${this.output.slice(-1500)}\nevents: ${JSON.stringify(this.events)}`);
      await new Promise<void>((r) => {
        this.wake.push(r);
        setTimeout(r, 500);
      });
    }
  }

  close(): void {
    this.pipe.close();
  }
}
