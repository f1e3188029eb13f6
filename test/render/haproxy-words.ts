// A model of HAProxy 2.6's configuration line parser (configuration.txt §2.2), used to check
// what the renderer writes. escape-haproxy.test.ts checks the renderer against the real one.

/**
 * The words of one configuration line, as bytes decoded to a string (latin1, one char per
 * byte), or throws on an unterminated quote. `args` parses a fetch argument list instead:
 * there '\#', '\$' and '\xNN' are not escapes, and ',' and ')' end an argument.
 */
export function haproxyWords(line: string, args = false): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  const push = (s: string) => { word = (word ?? '') + s; };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      else push(c);
    } else if (c === '\\') {
      const n = line[i + 1];
      if (n === undefined) throw new Error('trailing backslash');
      if (!args && n === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
        push(String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16)));
        i += 3;
      } else if ('nrt'.includes(n)) {
        push({ n: '\n', r: '\r', t: '\t' }[n]!);
        i += 1;
      } else if (' \\\'"'.includes(n) || (!args && '#$'.includes(n))) {
        push(n);
        i += 1;
      } else {
        push(c);
      }
    } else if (c === '"') {
      quote = quote === '"' ? null : '"';
      push('');
    } else if (c === "'" && quote === null) {
      quote = "'";
      push('');
    } else if (quote === null && (c === ' ' || c === '\t' || (args && (c === ',' || c === ')')))) {
      if (word !== null) words.push(word);
      word = null;
    } else if (quote === null && c === '#' && !args) {
      break;
    } else if (!args && (c === '\n' || c === '\r')) {
      throw new Error('line break inside a line');
    } else {
      push(c);
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (word !== null) words.push(word);
  return words;
}
