// Output fan-out measured the same way by the fan-out test and bench/fairness: one client
// has the agent print N bytes and a marker, every reader counts what it receives and when
// the marker came.
import type { AttachStream } from '../../lib/client/attach.js';

export interface Received {
  /** x's received. */
  got: number;
  /** From the command to this reader's marker. */
  ms: number;
  /** What the daemon said this reader missed (`lagged`). */
  dropped: number;
}

/** Waits on one reader for `marker`; counts the x's before it (or, not `exact`, all bytes). */
function receive(reader: AttachStream, marker: string, start: bigint, exact: boolean): Promise<Received> {
  let got = 0;
  let dropped = 0;
  let tail = '';
  const onLag = (e: { dropped_bytes: number }) => (dropped += e.dropped_bytes);
  reader.on('lagged', onLag);
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      const text = d.toString('latin1', Math.max(0, d.length - 200));
      if (!exact) got += d.length;
      else got += d.length - d.toString('latin1').replace(/x+/g, '').length;
      tail = (tail + text).slice(-200);
      if (tail.includes(`${marker}\r\n`)) {
        reader.off('data', onData);
        reader.off('lagged', onLag);
        resolve({ got, ms: Number(process.hrtime.bigint() - start) / 1e6, dropped });
      }
    };
    reader.on('data', onData);
  });
}

/**
 * Has the agent print `bytes` x's then a marker (typed by `writer`, echo off, the x's written
 * as \170 so the command line does not count); resolves with what each reader received:
 * the x's, or with `exact` false (cheaper: a benchmark's readers must not be its bottleneck)
 * all bytes up to the marker.
 */
export async function blast(writer: AttachStream, readers: AttachStream[], bytes: number, tag: string, exact = true): Promise<Received[]> {
  const marker = `END-${tag}-${bytes}`;
  const start = process.hrtime.bigint();
  const all = Promise.all(readers.map((r) => receive(r, marker, start, exact)));
  writer.write(`stty -echo; head -c ${bytes} /dev/zero | tr '\\0' '\\170'; echo; echo END-${tag}-$((${bytes}))\r`);
  return all;
}
