// Records exchanged with coop-helper (src-native/helper/wire.cc holds the twin).
// A record is a list of fields, each "<byte length>:<bytes>", ended by "\n".
//
// Plan records (TypeScript -> helper), in order, ended by `end`:
//   mode create|enter|rmtree|net       name NAME          ns user mount pid uts ipc net
//   uidmap IN OUT COUNT             gidmap IN OUT COUNT
//   idmap-tools NEWUIDMAP NEWGIDMAP (absent: maps are written directly)
//   setgroups allow|deny            root PATH          (absent: no mount work, no pivot_root)
//   mount FSTYPE SOURCE TARGET DATA [bind rec ro nosuid nodev noexec optional ifexists self]...
//   mkdir PATH OCTALMODE            symlink TARGET PATH
//   stage-mount FSTYPE SOURCE HOSTPATH DATA [FLAG]...   stage-mkdir HOSTPATH OCTALMODE
//   stage-file HOSTPATH OCTALMODE CONTENT               stage-whiteout HOSTPATH
//   stage-idmapped HOSTTREE HOSTPATH rec|norec          idmap-tree IN OUT COUNT
//   hostname NAME                   loopback           init run|box GRACE_MS   terminal
//   nest (init into a nested user namespace)           confine default|off [no-setid] [no-cgroupns]   cgroup DIR
//   argv ARG...   env K=V...   cwd PATH   user UID GID
//   cleanup PATH (rmtree mode)      target PID STARTTIME
//   net-outbound pasta|slirp4netns PATH ADDRESS PREFIX GATEWAY   net-port HOSTADDR HOSTPORT BOXPORT
//   net-dns LISTEN UPSTREAM PORT    net-proxy PORT ARGV...
//   (mode net, from the helper to itself: the net-* records, then net-fds NETNS PIDFD READY)
// Status records (helper -> TypeScript):
//   pid N | ready | skipped SYSCALL PATH ERRNO | warning TEXT
//   error SYSCALL PATH ERRNO MESSAGE | exit code|signal N

export type WireRecord = string[];

/** Encodes records (fields are UTF-8; lengths count bytes). One string, converted once. */
export function encodeRecords(records: WireRecord[]): Buffer {
  let text = '';
  for (const rec of records) {
    for (const field of rec) text += `${Buffer.byteLength(field, 'utf8')}:${field}`;
    text += '\n';
  }
  return Buffer.from(text, 'utf8');
}

/** Incremental decoder for a stream of records. */
export class RecordDecoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the records completed by them. Throws on malformed input. */
  push(chunk: Buffer): WireRecord[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: WireRecord[] = [];
    for (;;) {
      const parsed = parseOne(this.buf);
      if (!parsed) break;
      out.push(parsed.record);
      this.buf = this.buf.subarray(parsed.next);
    }
    return out;
  }
}

function parseOne(buf: Buffer): { record: WireRecord; next: number } | null {
  const record: WireRecord = [];
  let p = 0;
  while (p < buf.length && buf[p] !== 0x0a) {
    const colon = buf.indexOf(0x3a, p);
    if (colon < 0) return null;
    const digits = buf.toString('latin1', p, colon);
    if (!/^\d{1,10}$/.test(digits)) throw new Error(`malformed helper record near ${JSON.stringify(digits.slice(0, 20))}`);
    const len = Number(digits);
    if (colon + 1 + len > buf.length) return null;
    record.push(buf.toString('utf8', colon + 1, colon + 1 + len));
    p = colon + 1 + len;
  }
  if (p >= buf.length) return null;
  return { record, next: p + 1 };
}
