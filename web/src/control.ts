// The page's request channel: kept open (reopened after a drop), `ls` polled for the
// sidebar, and the requests of the buttons (create, kill).
import { Conn } from './protocol.js';
import type { ChannelFactory } from './transport.js';

export interface PtyRow {
  id: number;
  role: 'agent' | 'shell';
  command: string;
  state: string;
}
export interface BoxRow {
  name: string;
  workspace: string;
  state: string;
  ptys: PtyRow[];
  clients: { local: number; web: number; tunnel: number };
  problem?: string;
}

export type Link = 'connecting' | 'online' | 'offline';

export class Control {
  private conn: Conn | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private opening: Promise<Conn> | null = null;

  constructor(
    private readonly factory: ChannelFactory,
    private readonly onRows: (rows: BoxRow[]) => void,
    private readonly onLink: (l: Link) => void,
  ) {}

  start(): void {
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.conn?.close();
  }

  private get(): Promise<Conn> {
    if (this.conn) return Promise.resolve(this.conn);
    this.opening ??= Conn.open(this.factory, 'control').then(
      (c) => {
        this.opening = null;
        this.conn = c;
        c.onClose = () => {
          if (this.conn === c) this.conn = null;
          this.onLink('offline');
        };
        return c;
      },
      (e) => {
        this.opening = null;
        throw e;
      },
    );
    return this.opening;
  }

  /** Refreshes the list now (and then every 1.5 s). */
  async poll(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped) return;
    try {
      const c = await this.get();
      const r = await c.request<{ boxes: BoxRow[] }>({ cmd: 'ls' });
      this.onLink('online');
      this.onRows(r.boxes);
    } catch {
      this.onLink('offline');
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), this.conn ? 1500 : 1000);
  }

  async request<T = Record<string, unknown>>(msg: Record<string, unknown>): Promise<T> {
    const r = await (await this.get()).request<T>(msg);
    void this.poll();
    return r;
  }
}
