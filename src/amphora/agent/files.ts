// One amphora's directory on the agent host:
//
//   <state-dir>/amphorae/<amphora_id>/
//     conf/         the bundle's files; HAProxy's working directory (also its stats socket
//                   and server-state file, which are not bundle files and are left alone)
//     staging/      the next bundle, written whole and checked with `haproxy -c` before use
//     state.json    applied generation, sha256 and file list
//     lkg.json      the last bundle that was verified serving (rollback target)
//     master.sock, haproxy.pid, haproxy.log
//
// Files move into conf/ one by one with rename(2), so HAProxy never reads a half-written file;
// HAProxy reads them only when it (re)loads, which happens after the whole bundle is in place.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BundleFile, ConfigBundle } from '../protocol.ts';
import type { HaproxyPaths } from './haproxy.ts';

const DEFAULT_MODE = 0o640;

export interface AppliedState {
  amphora_id: string;
  generation: number;
  sha256: string;
  /** Bundle paths now in conf/, so the next bundle can remove the ones it drops. */
  files: string[];
  applied_at: string;
}

export interface LastKnownGood {
  generation: number;
  bundle: ConfigBundle;
}

function writeAtomic(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  const tmp = `${path}.fulcrum-tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export class AmphoraFiles {
  readonly dir: string;
  readonly confDir: string;
  readonly stagingDir: string;
  readonly paths: HaproxyPaths;

  constructor(stateDir: string, readonly amphoraId: string, haproxyBin: string, netns?: string) {
    this.dir = join(stateDir, 'amphorae', amphoraId);
    this.confDir = join(this.dir, 'conf');
    this.stagingDir = join(this.dir, 'staging');
    this.paths = {
      bin: haproxyBin,
      confDir: this.confDir,
      masterSocket: join(this.dir, 'master.sock'),
      pidFile: join(this.dir, 'haproxy.pid'),
      logFile: join(this.dir, 'haproxy.log'),
      ...(netns ? { netns } : {}),
    };
  }

  /** Lists the amphora ids that have a directory under `stateDir`. */
  static list(stateDir: string): string[] {
    const root = join(stateDir, 'amphorae');
    if (!existsSync(root)) return [];
    return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  }

  /** Writes `bundle` into a fresh staging directory. */
  stage(bundle: ConfigBundle): void {
    rmSync(this.stagingDir, { recursive: true, force: true });
    mkdirSync(this.stagingDir, { recursive: true, mode: 0o750 });
    for (const f of bundle.files) writeAtomic(join(this.stagingDir, f.path), f.content, f.mode ?? DEFAULT_MODE);
  }

  /** Moves the staged bundle into conf/ and removes files the previous bundle had and this one drops. */
  install(bundle: ConfigBundle, previous: string[]): void {
    mkdirSync(this.confDir, { recursive: true, mode: 0o750 });
    for (const f of bundle.files) {
      const target = join(this.confDir, f.path);
      mkdirSync(dirname(target), { recursive: true, mode: 0o750 });
      renameSync(join(this.stagingDir, f.path), target);
    }
    const keep = new Set(bundle.files.map((f) => f.path));
    for (const path of previous) {
      if (!keep.has(path)) rmSync(join(this.confDir, path), { force: true });
    }
    rmSync(this.stagingDir, { recursive: true, force: true });
  }

  /** Writes `files` straight into conf/ (rollback and restart from last-known-good). */
  restore(files: BundleFile[], previous: string[]): void {
    this.stage({ files, sha256: '' });
    this.install({ files, sha256: '' }, previous);
  }

  readConfig(): string {
    return readFileSync(join(this.confDir, 'haproxy.cfg'), 'utf8');
  }

  readState(): AppliedState | undefined {
    return readJson<AppliedState>(join(this.dir, 'state.json'));
  }

  writeState(state: AppliedState): void {
    writeAtomic(join(this.dir, 'state.json'), JSON.stringify(state, null, 1), 0o640);
  }

  readLastKnownGood(): LastKnownGood | undefined {
    return readJson<LastKnownGood>(join(this.dir, 'lkg.json'));
  }

  writeLastKnownGood(lkg: LastKnownGood): void {
    writeAtomic(join(this.dir, 'lkg.json'), JSON.stringify(lkg), 0o600);
  }

  /** Saves `show servers state` where the config's server-state-file directive points. */
  writeServerState(path: string, content: string): void {
    writeAtomic(path, content, 0o640);
  }

  ensure(): void {
    mkdirSync(this.confDir, { recursive: true, mode: 0o750 });
  }

  removePidFile(): void {
    if (existsSync(this.paths.pidFile)) unlinkSync(this.paths.pidFile);
  }

  removeAll(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
