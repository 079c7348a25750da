// A raw protocol connection for tests that misbehave on purpose: send any bytes, read or
// refuse to read, count what comes back.
import { PROTOCOL_VERSION } from '../../lib/ipc/messages.js';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { decodeBody, encodeMessage, FrameDecoder } from '../../lib/ipc/frames.js';

export const hello = () => encodeMessage({ version: PROTOCOL_VERSION });

export class RawConn {
  /** Bytes received. */
  bytes = 0;
  /** Decoded request-mode responses (only while `keep` is true; others are only counted). */
  readonly messages: Record<string, unknown>[] = [];
  frames = 0;
  closed = false;
  keep = true;
  readonly done: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    this.done = new Promise((resolve) => socket.on('close', () => {
      this.closed = true;
      this.wake();
      resolve();
    }));
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      this.bytes += d.length;
      this.decoder.push(d);
      for (let f = this.decoder.next(); f; f = this.decoder.next()) {
        this.frames++;
        if (this.keep && f.kind === 'message') this.messages.push(decodeBody(f.body) as Record<string, unknown>);
      }
      this.wake();
    });
  }

  static open(path: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawConn(s));
      });
    });
  }

  /** Connects and greets; resolves once the daemon answered the handshake. */
  static async greeted(path: string): Promise<RawConn> {
    const c = await RawConn.open(path);
    c.send(hello());
    await c.until(() => c.frames >= 1);
    return c;
  }

  send(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits for a condition on what arrived, or the close (a safety net of 60 s, not a speed check). */
  async until(cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!cond() && !this.closed) {
      if (Date.now() > deadline) throw new Error('the daemon neither answered nor closed within 60 s');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Resident memory of a process, in bytes (VmRSS). */
export const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
