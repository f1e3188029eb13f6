// The shape of every configuration section: a header line, then its body indented.
export const INDENT = '    ';

export function section(header: string, body: string[]): string {
  return [header, ...body.map((line) => `${INDENT}${line}`)].join('\n');
}
