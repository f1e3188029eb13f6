// Shape checks for the agent's request bodies. The controller is the only client, so a bad
// body is a bug on its side: the answer names the first wrong field precisely.
import { badBundlePath, CONFIG_FILE } from '../protocol.ts';
import type { ApplyConfigRequest, ApplyRuntimeRequest, BundleFile, ConfigBundle } from '../protocol.ts';
import { badCommand } from './runtime.ts';

export class BadRequest extends Error {}

const MAX_FILES = 10_000;
const MAX_COMMANDS = 10_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(v: Record<string, unknown>, keys: string[], where: string): void {
  const extra = Object.keys(v).filter((k) => !keys.includes(k));
  if (extra.length) throw new BadRequest(`${where}: unknown field(s) ${extra.join(', ')}`);
}

function file(v: unknown, i: number): BundleFile {
  const where = `bundle.files[${i}]`;
  if (!isObject(v)) throw new BadRequest(`${where}: must be an object`);
  onlyKeys(v, ['path', 'content', 'mode'], where);
  const why = badBundlePath(v.path as string);
  if (why) throw new BadRequest(`${where}.path: ${why}`);
  if (typeof v.content !== 'string') throw new BadRequest(`${where}.content: must be a string`);
  if (v.mode !== undefined && (!Number.isInteger(v.mode) || (v.mode as number) < 0 || (v.mode as number) > 0o777)) {
    throw new BadRequest(`${where}.mode: must be an integer from 0 to 0o777`);
  }
  return { path: v.path as string, content: v.content, ...(v.mode !== undefined ? { mode: v.mode as number } : {}) };
}

function bundle(v: unknown): ConfigBundle {
  if (!isObject(v)) throw new BadRequest('bundle: must be an object');
  onlyKeys(v, ['files', 'sha256'], 'bundle');
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(v.sha256)) throw new BadRequest('bundle.sha256: must be 64 hex digits');
  if (!Array.isArray(v.files) || v.files.length === 0 || v.files.length > MAX_FILES) {
    throw new BadRequest(`bundle.files: must be an array of 1 to ${MAX_FILES} files`);
  }
  const files = v.files.map(file);
  const paths = new Set<string>();
  for (const f of files) {
    // A path that is also a directory of another path ("a" and "a/b") cannot both be files.
    if (paths.has(f.path)) throw new BadRequest(`bundle.files: duplicate path ${f.path}`);
    paths.add(f.path);
  }
  for (const p of paths) {
    if ([...paths].some((q) => q.startsWith(p + '/'))) throw new BadRequest(`bundle.files: ${p} is both a file and a directory`);
  }
  if (!paths.has(CONFIG_FILE)) throw new BadRequest(`bundle.files: must contain ${CONFIG_FILE}`);
  return { files, sha256: v.sha256.toLowerCase() };
}

function generation(v: unknown): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new BadRequest('generation: must be a non-negative integer');
  return v as number;
}

export function applyConfigRequest(body: unknown): ApplyConfigRequest {
  if (!isObject(body)) throw new BadRequest('body: must be a JSON object');
  onlyKeys(body, ['generation', 'bundle'], 'body');
  return { generation: generation(body.generation), bundle: bundle(body.bundle) };
}

export function applyRuntimeRequest(body: unknown): ApplyRuntimeRequest {
  if (!isObject(body)) throw new BadRequest('body: must be a JSON object');
  onlyKeys(body, ['generation', 'bundle', 'commands', 'base_sha256'], 'body');
  if (body.base_sha256 !== undefined && (typeof body.base_sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(body.base_sha256))) {
    throw new BadRequest('base_sha256: must be 64 hex digits');
  }
  if (!Array.isArray(body.commands) || body.commands.length > MAX_COMMANDS) {
    throw new BadRequest(`commands: must be an array of at most ${MAX_COMMANDS} strings`);
  }
  body.commands.forEach((c, i) => {
    const why = badCommand(c);
    if (why) throw new BadRequest(`commands[${i}]: ${why}`);
  });
  return {
    generation: generation(body.generation), bundle: bundle(body.bundle), commands: body.commands as string[],
    ...(body.base_sha256 !== undefined ? { base_sha256: (body.base_sha256 as string).toLowerCase() } : {}),
  };
}
