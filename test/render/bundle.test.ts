// ConfigBundle: sorted files and one digest that changes exactly when a file does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DEFAULT_FILE_MODE, RenderError, haproxyBundle, makeBundle, renderHaproxy, toIR } from '../../src/render/index.ts';
import { amphoraContext, simpleGraph } from './fixtures.ts';

const CFG = 'haproxy.cfg';

test('the haproxy bundle holds the rendered configuration, files sorted by path', () => {
  const ir = toIR(simpleGraph(2), amphoraContext());
  const b = haproxyBundle(ir, [{ path: 'certs/a.pem', content: 'PEM', mode: 0o600 }]);
  assert.deepEqual(b.files.map((f) => f.path), ['certs/a.pem', CFG]);
  assert.equal(b.files[1].content, renderHaproxy(ir));
  assert.equal(b.files[1].mode, DEFAULT_FILE_MODE);
  assert.match(b.sha256, /^[0-9a-f]{64}$/);
});

test('the digest ignores input order but not paths, modes or contents', () => {
  const a = { path: '/a', content: 'x' };
  const b = { path: '/b', content: 'y', mode: 0o600 };
  const digest = makeBundle([a, b]).sha256;
  assert.equal(makeBundle([b, a]).sha256, digest);
  for (const changed of [
    [{ ...a, content: 'x ' }, b], [{ ...a, path: '/c' }, b], [a, { ...b, mode: 0o640 }], [a], [a, b, { path: '/d', content: '' }],
  ]) assert.notEqual(makeBundle(changed).sha256, digest, JSON.stringify(changed));
});

test('the digest cannot be forged by moving bytes between a path and a content', () => {
  assert.notEqual(makeBundle([{ path: '/a', content: 'bc' }]).sha256, makeBundle([{ path: '/ab', content: 'c' }]).sha256);
  assert.notEqual(makeBundle([{ path: '/a', content: '' }, { path: '/b', content: '' }]).sha256, makeBundle([{ path: '/a', content: '1:/b:640:0:' }]).sha256);
});

test('the digest is sha256 over length-prefixed path, mode and content of each file in path order', () => {
  const files = [{ path: '/b', content: 'é' }, { path: '/a', content: 'x', mode: 0o600 }];
  const expected = createHash('sha256').update('2:/a:600:1:x').update('2:/b:640:2:é').digest('hex');
  assert.equal(makeBundle(files).sha256, expected);
});

test('two files at one path are refused', () => {
  assert.throws(() => makeBundle([{ path: '/a', content: '1' }, { path: '/a', content: '2' }]), RenderError);
});

test('the same graph gives the same digest; a member weight change gives another', () => {
  const g = simpleGraph(2);
  const first = haproxyBundle(toIR(g, amphoraContext())).sha256;
  assert.equal(haproxyBundle(toIR(structuredClone(g), amphoraContext())).sha256, first);
  g.members[0].weight = 2;
  assert.notEqual(haproxyBundle(toIR(g, amphoraContext())).sha256, first);
});
