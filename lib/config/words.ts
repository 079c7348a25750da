// Splitting a command string the way a POSIX shell splits words (quotes and
// backslashes; no expansion). Used for `sandbox.agent = "claude --model x"`.

export function splitWords(input: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === '\\') {
      if (i + 1 >= input.length) throw new Error('ends with an unfinished backslash escape');
      cur += input[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new Error("has an unclosed ' quote");
      cur += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= input.length) throw new Error('has an unclosed " quote');
        const d = input[i]!;
        if (d === '"') break;
        if (d === '\\' && '"\\$`'.includes(input[i + 1] ?? '')) {
          cur += input[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
