// Writing tar archives in tests, including ones no honest tool would make.
export interface TarSpec {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'fifo';
  data?: string | Buffer;
  mode?: number;
  linkname?: string;
  mtime?: number;
  uid?: number;
  gid?: number;
}

const FLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', dir: '5', fifo: '6' } as const;

function field(h: Buffer, off: number, len: number, value: string): void {
  h.write(value, off, len, 'utf8');
}
const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0');

function header(name: string, flag: string, size: number, e: TarSpec): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, name);
  field(h, 100, 8, oct(e.mode ?? (flag === '5' ? 0o755 : 0o644), 8));
  field(h, 108, 8, oct(e.uid ?? 0, 8));
  field(h, 116, 8, oct(e.gid ?? 0, 8));
  field(h, 124, 12, oct(size, 12));
  field(h, 136, 12, oct(e.mtime ?? 1_700_000_000, 12));
  h[156] = flag.charCodeAt(0);
  field(h, 157, 100, e.linkname ?? '');
  field(h, 257, 6, 'ustar');
  field(h, 263, 2, '00');
  h.fill(32, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, `${oct(sum, 7)}\0`);
  return h;
}

const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

/** A tar archive of the entries (pax headers for names over 100 bytes). */
export function makeTar(entries: TarSpec[], opts: { end?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = Buffer.from(e.data ?? '');
    if (Buffer.byteLength(e.name) > 100) {
      const rec = (s: string) => {
        let len = s.length + 3;
        while (`${len} ${s}\n`.length !== len) len = `${len} ${s}\n`.length;
        return `${len} ${s}\n`;
      };
      const body = Buffer.from(rec(`path=${e.name}`));
      out.push(header('PaxHeader', 'x', body.length, { name: '' }), pad(body));
    }
    out.push(header(e.name.slice(0, 100), FLAG[type], type === 'file' ? data.length : 0, e));
    if (type === 'file') out.push(pad(data));
  }
  if (opts.end !== false) out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}
