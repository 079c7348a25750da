// `input_filter.block_sequences` entries: text with escapes, turned into bytes.
// TOML basic strings have no \x escape, so users write these in literal strings:
//   block_sequences = ['\x03\x03', 'rm -rf /\r']

/** Unescapes \xHH, \uXXXX, \r, \n, \t, \e, \0 and \\; throws on anything else. */
export function parseSequence(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const e = text[++i];
    const simple: Record<string, number> = { r: 13, n: 10, t: 9, e: 27, '0': 0, '\\': 92 };
    if (e !== undefined && e in simple) out.push(simple[e]!);
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
      out.push(...Buffer.from(String.fromCodePoint(parseInt(text.slice(i + 1, i + 5), 16)), 'utf8'));
      i += 4;
    } else {
      throw new Error(`unknown escape "\\${e ?? ''}" (use \\xHH, \\uXXXX, \\r, \\n, \\t, \\e, \\0 or \\\\)`);
    }
  }
  if (out.length === 0) throw new Error('an empty sequence would block nothing');
  return Buffer.from(out);
}
