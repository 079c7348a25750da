// A PTY's stream without a terminal on our side (stdout or stdin is a pipe or a file):
// stdout gets only the program's bytes — no replay rendering, no terminal reset, no
// "[detached]" — with LF line endings; stdin is passed on and its end becomes end of
// input; a closed output pipe ends quietly with status 141.
import type { AttachStream } from '../../lib/client/attach.js';
import { PLAIN_READY } from '../../lib/ipc/messages.js';
import { describeEnd, watchEnd, type PtyRole } from './outcome.js';

/** Undoes the terminal's newline translation (ONLCR turns every LF into CRLF): exact, across chunks. */
export class CrlfToLf {
  private cr = false;
  push(chunk: Buffer): Buffer {
    let s = chunk.toString('latin1');
    if (this.cr) s = `\r${s}`;
    this.cr = s.endsWith('\r');
    if (this.cr) s = s.slice(0, -1);
    return Buffer.from(s.replace(/\r\n/g, '\n'), 'latin1');
  }
  flush(): Buffer {
    const out = this.cr ? Buffer.from('\r') : Buffer.alloc(0);
    this.cr = false;
    return out;
  }
}

/** Drops everything before the plain shell's ready mark (see ShellRequest.plain). */
class UntilReady {
  private seen = '';
  ready = false;
  push(chunk: Buffer): Buffer {
    if (this.ready) return chunk;
    this.seen += chunk.toString('latin1');
    const at = this.seen.indexOf(PLAIN_READY);
    if (at < 0) {
      this.seen = this.seen.slice(-PLAIN_READY.length);
      return Buffer.alloc(0);
    }
    this.ready = true;
    return Buffer.from(this.seen.slice(at + PLAIN_READY.length), 'latin1');
  }
}

export interface PlainOptions {
  role: PtyRole;
  /** A `plain` shell: wait for its ready mark, pass stdin on (its end as end of input). */
  shell?: boolean;
  /** Ends the PTY when we stop early (output pipe closed, SIGTERM): a one-shot command must not live on. */
  kill?: () => Promise<void>;
}

export function attachPlain(stream: AttachStream, opts: PlainOptions): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const gate = opts.shell ? new UntilReady() : null;
  const lf = opts.shell ? null : new CrlfToLf(); // a plain shell's terminal does not translate
  let lastInput = 0x0a;
  let inputEnded = false;

  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      watch.stop();
      stdin.off('data', onInput);
      stdin.off('end', onEnd);
      stdin.pause();
      stream.destroy();
      const { end } = watch;
      const quiet = end.how === 'epipe' || (end.how === 'exited' && end.reason === 'exited');
      const { text, code } = describeEnd(end, opts.role);
      if (text && !quiet) process.stderr.write(`coop: ${text.slice(1, -1)}\n`);
      const out = lf?.flush();
      if (out?.length && end.how !== 'epipe') stdout.write(out);
      const leave = () => resolve(code);
      if (end.how === 'epipe' || end.how === 'signal') void (opts.kill?.() ?? Promise.resolve()).catch(() => {}).then(leave);
      else if (stdout.writableLength) stdout.once('drain', leave).once('error', leave);
      else leave();
    };
    const onInput = (d: Buffer) => {
      if (d.length) lastInput = d[d.length - 1]!;
      stream.write(d);
    };
    // End of input: Ctrl+D at the start of a line (twice after a partial line).
    const onEnd = () => {
      inputEnded = true;
      stream.write(Buffer.from(lastInput === 0x0a ? '\x04' : '\x04\x04'));
    };
    const startInput = () => {
      if (!opts.shell || inputEnded) return;
      stdin.on('data', onInput);
      stdin.on('end', onEnd);
      stdin.resume();
    };
    // In a plain shell that is ready, SIGINT goes to the command (as Ctrl+C).
    const toCommand = (sig: NodeJS.Signals) => {
      if (sig !== 'SIGINT' || !opts.shell || !gate?.ready) return false;
      stream.write(Buffer.from('\x03'));
      return true;
    };
    const watch = watchEnd(stream, finish, toCommand);
    stdout.on('error', (e: NodeJS.ErrnoException) => {
      watch.end = e.code === 'EPIPE' ? { how: 'epipe' } : { how: 'lost' };
      finish();
    });

    stream.on('data', (d: Buffer) => {
      let out = d;
      if (gate) {
        const wasReady = gate.ready;
        out = gate.push(d);
        if (!wasReady && gate.ready) startInput();
      }
      if (lf) out = lf.push(out);
      if (out.length && !done && !stdout.write(out)) {
        stream.pause(); // a slow reader slows the stream, never fills memory
        stdout.once('drain', () => stream.resume());
      }
    });
  });
}
