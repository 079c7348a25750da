// The input filter for web and tunnel clients (SPEC §8): every rule, split chunks, the
// 500 ms flush, and a randomized comparison with a plain reference implementation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSequence } from '../../lib/config/sequence.js';
import { BLOCK_WARNING, HOLD_FLUSH_MS, InputFilter } from '../../lib/ptys/filter.js';
import { prng, testSeed } from '../helpers/prng.js';

interface Run {
  out: string;
  blocked: string[];
}

/** Feeds chunks (with a clock that does not move unless told), then flushes. */
function feed(chunks: (string | Buffer)[], opts: { sequences?: Buffer[]; debounce?: number; times?: number[] } = {}): Run {
  const r: Run = { out: '', blocked: [] };
  let now = 1_000_000;
  const f = new InputFilter({
    ctrlCDebounceMs: opts.debounce, sequences: opts.sequences, now: () => now,
    onData: (d) => (r.out += d.toString('latin1')), onBlocked: (b) => r.blocked.push(b.toString('latin1')),
  });
  chunks.forEach((c, i) => {
    if (opts.times) now = 1_000_000 + opts.times[i]!;
    f.write(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  });
  f.flush();
  f.dispose();
  return r;
}

/** Every way of cutting s into two or three pieces. */
function splits(s: string): string[][] {
  const out: string[][] = [[s]];
  for (let i = 1; i < s.length; i++) {
    out.push([s.slice(0, i), s.slice(i)]);
    for (let j = i + 1; j < s.length; j++) out.push([s.slice(0, i), s.slice(i, j), s.slice(j)]);
  }
  return out;
}

test('Ctrl+D and Ctrl+\\ are blocked anywhere; bytes around them pass', () => {
  assert.equal(feed(['ab\x04cd']), { out: 'abcd', blocked: ['\x04'] });
  assert.equal(feed(['\x1c']), { out: '', blocked: ['\x1c'] });
  assert.equal(feed(['x\x04y\x1cz']), { out: 'xyz', blocked: ['\x04', '\x1c'] });
});

test('exit, /exit and quit are blocked as whole lines, with \\r or \\n', () => {
  for (const cmd of ['exit', '/exit', 'quit']) {
    for (const end of ['\r', '\n']) {
      assert.equal(feed([cmd + end]), { out: '', blocked: [cmd + end] }, JSON.stringify(cmd + end));
      assert.equal(feed([`ls${end}${cmd}${end}pwd${end}`]), { out: `ls${end}pwd${end}`, blocked: [cmd + end] });
    }
  }
});

test('a line command only when it is the whole line', () => {
  assert.equal(feed(['please exit\r']), { out: 'please exit\r', blocked: [] });
  assert.equal(feed(['xexit\n']), { out: 'xexit\n', blocked: [] });
  assert.equal(feed(['exits\r']), { out: 'exits\r', blocked: [] });
  assert.equal(feed(['exit now\r']), { out: 'exit now\r', blocked: [] });
  assert.equal(feed(['echo\nexit\r']), { out: 'echo\n', blocked: ['exit\r'] });
  assert.equal(feed(['exit']), { out: 'exit', blocked: [] }); // no Enter yet: released by the flush
});

test('matches split across chunks at every position', () => {
  for (const input of ['ab\x04cd', 'ls\rexit\rpwd\r', 'x/exit\n', 'quit\n', 'please exit\r']) {
    const whole = feed([input]);
    for (const parts of splits(input)) assert.equal(feed(parts), whole, JSON.stringify(parts));
  }
});

test('a blocked byte inside a line does not hide the command: e x ^D i t Enter', () => {
  assert.equal(feed(['ex\x04it\r']), { out: '', blocked: ['\x04', 'exit\r'] });
  assert.equal(feed(['e', 'x', '\x1c', 'i', 't', '\r']), { out: '', blocked: ['\x1c', 'exit\r'] });
});

test('Ctrl+C: the first passes, more within the debounce window are dropped', () => {
  assert.equal(feed(['\x03\x03\x03']), { out: '\x03', blocked: ['\x03', '\x03'] });
  assert.equal(feed(['\x03', '\x03'], { times: [0, 499] }), { out: '\x03', blocked: ['\x03'] });
  assert.equal(feed(['\x03', '\x03'], { times: [0, 500] }), { out: '\x03\x03', blocked: [] });
  assert.equal(feed(['\x03', '\x03', '\x03'], { times: [0, 300, 600] }), { out: '\x03\x03', blocked: ['\x03'] });
  assert.equal(feed(['a\x03b\x03c']), { out: 'a\x03bc', blocked: ['\x03'] });
  assert.equal(feed(['\x03', '\x03'], { times: [0, 150], debounce: 100 }), { out: '\x03\x03', blocked: [] });
});

test('custom sequences, with escapes, blocked anywhere; shared prefixes', () => {
  const sequences = [parseSequence('\\x1b:q!\\r'), parseSequence('\\x1b:w')];
  assert.equal(feed(['i\x1b:q!\rj'], { sequences }), { out: 'ij', blocked: ['\x1b:q!\r'] });
  assert.equal(feed(['\x1b:wq'], { sequences }), { out: 'q', blocked: ['\x1b:w'] });
  assert.equal(feed(['\x1b:x'], { sequences }), { out: '\x1b:x', blocked: [] });
  for (const parts of splits('a\x1b:q!\rb')) assert.equal(feed(parts, { sequences }), { out: 'ab', blocked: ['\x1b:q!\r'] });
});

test('bytes that could start a match are held, and released after 500 ms of quiet', async () => {
  let out = '';
  const f = new InputFilter({ onData: (d) => (out += d) });
  f.write(Buffer.from('ls\rex'));
  assert.is(out, 'ls\r');
  assert.is(f.held, 2);
  await new Promise((r) => setTimeout(r, HOLD_FLUSH_MS / 2));
  assert.is(out, 'ls\r');
  await new Promise((r) => setTimeout(r, HOLD_FLUSH_MS));
  assert.is(out, 'ls\rex');
  assert.is(f.held, 0);
  // The line is still "ex...": finishing it as "exit\r" blocks the rest.
  f.write(Buffer.from('it\r'));
  assert.is(out, 'ls\rex');
  f.dispose();
});

test('more input restarts the quiet period', async () => {
  let out = '';
  const f = new InputFilter({ onData: (d) => (out += d) });
  f.write(Buffer.from('e'));
  await new Promise((r) => setTimeout(r, 300));
  f.write(Buffer.from('x'));
  await new Promise((r) => setTimeout(r, 300));
  assert.is(out, '');
  f.write(Buffer.from('x'));
  assert.is(out, 'exx');
  f.dispose();
});

test('the warning text', () => {
  assert.is(BLOCK_WARNING, '\r\n\x1b[1;33m⚠  Blocked from web. Use local terminal to exit.\x1b[0m\r\n');
});

// A plain reference: drop all Ctrl+C but the first (one instant), remove anywhere-sequences
// left to right (a match ends as early as possible, the longest one there wins, matching
// restarts after it), then remove whole lines that are line commands.
function reference(input: string, sequences: string[]): string {
  let firstCtrlC = true;
  let s = '';
  for (const c of input) {
    if (c === '\x03') {
      if (!firstCtrlC) continue;
      firstCtrlC = false;
    }
    s += c;
  }
  const patterns = ['\x04', '\x1c', ...sequences].sort((a, b) => b.length - a.length);
  let kept = '';
  let since = 0; // kept.length when matching last restarted
  for (const c of s) {
    kept += c;
    const hit = patterns.find((p) => kept.length - since >= p.length && kept.endsWith(p));
    if (hit) {
      kept = kept.slice(0, -hit.length);
      since = kept.length;
    }
  }
  // Lines end at \r or \n; a line that is exactly a command disappears with its ending.
  let out = '';
  let line = '';
  for (const c of kept) {
    if (c === '\r' || c === '\n') {
      if (!['exit', '/exit', 'quit'].includes(line)) out += line + c;
      line = '';
    } else line += c;
  }
  return out + line;
}

test('randomized: any chunking gives the reference result', () => {
  const seed = testSeed();
  const rand = prng(seed);
  const alphabet = ['e', 'x', 'i', 't', 'q', 'u', '/', '\r', '\n', '\x04', '\x1c', '\x03', 'a', ' ', '\x1b', ':'];
  for (let round = 0; round < 2000; round++) {
    const pick = () => alphabet[Math.floor(rand() * alphabet.length)]!;
    const input = Array.from({ length: 1 + Math.floor(rand() * 24) }, pick).join('');
    const sequences = rand() < 0.5 ? [] : [Array.from({ length: 2 + Math.floor(rand() * 2) }, () => ['\x1b', ':', 'a', 'q'][Math.floor(rand() * 4)]!).join('')];
    const parts: string[] = [];
    for (let i = 0; i < input.length; ) {
      const n = 1 + Math.floor(rand() * 5);
      parts.push(input.slice(i, i + n));
      i += n;
    }
    const got = feed(parts, { sequences: sequences.map((x) => Buffer.from(x, 'latin1')) }).out;
    const want = reference(input, sequences);
    assert.is(got, want, `seed ${seed}, round ${round}: input ${JSON.stringify(input)} sequences ${JSON.stringify(sequences)}`);
  }
});

test.run();
