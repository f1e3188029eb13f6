// Octavia's messages embed request values as Python prints them (WSME formats them with %s
// after json.loads), e.g. "Value: '[1, 2]'" or "Value: '{'quota': {'loadbalancer': 'x'}}'".
// These render a decoded JSON value the same way, so clients that match on text still match.

/** Python's str() of a decoded JSON value. */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** Python's repr() of a decoded JSON value: 'x', None, True, [1, 2], {'a': 'b'}. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return reprString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Single quotes unless the text holds a single quote and no double quote, as Python chooses. */
function reprString(v: string): string {
  const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
  const body = v.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]!);
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}
