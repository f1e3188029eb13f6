// The golden cases under testdata/render: each folder's graph.json (+ context.json) and the
// haproxy.cfg it must render to.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadBalancerGraph } from '../../src/domain/entities.ts';
import type { AmphoraContext } from '../../src/render/context.ts';
import { amphoraContext } from './fixtures.ts';

export const GOLDEN_DIR = join(import.meta.dirname, '../../testdata/render');

export interface GoldenCase {
  name: string;
  dir: string;
  graph: LoadBalancerGraph;
  context: AmphoraContext;
  /** The expected haproxy.cfg, or null when it has not been written yet. */
  expected: string | null;
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = join(GOLDEN_DIR, name);
      const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : null);
      const context = read('context.json');
      return {
        name,
        dir,
        graph: JSON.parse(read('graph.json')!) as LoadBalancerGraph,
        context: amphoraContext(context ? (JSON.parse(context) as Partial<AmphoraContext>) : {}),
        expected: read('haproxy.cfg'),
      };
    });
}
