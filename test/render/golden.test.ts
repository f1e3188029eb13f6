// Every golden graph renders to its haproxy.cfg byte for byte.
// UPDATE_GOLDEN=1 rewrites the expected files (review the diff before committing it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderHaproxy, toIR } from '../../src/render/index.ts';
import { goldenCases } from './golden.ts';

const update = process.env.UPDATE_GOLDEN === '1';
const cases = goldenCases();

test('there are golden cases for every feature (at least 20)', () => {
  assert.ok(cases.length >= 20, `${cases.length} cases`);
});

for (const c of cases) {
  test(`golden: ${c.name}`, () => {
    const rendered = renderHaproxy(toIR(c.graph, c.context));
    if (update) {
      writeFileSync(join(c.dir, 'haproxy.cfg'), rendered);
      return;
    }
    assert.ok(c.expected !== null, `${c.name}/haproxy.cfg is missing; run with UPDATE_GOLDEN=1`);
    assert.equal(rendered, c.expected);
  });
}

test('rendering is deterministic: the same graph twice gives the same bytes, whatever the input order', () => {
  for (const c of cases) {
    const shuffled = {
      ...c.graph,
      listeners: [...c.graph.listeners].reverse(),
      members: [...c.graph.members].reverse(),
      l7policies: [...c.graph.l7policies].reverse(),
      l7rules: [...c.graph.l7rules].reverse(),
    };
    assert.equal(renderHaproxy(toIR(shuffled, c.context)), renderHaproxy(toIR(c.graph, c.context)), c.name);
  }
});
