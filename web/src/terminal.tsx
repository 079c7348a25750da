// One terminal pane: xterm.js attached to one PTY over a channel of its own. Output is
// acknowledged once xterm.js has taken it (write callbacks), so the daemon never sends a
// tab more than it can render; input goes straight out, so Ctrl+C during a flood works.
// A lost channel is retried with backoff; each attach replays the scrollback after a full
// reset of the screen (in the write queue, after what was still pending), so nothing shows twice.
import { FitAddon } from '@xterm/addon-fit';
import { WebglAddon } from '@xterm/addon-webgl';
import { Terminal, type ITheme } from '@xterm/xterm';
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { Conn, ProtoError, type Msg } from './protocol.js';
import type { Theme } from './store.js';
import type { ChannelFactory } from './transport.js';

export const THEMES: Record<Theme, ITheme> = {
  dark: { background: '#101216', foreground: '#d8dee9', cursor: '#e5c07b', selectionBackground: '#3b4252' },
  light: { background: '#fbfbf8', foreground: '#24292f', cursor: '#0969da', selectionBackground: '#c8d8f0', black: '#24292f', brightBlack: '#57606a', white: '#8c959f', brightWhite: '#d0d7de' },
};

export interface TermHandle {
  /** Sends bytes as if typed. */
  type(text: string): void;
  focus(): void;
  /** Whether the application asked for "application cursor keys" (arrows send ESC O x). */
  appCursor(): boolean;
}

export interface TermProps {
  factory: ChannelFactory;
  box: string;
  /** A PTY id, or "new" to open a new shell (onOpened tells its id). */
  pty: number | 'new';
  theme: Theme;
  onOpened?: (pty: number) => void;
  /** The PTY (or its box) is gone for good. */
  onGone?: (why: string) => void;
  onNotice?: (kind: 'blocked' | 'lagged' | 'info', text: string) => void;
  /** Transforms typed input (the keys bar's sticky Ctrl). */
  filterInput?: (data: string) => string;
  onFocus?: () => void;
}

const enc = new TextEncoder();

let gpu: boolean | null = null;
/** WebGL with a real GPU; a software renderer (SwiftShader, llvmpipe) is slower than the DOM one. */
function hardwareWebgl(): boolean {
  if (gpu !== null) return gpu;
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const name = gl ? String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)) : '';
    gpu = !!gl && !/swiftshader|llvmpipe|softpipe|software/i.test(name);
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
  } catch {
    gpu = false;
  }
  return gpu;
}

export const TermView = forwardRef<TermHandle, TermProps>(function TermView(props, ref) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const conn = useRef<Conn | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const [status, setStatus] = useState<'connecting' | 'live' | 'retrying' | 'ended'>('connecting');

  useImperativeHandle(ref, () => ({
    type: (text) => conn.current?.input(enc.encode(text)),
    focus: () => term.current?.focus(),
    appCursor: () => term.current?.modes.applicationCursorKeysMode ?? false,
  }));

  useEffect(() => {
    term.current?.options && (term.current.options.theme = THEMES[props.theme]);
  }, [props.theme]);

  useEffect(() => {
    const t = new Terminal({
      theme: THEMES[latest.current.theme], fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace', fontSize: 14,
      scrollback: 5000, allowProposedApi: false, convertEol: false, cursorBlink: false,
    });
    term.current = t;
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(host.current!);
    // Tests (and curious users) read the screen from the element: el.xterm.buffer.active.
    (host.current as HTMLDivElement & { xterm?: Terminal }).xterm = t;
    if (hardwareWebgl()) {
      try {
        const gl = new WebglAddon();
        gl.onContextLoss(() => gl.dispose());
        t.loadAddon(gl);
      } catch {
        // the DOM renderer
      }
    }
    const fitNow = () => {
      try {
        if (host.current && host.current.clientWidth > 0 && host.current.clientHeight > 0) fit.fit();
      } catch {
        // not laid out yet
      }
    };
    fitNow();
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(fitNow);
    });
    observer.observe(host.current!);
    t.textarea?.addEventListener('focus', () => latest.current.onFocus?.());

    let disposed = false;
    let target: number | 'new' = latest.current.pty;
    let delay = 200;
    let retry: ReturnType<typeof setTimeout> | null = null;

    t.onData((d) => conn.current?.input(enc.encode(latest.current.filterInput ? latest.current.filterInput(d) : d)));
    t.onBinary((d) => conn.current?.input(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)));
    t.onResize(({ cols, rows }) => conn.current?.control({ type: 'resize', cols, rows }));

    const event = (ev: Msg) => {
      const notice = latest.current.onNotice;
      if (ev.type === 'blocked') notice?.('blocked', 'Input blocked: exit, quit, Ctrl+D and Ctrl+\\ do not reach the agent from the web. Use a local terminal to exit.');
      else if (ev.type === 'lagged') {
        t.write('\x1bc'); // the replay that follows redraws everything
        notice?.('lagged', `Output lagged: this tab fell behind and skipped ${ev.dropped_bytes} bytes; the screen was redrawn from the scrollback.`);
      } else if (ev.type === 'pty_exited') {
        disposed = true; // a shell that ended, or an agent that will not restart
        if (target !== 0) latest.current.onGone?.('the shell exited');
        else setStatus('ended');
      }
    };

    const connect = async () => {
      retry = null;
      if (disposed) return;
      let c: Conn;
      try {
        c = await Conn.open(latest.current.factory, 'pty');
      } catch {
        return schedule();
      }
      if (disposed) return c.close();
      conn.current = c;
      const size = { cols: t.cols, rows: t.rows };
      const req = target === 'new'
        ? { cmd: 'shell', box: latest.current.box, new: true, ...size }
        : { cmd: 'attach', box: latest.current.box, pty: target, ...size };
      try {
        t.write('\x1bc'); // queued: after anything still pending, before the replay
        const r = await c.stream(req, {
          data: (bytes, done) => t.write(bytes, done),
          event,
          closed: () => {
            if (conn.current === c) conn.current = null;
            if (!disposed) schedule();
          },
        });
        if (target === 'new') {
          target = r.pty as number;
          latest.current.onOpened?.(target);
        }
        delay = 200;
        setStatus('live');
      } catch (e) {
        c.close();
        if (e instanceof ProtoError && (e.code === 'PTY_NOT_FOUND' || e.code === 'BOX_NOT_FOUND' || e.code === 'FORBIDDEN')) {
          disposed = true;
          setStatus('ended');
          latest.current.onGone?.(e.message);
          return;
        }
        schedule();
      }
    };
    const schedule = () => {
      if (disposed || retry) return;
      setStatus('retrying');
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 2000);
    };
    void connect();

    return () => {
      disposed = true;
      if (retry) clearTimeout(retry);
      cancelAnimationFrame(frame);
      observer.disconnect();
      conn.current?.close(); // detaches: the PTY lives on
      conn.current = null;
      t.dispose();
      term.current = null;
    };
    // One terminal per mounted pane (the parent keys it by box and PTY).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <div className="term-wrap" data-status={status}>
      <div className="term" ref={host} data-testid="terminal" />
      {status === 'retrying' && <div className="term-badge">reconnecting…</div>}
      {status === 'ended' && <div className="term-badge">ended</div>}
    </div>
  );
});
