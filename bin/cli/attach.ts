// Attaching the user's terminal to a PTY: raw mode, Ctrl+] detaches (in its legacy, kitty
// and modifyOtherKeys forms), window size follows. The scrollback is replayed rendered —
// the screen and the modes in effect, never the history with its terminal queries. On
// every way out (detach, exit, box killed, crash loop, SIGTERM, SIGHUP, a daemon that
// goes away) every mode the box may have set is undone and the reason is printed.
import type { AttachStream } from '../../lib/client/attach.js';
import { Emulator } from '../../lib/term/emulator.js';
import { findDetachKey } from '../../lib/term/keys.js';
import { describeEnd, watchEnd, type PtyRole } from './outcome.js';

export interface AttachOptions {
  role: PtyRole;
  /** Watch only: input is ignored (except the detach key). */
  readonly?: boolean;
  /**
   * Replay the scrollback as it is, terminal queries included: for the first client of a
   * box just created, so that the real terminal answers the agent's start-up queries.
   */
  rawReplay?: boolean;
}

/**
 * Attaches the terminal on stdin/stdout; resolves with the exit code once it is restored.
 * Call it in the turn the stream arrives in: its events start on the next one.
 */
export function attachTerminal(stream: AttachStream, opts: AttachOptions): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const size = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const replaySize = stream.ptySize ?? size();
  let em!: Emulator;
  const wasRaw = stdin.isRaw;
  stdin.setRawMode(true);
  stdin.resume();
  stdout.on('error', () => {}); // a terminal that went away (SIGHUP follows)

  // Everything written to the terminal goes through this chain, in order.
  let chain: Promise<void> = Emulator.create(replaySize.cols, replaySize.rows).then((e) => {
    em = e;
  });
  const then = (f: () => void | Promise<void>) => (chain = chain.then(f, f));
  let replay: Buffer[] | null = []; // collecting a replay until `replayed`

  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stdin.off('data', onInput);
      stdin.pause();
      stdout.off('resize', onResize);
      watch.stop();
      stream.destroy();
      const { text, code } = describeEnd(watch.end, opts.role);
      then(async () => {
        const reset = em.resetSequence();
        await em.write(reset);
        // The reason on a line of its own: a new line first unless the cursor is at the start of one.
        const lineStart = em.term.buffer.active.cursorX === 0;
        stdout.write(`${reset}${lineStart ? '' : '\r\n'}${text ?? ''}\r\n`);
        em.dispose();
      }).then(() => {
        try {
          stdin.setRawMode(wasRaw);
        } catch {
          // the terminal is gone
        }
        resolve(code);
      });
    };
    const onInput = (data: Buffer) => {
      const key = findDetachKey(data);
      if (!key) {
        if (!opts.readonly) stream.write(data);
        return;
      }
      if (key.index > 0 && !opts.readonly) stream.write(data.subarray(0, key.index));
      watch.end = { how: 'detached' };
      stream.detach();
      setTimeout(finish, 200).unref(); // the daemon answers with `detached`; do not wait forever
    };
    const onResize = () => {
      const s = size();
      stream.resize(s.cols, s.rows);
      then(() => em.resize(s.cols, s.rows));
    };
    stdin.on('data', onInput);
    stdout.on('resize', onResize);
    const watch = watchEnd(stream, finish);

    stream.on('data', (d: Buffer) => {
      if (replay) replay.push(d);
      else {
        then(() => {
          stdout.write(d);
          void em.write(d);
        });
      }
    });
    stream.on('replayed', () => {
      const bytes = Buffer.concat(replay ?? []);
      replay = null;
      then(async () => {
        await em.write(bytes);
        stdout.write(opts.rawReplay ? bytes : em.restoreSequence());
        const s = size();
        em.resize(s.cols, s.rows);
      });
    });
    stream.on('lagged', () => {
      // A fresh replay follows: undo what is on, clear, and draw it again.
      replay = [];
      then(async () => {
        await em.write('');
        stdout.write(`${em.resetSequence()}\x1b[H\x1b[2J`);
        em.dispose();
        const s = stream.ptySize ?? size();
        em = await Emulator.create(s.cols, s.rows);
      });
    });
  });
}
