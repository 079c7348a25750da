// The terminal pieces without a terminal: the detach key in its three forms, newline
// translation undone across chunks, scrollback rendered as text, modes restored and reset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CrlfToLf } from '../../bin/cli/plain.js';
import { Emulator, terminalReset } from '../../lib/term/emulator.js';
import { findDetachKey } from '../../lib/term/keys.js';
import { renderLines } from '../../lib/term/render.js';

const key = (s: string) => findDetachKey(Buffer.from(s, 'latin1'));

test('Ctrl+] in legacy, kitty and modifyOtherKeys forms; not other keys, not a release', () => {
  assert.equal(key('ab\x1dcd'), { index: 2, length: 1 });
  assert.equal(key('x\x1b[93;5u'), { index: 1, length: 7 });
  assert.equal(key('\x1b[93;5:1u'), { index: 0, length: 9 }); // press, with event types on
  assert.equal(key('\x1b[93;69u'), { index: 0, length: 8 }); // Caps Lock on
  assert.equal(key('\x1b[27;5;93~'), { index: 0, length: 10 });
  assert.is(key('\x1b[93;5:3u'), null); // a release
  assert.is(key('\x1b[93;7u'), null); // Ctrl+Alt+]
  assert.is(key('\x1b[91;5u'), null); // Ctrl+[
  assert.is(key('plain text'), null);
  assert.equal(key('\x1b[97;5u\x1b[93;5u'), { index: 7, length: 7 });
});

test('CRLF -> LF exactly, also when \\r and \\n arrive in different chunks', () => {
  const c = new CrlfToLf();
  const out = [c.push(Buffer.from('a\r')), c.push(Buffer.from('\nb\r\r\n')), c.push(Buffer.from('c\r')), c.flush()].map(String).join('');
  assert.is(out, 'a\nb\r\nc\r');
});

test('scrollback as text: cursor movement rendered, queries gone, wrapped lines joined, the alternate screen after the main one', async () => {
  const bytes = Buffer.from('one\r\n\x1b[ctwo\x1b[6n\r\n0123456789abcdef\r\nred\x1b[31m!\x1b[0m\x1b[1;1HONE\x1b[?1049h\x1b[3;5Hfull screen');
  assert.equal(await renderLines(bytes, 10, 5), ['ONE', 'two', '0123456789abcdef', 'red!', '', '', '    full screen']);
});

test('a replay restores what is on (kitty flags of each screen, mouse encoding, cursor) and never a query', async () => {
  const em = await Emulator.create(40, 10);
  await em.write('main\x1b[>1u\x1b[?1049h\x1b[?1000h\x1b[?1006h\x1b[>7u\x1b[?25l\x1b[3 q\x1b[>4;2m\x1b[c\x1b[6ndrawn');
  const r = em.restoreSequence();
  assert.ok(r.indexOf('\x1b[>1u') < r.indexOf('\x1b[?1049h'), JSON.stringify(r));
  for (const m of ['\x1b[>7u', '\x1b[?1000h', '\x1b[?1006h', '\x1b[?25l', '\x1b[3 q', '\x1b[>4;2m', 'drawn']) assert.ok(r.includes(m), m);
  assert.not.ok(r.includes('\x1b[c') || r.includes('\x1b[6n'));
  await em.write('\x1b[<u\x1b[?1006l\x1b[?25h');
  const after = em.restoreSequence();
  assert.not.ok(after.includes('\x1b[>7u') || after.includes('\x1b[?1006h') || after.includes('\x1b[?25l'));
  assert.ok(em.resetSequence().includes('\x1b[?1049l'));
  em.dispose();
  assert.not.ok(terminalReset({ alternate: false }).includes('\x1b[?1049l'));
});

test.run();
