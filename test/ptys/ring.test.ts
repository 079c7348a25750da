// The native scrollback ring.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRing } from '../../lib/ptys/ring.js';

const b = (s: string) => Buffer.from(s);

test('keeps everything until full, then the last capacity bytes', () => {
  const r = createRing(10);
  r.write(b('hello '));
  assert.is(r.snapshot().toString(), 'hello ');
  r.write(b('world!'));
  assert.is(r.snapshot().toString(), 'llo world!');
  assert.is(r.written, 12);
  assert.is(r.size, 10);
  r.write(b('ab'));
  assert.is(r.snapshot().toString(), 'o world!ab');
});

test('a write larger than the capacity keeps its tail', () => {
  const r = createRing(4);
  r.write(b('x'));
  r.write(b('0123456789'));
  assert.is(r.snapshot().toString(), '6789');
  assert.is(r.written, 11);
});

test('since(offset) gives what followed, or null once it was overwritten', () => {
  const r = createRing(8);
  r.write(b('abcdef'));
  assert.is(r.since(2)!.toString(), 'cdef');
  assert.is(r.since(6)!.toString(), '');
  r.write(b('ghij'));
  assert.is(r.since(2)!.toString(), 'cdefghij');
  assert.is(r.since(1), null);
  assert.is(r.since(100)!.toString(), '');
});

test('tailLines: the last n lines, a partial last line counting as one', () => {
  const r = createRing(1024);
  r.write(b('one\ntwo\nthree\nfour\n'));
  assert.is(r.tailLines(2).toString(), 'three\nfour\n');
  assert.is(r.tailLines(10).toString(), 'one\ntwo\nthree\nfour\n');
  r.write(b('fiv'));
  assert.is(r.tailLines(2).toString(), 'four\nfiv');
  assert.is(r.tailLines(0).toString(), '');
});

test('tailLines across the wrap point', () => {
  const r = createRing(12);
  r.write(b('aaaa\nbbbb\n'));
  r.write(b('cc\ndd\n'));
  assert.is(r.snapshot().toString(), '\nbbbb\ncc\ndd\n');
  assert.is(r.tailLines(2).toString(), 'cc\ndd\n');
});

test('clear empties without resetting the offset', () => {
  const r = createRing(8);
  r.write(b('abc'));
  r.clear();
  assert.is(r.snapshot().length, 0);
  assert.is(r.written, 3);
});

test('256 KiB default and a megabyte of writes', () => {
  const r = createRing();
  assert.is(r.capacity, 256 * 1024);
  const chunk = Buffer.alloc(1000, 'x');
  for (let i = 0; i < 1000; i++) r.write(chunk);
  assert.is(r.size, 256 * 1024);
  assert.is(r.written, 1_000_000);
});

test.run();
