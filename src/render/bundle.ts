// What the agent applies: every file of one amphora's configuration, with one digest over
// all of them, so "already applied" is a string comparison.
import { createHash } from 'node:crypto';
import { RenderError } from './escape.ts';
import type { HaproxyIR } from './ir.ts';
import { renderHaproxy } from './haproxy.ts';

export interface BundleFile {
  path: string;
  content: string;
  /** Unix permission bits; 0o640 when absent, as the agent protocol says (keys: 0o600). */
  mode?: number;
}

export interface ConfigBundle {
  /** Sorted by path. */
  files: BundleFile[];
  /** sha256 (hex) over the sorted files' paths, modes and contents. */
  sha256: string;
}

export const DEFAULT_FILE_MODE = 0o640;
const utf8 = new TextEncoder();

export function makeBundle(files: BundleFile[]): ConfigBundle {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash('sha256');
  sorted.forEach((file, i) => {
    if (i > 0 && sorted[i - 1].path === file.path) throw new RenderError(`bundle holds ${file.path} twice`);
    // Length-prefixed fields: no two different bundles can produce the same byte stream.
    const content = utf8.encode(file.content);
    const path = utf8.encode(file.path);
    hash.update(`${path.length}:`).update(path).update(`:${(file.mode ?? DEFAULT_FILE_MODE).toString(8)}:${content.length}:`).update(content);
  });
  return { files: sorted, sha256: hash.digest('hex') };
}

/**
 * The haproxy.cfg rendered from `ir`, plus files rendered elsewhere (certificates). Paths are
 * relative to the amphora's config directory (src/amphora/protocol.ts), haproxy.cfg by default.
 */
export function haproxyBundle(ir: HaproxyIR, extraFiles: BundleFile[] = [], configPath = 'haproxy.cfg'): ConfigBundle {
  return makeBundle([{ path: configPath, content: renderHaproxy(ir), mode: DEFAULT_FILE_MODE }, ...extraFiles]);
}
