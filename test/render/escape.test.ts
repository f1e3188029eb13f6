// Properties of escape.ts against a model of HAProxy 2.6's line parser (configuration.txt
// §2.2): whatever the value, the word stays on its line, stays one word, and reads back as
// the value. escape-haproxy.test.ts checks the model against the real HAProxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { haproxyWords } from './haproxy-words.ts';
import {
  RenderError, bracketed, cidr, configWord, fetchArgument, fetchWord, hostPort, logFormatWord, safeName,
} from '../../src/render/escape.ts';

const RUNS = Number(process.env.FULCRUM_PROPERTY_RUNS ?? 500);

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const anyString = fc.string({ unit: 'binary', maxLength: 80 }).filter((s) => !s.includes('\0'));
const nasty = fc.stringMatching(/^[ -~\t\n\r#'"\\$%(),]{0,40}$/).filter((s) => !s.includes('\0'));
const value = fc.oneof(anyString, nasty);

test('configWord: printable ASCII only, no line break, and exactly one word that reads back as the value', () => {
  fc.assert(fc.property(value, (v) => {
    const word = configWord(v);
    assert.match(word, /^[\x20-\x7e]+$/);
    const line = `acl x path -m str -- ${word} if y`;
    const words = haproxyWords(line);
    assert.deepEqual(words.slice(0, 5), ['acl', 'x', 'path', '-m', 'str']);
    assert.equal(words[6], latin1(v));
    assert.deepEqual(words.slice(7), ['if', 'y']);
  }), { numRuns: RUNS });
});

test('configWord: quotes and backslashes in the output are always escaped (never open a quote)', () => {
  fc.assert(fc.property(value.filter((v) => v !== ''), (v) => {
    const word = configWord(v);
    // Remove escape pairs; what remains must hold no quote, backslash or comment start.
    assert.doesNotMatch(word.replace(/\\(x[0-9a-f]{2}|.)/g, ''), /["'\\#\s]/);
  }), { numRuns: RUNS });
});

test('fetchWord: the argument survives both parsing levels (line, then argument list)', () => {
  fc.assert(fc.property(value, (v) => {
    const [word] = haproxyWords(fetchWord('req.fhdr', v));
    assert.ok(word.startsWith('req.fhdr(') && word.endsWith(')'), word);
    const args = haproxyWords(word.slice('req.fhdr('.length, -1), true);
    assert.deepEqual(args, [latin1(v)]);
  }), { numRuns: RUNS });
});

test('logFormatWord: every % is doubled, so no sample expression can start', () => {
  fc.assert(fc.property(value, (v) => {
    const [word] = haproxyWords(logFormatWord(v));
    assert.equal(word.replace(/%%/g, ''), word.replace(/%%/g, '').replace(/%/g, ''));
    assert.equal(word.replace(/%%/g, '%'), latin1(v));
  }), { numRuns: RUNS });
});

test('configWord spells common values readably', () => {
  assert.equal(configWord('/api/v1?x=1&y=%20'), '/api/v1?x=1&y=%20');
  assert.equal(configWord('^/v[0-9]+/(a|b)$'), '^/v[0-9]+/(a|b)$');
  assert.equal(configWord('a b#c'), 'a\\ b\\#c');
  assert.equal(configWord(`q"'\\`), `q\\"\\'\\\\`);
  assert.equal(configWord('line\nbreak\r'), 'line\\x0abreak\\x0d');
  assert.equal(configWord('café'), 'caf\\xc3\\xa9');
  assert.equal(configWord(''), '""');
  assert.equal(fetchArgument('X-"a"\\'), '"X-\\"a\\"\\\\"');
});

test('configWord refuses a NUL byte, which would silently truncate the word inside HAProxy', () => {
  assert.throws(() => configWord('a\0b'), RenderError);
});

test('names must be plain ids', () => {
  assert.equal(safeName('0b5e6c1a-1f5e-4a63-9a8b-1f2d3e4c5b6a', 'member'), '0b5e6c1a-1f5e-4a63-9a8b-1f2d3e4c5b6a');
  for (const bad of ['', 'a b', 'x\n  bind :1', 'a#b', '-x', 'a'.repeat(65), 'a/b']) {
    assert.throws(() => safeName(bad, 'member'), RenderError, JSON.stringify(bad));
  }
});

test('addresses and networks must be IP literals', () => {
  assert.equal(hostPort('192.0.2.1', 80, 'member'), '192.0.2.1:80');
  assert.equal(hostPort('2001:db8::1', 443, 'member'), '[2001:db8::1]:443');
  assert.equal(bracketed('2001:db8::ff'), '[2001:db8::ff]');
  for (const [address, port] of [['example.com', 80], ['192.0.2.1 backup', 80], ['192.0.2.1', 0], ['192.0.2.1', 65536], ['1.2.3.4\n', 80]] as const) {
    assert.throws(() => hostPort(address, port, 'member'), RenderError, `${address}:${port}`);
  }
  assert.equal(cidr('10.0.0.0/8'), '10.0.0.0/8');
  assert.equal(cidr('2001:db8::/32'), '2001:db8::/32');
  for (const bad of ['10.0.0.0/33', '10.0.0.0', 'x/8', '10.0.0.0/8 0.0.0.0/0', '10.0.0.0/8/1']) {
    assert.throws(() => cidr(bad), RenderError, bad);
  }
});
